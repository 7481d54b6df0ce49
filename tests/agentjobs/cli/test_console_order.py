"""``agentjobs run trip_planner`` prints the Planner's tool call, its result and its plan before
the Traveler's question, which is the Planner's own; the answer prints once."""

from __future__ import annotations

from tests.support.console import Spawn, exit_code, styled


def test_the_console_shows_the_plan_before_the_question_about_it(console: Spawn) -> None:
    child = console("trip_planner", "-p", "days=2")
    child.expect(styled("Where would you like to go?"))
    child.expect(styled("1) Paris (default)"))
    child.sendline("2")
    child.expect(styled("Traveler asks: Does this look good, or should I change anything?"))
    child.expect(styled("Answer: "))
    child.sendline("Looks great")
    child.expect("Completed")
    assert exit_code(child) == 0

    shown = child.logfile_read.plain
    steps = [
        "  ⚙ Planner calls get_weather(",
        "  ↳ get_weather: Tokyo: ",
        "Planner: Here is a 2-day plan for Tokyo",
        "Day 2: ",
        "Traveler asks: Does this look good, or should I change anything?",
        "answered: Looks great",
    ]
    where = [shown.find(step) for step in steps]
    assert -1 not in where, list(zip(steps, where, strict=True))
    assert where == sorted(where), list(zip(steps, where, strict=True))
    assert "Traveler: Looks great" not in shown
    assert "Enter your response" not in shown

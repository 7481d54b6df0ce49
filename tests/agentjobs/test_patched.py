"""``JobUI.patched``: new runs take a change, replays of journals recorded before it do not."""

from __future__ import annotations

from agentjobs.journal import JournalEntry
from agentjobs.replay import Journal


class ListSink:
    """Keeps the entries a run writes, as the job's journal list would."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []

    async def record(self, entry: JournalEntry) -> None:
        self.entries.append(entry)


def _changed_workflow(journal: Journal) -> list[str]:
    """The new code: asks for the city only on the new path; the answer comes after."""
    path = ["new" if journal.patched("ask-city") else "old"]
    answer = journal.take("answer", "r1")
    path.append("replayed" if answer is not None else "live")
    return path


async def test_a_new_run_takes_the_change_and_its_replay_does_too() -> None:
    sink = ListSink()
    live = Journal([], sink)
    assert _changed_workflow(live) == ["new", "live"]
    live.note_external("answer", "r1", "Paris")
    await live.flush()
    assert [(e.kind, e.fp) for e in sink.entries] == [("patch", "ask-city")]
    recorded = [*sink.entries, JournalEntry(kind="answer", fp="r1", value="Paris")]
    assert _changed_workflow(Journal(recorded, ListSink())) == ["new", "replayed"]


async def test_a_journal_recorded_before_the_change_replays_down_the_old_path() -> None:
    sink = ListSink()
    before = [JournalEntry(kind="answer", fp="r1", value="Paris")]
    replay = Journal(before, sink)
    assert _changed_workflow(replay) == ["old", "replayed"]
    assert replay.diverged is None
    await replay.flush()
    assert sink.entries == []  # nothing recorded: the next replay takes the old path again
    # Past the recorded journal the run is live: a later change point takes the new path.
    assert replay.patched("later-change") is True

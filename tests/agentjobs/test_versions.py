"""Version order (numeric-aware) and what a version may be."""

from __future__ import annotations

import pytest

from agentjobs.versions import DEFAULT_VERSION, check_version, newest, version_key
from agentjobs.workflows import Workflows


def test_versions_order_numbers_as_numbers() -> None:
    shuffled = ["10", "2", "1.10", "v10", "1.9", "2.x", "v2", "2.0", "1"]
    ordered = ["1", "1.9", "1.10", "2", "2.0", "2.x", "10", "v2", "v10"]
    assert sorted(shuffled, key=version_key) == ordered
    assert newest(shuffled) == "v10" and newest([]) is None


@pytest.mark.parametrize("bad", ["", "1@2", "1 2", "\t"])
def test_a_version_is_non_empty_text_without_at_or_spaces(bad: str) -> None:
    with pytest.raises(ValueError, match="workflow version"):
        check_version(bad)


def test_register_keeps_the_version_and_defaults_to_one() -> None:
    registry = Workflows()

    @registry.register(name="plain", description="no version given")
    async def plain(_ui: object, _params: object) -> None: ...

    @registry.register(name="second", description="v2", version="2")
    async def second(_ui: object, _params: object) -> None: ...

    assert DEFAULT_VERSION == "1"
    assert [(wf.name, wf.version, wf.info().version) for wf in registry] == [
        ("plain", "1", "1"),
        ("second", "2", "2"),
    ]

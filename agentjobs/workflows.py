"""The workflow registry: named async functions with a description and a params model."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from agentjobs.protocol import WorkflowInfo
from agentjobs.protocol.bodies import Budget
from agentjobs.ui import JobUI
from agentjobs.versions import DEFAULT_VERSION, check_version

P = TypeVar("P", bound=BaseModel)
WorkflowFunc = Callable[[JobUI, Any], Coroutine[Any, Any, Any]]
F = TypeVar("F", bound=WorkflowFunc)


class NoParams(BaseModel):
    """The params model of a workflow that takes none."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Workflow:
    """One registered workflow."""

    name: str
    description: str
    params: type[BaseModel]
    func: WorkflowFunc
    input_timeout: float | None = None
    """Seconds to wait for each human answer (None: the worker's default)."""
    time_limit: float | None = None
    """Seconds the whole run may take (None: the worker's default)."""
    on_worker_lost: Literal["fail", "resume"] = "fail"
    """``resume`` replays the job on another worker when its worker dies (see durability)."""
    version: str = DEFAULT_VERSION
    """Which code this is (``agentjobs.versions``): a job started on it replays only on it."""
    budget: Budget | None = None
    """Default limits on a job's model use; ``POST /jobs`` may give any of them itself."""

    def info(self) -> WorkflowInfo:
        """The catalog entry the worker publishes for the API."""
        return WorkflowInfo(
            name=self.name,
            description=self.description,
            params_schema=self.params.model_json_schema(),
            version=self.version,
        )


class Workflows:
    """A set of workflows, registered by name::

    registry = Workflows()

    @registry.register(name="hello", description="Says hello", params=HelloParams)
    async def hello(ui: JobUI, params: HelloParams) -> str: ...
    """

    def __init__(self) -> None:
        self._workflows: dict[str, Workflow] = {}

    def register(
        self,
        *,
        name: str,
        description: str,
        params: type[BaseModel] = NoParams,
        input_timeout: float | None = None,
        time_limit: float | None = None,
        on_worker_lost: Literal["fail", "resume"] = "fail",
        version: str = DEFAULT_VERSION,
        budget: Budget | None = None,
    ) -> Callable[[F], F]:
        """Decorator adding an ``async def workflow(ui, params) -> result`` under ``name``.

        ``input_timeout`` and ``time_limit`` (seconds) override the worker's defaults for this
        workflow; a single request can still pass its own ``timeout``. ``on_worker_lost`` is
        ``fail`` (at most once: the default) or ``resume`` (replay it elsewhere from its journal).
        ``version`` (default ``"1"``) names this code: new jobs run on the newest version live
        workers serve, and a job replays only on the version it started on (docs/operations.md).
        ``budget`` is the default limit on each job's model use (a job's own ``budget`` in
        ``POST /jobs`` overrides it limit by limit; docs/operations.md).
        """

        def add(func: F) -> F:
            if name in self._workflows:
                raise ValueError(f"workflow {name!r} is already registered")
            self._workflows[name] = Workflow(
                name,
                description,
                params,
                func,
                input_timeout,
                time_limit,
                on_worker_lost,
                version=check_version(version),
                budget=budget,
            )
            return func

        return add

    def include(self, other: Workflows) -> None:
        """Add every workflow of ``other`` (names must not clash)."""
        for workflow in other:
            if workflow.name in self._workflows:
                raise ValueError(f"workflow {workflow.name!r} is already registered")
            self._workflows[workflow.name] = workflow

    def get(self, name: str) -> Workflow | None:
        """The workflow called ``name``, if registered."""
        return self._workflows.get(name)

    def __iter__(self) -> Iterator[Workflow]:
        return iter(self._workflows.values())

    def __len__(self) -> int:
        return len(self._workflows)


def load_registry(spec: str) -> Workflows:
    """Import ``package.module:attribute`` and check it is a ``Workflows``."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(
            f"AGENTJOBS_WORKFLOWS must look like 'package.module:registry', not {spec!r}"
        )
    registry = getattr(importlib.import_module(module_name), attribute, None)
    if not isinstance(registry, Workflows):
        raise TypeError(f"{spec} is not a Workflows registry")
    return registry

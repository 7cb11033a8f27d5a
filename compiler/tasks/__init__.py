"""Task kinds: everything particular to one kind of task lives in one module of this package.

A kind (`pipe`, `ndex`, `profile`, `bridge`) says which tasks the IR gives (ids, JSON-ready actions,
delayed or not, the hosts and server groups each holds), whether its tasks need the network, what
each task writes (for `--resume`), which featuresets it provides (for `--featureset`), its lines
in the text plan, and where its executor lives (imported lazily by the runtime).

The plan compiler, the plan views, run selection, resume and the executor lookup loop over
`registry()`; nothing else names a kind. Adding a kind is one module, one line in `_BUILTIN`, and
its fragment in `schemas/plan.schema.json` (a test keeps the schema's kind list equal to the
registry). See docs/architecture.md, "Task kinds".
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..ir import Workspace


Action = Mapping[str, Any]  # JSON-ready: str, int, float, bool, None, lists and dicts of those


class TaskSpec:
    """One task as its kind builds it from the IR: its id, what it holds, and its action.

    `hosts` are remote host names the task talks to (each a resource limited to the host's
    capacity); `groups` are server-group names it must hold while it runs (all at once).

    A kind gives the action, or a function of no arguments that builds it: that one is called on
    the first read of `action`, once. The task graph (ids, edges, resources) never reads an action,
    so `ferryman validate` builds none (docs/architecture.md, "Task kinds")."""

    __slots__ = ("_action", "delayed", "groups", "hosts", "id")

    def __init__(
        self,
        id: str,
        action: Action | Callable[[], Action],
        delayed: bool = False,
        hosts: tuple[str, ...] = (),
        groups: tuple[str, ...] = (),
    ) -> None:
        self.id = id
        self.delayed = delayed
        self.hosts = hosts
        self.groups = groups
        self._action = action

    @property
    def action(self) -> Action:
        a = self._action
        if callable(a):
            a = self._action = a()
        return a

    def __repr__(self) -> str:
        return f"TaskSpec({self.id!r}, delayed={self.delayed}, hosts={self.hosts}, groups={self.groups})"


class TaskKind(Protocol):
    """What the rest of ferryman knows of a kind. Implemented by one object per kind module."""

    name: str
    rank: int  # order among ready tasks in a printed plan: lower first
    needs_network: bool  # waits for bridge:check when the workspace has a [bridge]
    network_gate: bool  # the network is usable only after this kind's tasks (the bridge check)
    executor: str | None  # "module:function" of its executor, None when this version cannot run it

    def specs(self, ws: Workspace) -> Iterable[TaskSpec]:
        """The tasks of the workspace, in any order."""
        ...

    def notes(self, ws: Workspace) -> list[str]:
        """What the plan should say of the workspace beyond its tasks (what is left out, and why)."""
        ...

    def outputs(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        """Files a successful task leaves, relative to the workspace root (resume checks them)."""
        ...

    def featuresets(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        """ZMap featuresets the task provides (for `run --featureset`)."""
        ...

    def reads(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        """Files the task reads beyond the plan's inputs (a pipe script), absolute or relative to
        the workspace root: no task may write onto one."""
        ...

    def details(self, action: Mapping[str, Any], root: str) -> list[tuple[str, str]]:
        """The task's lines in the text plan: (label, text) pairs; label "" continues a block."""
        ...

    def proxy(self, action: Mapping[str, Any]) -> str | None:
        """The proxy URL every networked task of the run goes through, when this task opens one."""
        ...


class BaseKind:
    """Defaults for the optional parts of a kind."""

    name = ""
    rank = 50
    needs_network = False
    network_gate = False
    executor: str | None = None

    def notes(self, ws: Workspace) -> list[str]:
        return []

    def outputs(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        return ()

    def featuresets(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        return ()

    def reads(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        return ()

    def details(self, action: Mapping[str, Any], root: str) -> list[tuple[str, str]]:
        return []

    def proxy(self, action: Mapping[str, Any]) -> str | None:
        return None


# the built-in kinds, in rank order: bridge first (it gates the network), ndex last
_BUILTIN = ("bridge", "pipe", "profile", "ndex")
_REGISTRY: dict[str, TaskKind] = {}


def _load_builtin() -> None:
    for name in _BUILTIN:
        if name not in _REGISTRY:
            module = importlib.import_module(f"{__name__}.{name}")
            _REGISTRY[name] = module.KIND


def registry() -> Mapping[str, TaskKind]:
    """Every known kind by name (the built-in ones and any `register`ed since)."""
    if not all(name in _REGISTRY for name in _BUILTIN):
        _load_builtin()
    return _REGISTRY


def kind(name: str) -> TaskKind:
    """The kind called `name`; raises KeyError for an unknown one."""
    return registry()[name]


def register(k: TaskKind) -> Callable[[], None]:
    """Add a kind (for plugins and tests); returns a function that removes it again."""
    registry()
    if k.name in _REGISTRY:
        raise ValueError(f"task kind {k.name!r} is already registered")
    _REGISTRY[k.name] = k

    def unregister() -> None:
        _REGISTRY.pop(k.name, None)

    return unregister


def specs(ws: Workspace) -> dict[str, tuple[str, TaskSpec]]:
    """Task id -> (kind name, spec) for every task the IR compiles to: the one place task ids are
    made, for `ferryman validate`'s graph checks and for the compiler alike."""
    out: dict[str, tuple[str, TaskSpec]] = {}
    for name, k in registry().items():
        for s in k.specs(ws):
            out[s.id] = (name, s)
    return out


def notes(ws: Workspace) -> list[str]:
    """Every kind's notes on the workspace, kinds in rank order."""
    return [n for k in sorted(registry().values(), key=lambda k: (k.rank, k.name)) for n in k.notes(ws)]


def load_executor(path: str) -> Any:
    """The callable at "module:function"."""
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)

"""The `pipe` kind: one task per ZMap `pipe://` source with a script, `pipe:<source>`
(docs/formats.md, ZMap; docs/run.md).

A pipe task belongs to the server groups that list its source, provides the source's featuresets,
and writes `<state_dir>/gff/<file name of the source>.gff` (see `compiler.paths.file_name`: a
source name can never make a path outside the state dir).
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..paths import below, file_name
from ..pipeurl import argv as pipe_argv
from ..secrets import mask_url_userinfo
from . import BaseKind, TaskSpec

if TYPE_CHECKING:
    from ..ir import Workspace
    from ..zmapconfig import ZMapSource


def shell_line(action: Mapping[str, Any], root: str) -> str:
    """The task as a copyable shell line, run from the workspace root."""
    cwd, script = action["cwd"], action["script"]
    # the cache only holds absolute paths: a relative one depends on the current folder
    absolute = cwd.startswith("/") and script.startswith("/") and root.startswith("/")
    head = _head(cwd, script, root) if absolute else _head.__wrapped__(cwd, script, root)
    words = action["argv"][1:]
    if all(words) and _UNSAFE.search("".join(words)) is None:
        args = " ".join(words)  # what shlex.quote gives each: nothing to quote (the common case)
    else:
        args = " ".join(shlex.quote(x) for x in words)
    return f"{head}{' ' + args if args else ''})"


# shlex.quote leaves a non-empty word alone when it has none of these characters (shlex._find_unsafe)
_UNSAFE = re.compile(r"[^\w@%+=:,./-]", re.ASCII)


@functools.lru_cache(maxsize=256)
def _head(cwd_path: str, script: str, root: str) -> str:
    """`(cd CWD && ./SCRIPT` of `shell_line` (thousands of sources share a few scripts)."""
    cwd = below(cwd_path, root) or cwd_path
    rel = below(script, cwd_path)
    exe = "./" + rel if rel else script
    return f"(cd {shlex.quote(cwd)} && {shlex.quote(exe)}"


def _action(
    s: ZMapSource, region: tuple[int, int] | None, cwd: str, state: str, timeout_s: float
) -> dict[str, Any]:
    """The action of source `s`'s task (built when the plan is compiled, never for validate)."""
    assert s.pipe is not None and s.script is not None
    return {
        "source": s.name,
        "url": mask_url_userinfo(s.url),
        "script": s.script,
        "argv": [s.script, *pipe_argv(s.pipe, region)],
        "cwd": cwd,
        "featuresets": list(s.featuresets),
        "timeout_s": float(s.timeout) if s.timeout is not None else timeout_s,
        "output": f"{state}/gff/{file_name(s.name)}.gff",
    }


class PipeKind(BaseKind):
    name = "pipe"
    rank = 1
    needs_network = True
    executor = "ferryman.runtime.executors.pipe:run_pipe"

    def specs(self, ws: Workspace) -> Iterable[TaskSpec]:
        if ws.zmap is None:
            return
        region = (ws.region.start, ws.region.end) if ws.region else None
        member_of: dict[str, list[str]] = {}
        for g in ws.zmap.groups:
            for m in g.members:
                member_of.setdefault(m, []).append(g.name)
        state = ws.state_dir.rstrip("/")
        cwd = ws.zmap.script_dir
        for s in ws.zmap.sources:
            if s.pipe is None or s.script is None:
                continue
            groups = member_of.get(s.name)
            if groups is None:
                held: tuple[str, ...] = ()
            elif len(groups) == 1:
                held = (groups[0],)
            else:
                held = tuple(sorted(set(groups)))
            build = functools.partial(_action, s, region, cwd, state, ws.timeout_s)
            yield TaskSpec(f"pipe:{s.name}", build, delayed=s.delayed, groups=held)

    def notes(self, ws: Workspace) -> list[str]:
        """Sources ZMap loads itself (ensembl://, trackhub://, file://, …): not run by ferryman."""
        if ws.zmap is None:
            return []
        others = [f"{s.name} ({s.scheme}://)" for s in ws.zmap.sources if s.pipe is None]
        if not others:
            return []
        shown = ", ".join(others[:8]) + (f", … and {len(others) - 8} more" if len(others) > 8 else "")
        return [f"{len(others)} ZMap source{'s' if len(others) != 1 else ''} not run by ferryman "
                f"(ZMap loads {'them' if len(others) != 1 else 'it'} itself): {shown}"]

    def outputs(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        return (str(action["output"]),)

    def reads(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        return (str(action["script"]),)

    def featuresets(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(action.get("featuresets", ()))

    def details(self, action: Mapping[str, Any], root: str) -> list[tuple[str, str]]:
        t = float(action["timeout_s"])
        shown = int(t) if t == int(t) else t
        return [("$", shell_line(action, root)), (">", f"{action['output']}  (timeout {shown} s)")]


KIND = PipeKind()

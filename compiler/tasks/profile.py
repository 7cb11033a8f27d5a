"""The `profile` kind: one task per `[[profiles]]` entry, writing the modified externals YAML
(docs/formats.md, IDTrack). The plan shows the Include flips as a diff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from . import BaseKind, TaskSpec

if TYPE_CHECKING:
    from ..ir import Workspace

DIFF_LIMIT = 8  # flips shown before "… and N more"


class ProfileKind(BaseKind):
    name = "profile"
    rank = 2
    executor = "ferryman.runtime.executors.profile:run_profile"

    def specs(self, ws: Workspace) -> Iterable[TaskSpec]:
        for p in ws.profiles:
            yield TaskSpec(f"profile:{p.name}", {
                "organism": p.organism,
                "template": p.template,
                "output": p.output,
                "release": p.release,
                "allow": list(p.allow),
                "flips": [
                    {"form": f.form, "database": f.database, "assembly": f.assembly, "include": f.after}
                    for f in p.flips
                    if f.before != f.after
                ],
            })

    def outputs(self, action: Mapping[str, Any]) -> tuple[str, ...]:
        return (str(action["output"]),)

    def details(self, action: Mapping[str, Any], root: str) -> list[tuple[str, str]]:
        flips = action["flips"]
        on = sum(1 for f in flips if f["include"])
        a = action
        lines = [
            ("write", f"{a['output']} from {a['template']} ({a['organism']}, release {a['release']})"),
            ("", f"Include flips: {on} on, {len(flips) - on} off"),
        ]
        diff = [("+" if f["include"] else "-") + f" {f['form']} / {f['database']} / {f['assembly']}" for f in flips]
        lines.extend(("", "  " + d) for d in diff[:DIFF_LIMIT])
        if len(diff) > DIFF_LIMIT:
            lines.append(("", f"  … and {len(diff) - DIFF_LIMIT} more"))
        return lines


KIND = ProfileKind()

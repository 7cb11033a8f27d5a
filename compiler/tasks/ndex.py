"""The `ndex` kind: one task per copy plan file, `ndex:<plan-file-stem>` (docs/formats.md, copy plans; docs/ndex.md).

A task holds both its source and its target host (per-host limits), and the group
`ndex-target:<user>@<host>` of its target account, so plans writing into one account never
overlap. Passwords stay references: `${env:NAME}`, or an `${input:FILE#/pointer}` to a literal in
the (hash-checked) plan file. Routes appear with any userinfo and query string masked
(docs/formats.md, copy plans).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..secrets import mask_url
from . import BaseKind, TaskSpec

if TYPE_CHECKING:
    from ..ir import CopyPlan, Endpoint, Workspace


def _endpoint(e: Endpoint) -> dict[str, str]:
    return {"route": mask_url(e.route), "username": e.username, "password": e.password}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _action(c: CopyPlan) -> dict[str, Any]:
    """The action of copy plan `c`'s task (built when the plan is compiled, never for validate)."""
    selection: dict[str, Any] = (
        {"ids": list(c.id_list)}
        if c.plan_type == "IdCopyPlan"
        else {"query": c.query_string, "limit": c.query_limit, "account": c.query_account}
    )
    return {
        "plan": c.path,
        "plan_type": c.plan_type,
        "source": _endpoint(c.source),
        "target": _endpoint(c.target),
        "selection": selection,
        "update_target": c.update_target,
        "update_read_only": c.update_read_only,
    }


class NdexKind(BaseKind):
    name = "ndex"
    rank = 3
    needs_network = True
    executor = "ferryman.runtime.executors.ndex:run_ndex"

    def specs(self, ws: Workspace) -> Iterable[TaskSpec]:
        for c in ws.copy_plans:
            target_host = c.target.host
            hosts = tuple(dict.fromkeys(h for h in (c.source.host, target_host) if h))
            # plans that write into one target account run one at a time: two plans selecting the
            # same network would both decide "copy" and leave a duplicate (docs/ndex.md)
            account = (f"ndex-target:{c.target.username}@{target_host}",) if target_host else ()
            yield TaskSpec(f"ndex:{c.name}", functools.partial(_action, c), hosts=hosts, groups=account)

    def details(self, action: Mapping[str, Any], root: str) -> list[tuple[str, str]]:
        a = action
        sel = a["selection"]
        if "ids" in sel:
            ids = sel["ids"]
            shown = ", ".join(ids[:4]) + (f", … and {len(ids) - 4} more" if len(ids) > 4 else "")
            selection = f"{_plural(len(ids), 'network id')}: {shown}"
        else:
            acct = f", administered by {sel['account']}" if sel.get("account") else ""
            selection = f"search {sel['query']!r}, at most {sel['limit']} networks{acct}"
        return [
            ("from", f"{a['source']['route']} as {a['source']['username']} (password ***)"),
            ("to", f"{a['target']['route']} as {a['target']['username']} (password ***)"),
            ("select", selection),
            ("", f"update out-of-date copies in place: {'yes' if a['update_target'] else 'no'}; "
                 f"read-only copies: {'yes' if a['update_read_only'] else 'no'}"),
        ]


KIND = NdexKind()

"""Rules for a ZMap styles file checked on its own: a GKeyFile of `[style]` groups.

Small on purpose: ZMap has dozens of style keys and ferryman does not draw anything, so only
what breaks loading is checked — `parent-style` must name a style of the file, without a loop.
Style names compare as ZMap compares them: ASCII case-insensitively.
"""

from __future__ import annotations

from ..document import Document, Findings, define

ZM_PARENT_MISSING = define(
    "ZM351", "error", "parent-style names a style the file does not define", "define the parent, or fix its name"
)
ZM_PARENT_LOOP = define(
    "ZM352", "error", "parent-style chain loops back", "a style cannot inherit from itself, directly or not"
)


def check(doc: Document, findings: Findings) -> None:
    """Report every rule violation of a styles file."""
    data = doc.data if isinstance(doc.data, dict) else {}
    styles: dict[str, str] = {}  # lower-cased name -> name as written
    parents: dict[str, str] = {}  # lower-cased name -> lower-cased parent
    for name, keys in data.items():
        styles[name.lower()] = name
        parent = keys.get("parent-style") if isinstance(keys, dict) else None
        if isinstance(parent, str) and parent:
            parents[name.lower()] = parent.lower()
    for name, keys in data.items():
        parent = keys.get("parent-style") if isinstance(keys, dict) else None
        if isinstance(parent, str) and parent and parent.lower() not in styles:
            msg = f"style [{name}] has parent-style {parent}, which is not defined in this file"
            findings.report(ZM_PARENT_MISSING, msg, (name, "parent-style"))
    _report_loops(styles, parents, findings)


def _report_loops(styles: dict[str, str], parents: dict[str, str], findings: Findings) -> None:
    reported: set[str] = set()
    for start in parents:
        chain: list[str] = []
        node: str | None = start
        while node is not None and node not in chain and node not in reported:
            chain.append(node)
            node = parents.get(node)
        if node is None or node in reported or node != start:
            continue  # no loop, or a loop that another style leads into (reported from the loop)
        reported.update(chain)
        names = " -> ".join(styles[n] for n in [*chain, start])
        first = styles[start]
        findings.report(ZM_PARENT_LOOP, f"parent-style loops: {names}", (first, "parent-style"))

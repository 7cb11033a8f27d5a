"""validate benchmark: how fast `ferryman validate` is against its peers, in one run.

On the generated workspace (see common.py: 2,000 NDEx copy plans, a ZMap config of 10,000 pipe
sources in 200 server groups with its styles file and scripts, three IDTrack externals YAMLs of
real size, one ferryman.toml), each measure times two whole commands as subprocesses, alternating
them, and compares the medians:

(a) `ferryman validate copy-plans` against `check-jsonschema --schemafile
    schemas/copy-plan.schema.json` on the same 2,000 files.     target: ferryman <= 0.5x
(a') the same on the same plans written in the seed's own string form (`"queryLimit": "10"`,
    `"updateTargetNetwork": "false"`, as the NDEx Sync documentation writes them): a folder
    `copy-plans-seed-form/` made beside the workspace's from its plans.  target: ferryman <= 0.5x
(b) `ferryman validate --workspace ferryman.toml` against the bare parse of the same files
    (below).                                                    target: ferryman <= 3x
(b') the same on the real-shaped workspace of real_shaped.py (an otter-style ZMap config of the
    same size, ndex-sync-style plans, IDTrack's own externals templates), made at the same
    scale beside the generated one.                             target: ferryman <= 3x
(c) `ferryman --version` against `python -c pass`.              target: ferryman <= 3x

"Bare parse" is the least a program must do to read every file `validate --workspace` reads:
one fresh interpreter (the same Python) that reads the manifest with tomllib, finds the inputs
the way the manifest names them (the ZMap config's stylesfiles too: [ZMap]'s and any a source
sets for itself), `json.loads` each copy plan, `yaml.load(CSafeLoader)` each
externals template, and splits the ZMap config and its styles files into {group: {key: value}}
line by line (comments and blank lines skipped, `;`-lists split) - GKeyFile's syntax without its
escapes, checks or positions. No schema, no rules, no script checks: the ratio is the price of
everything validation adds to reading the files. Interpreter start-up is in both sides.

Exit status 0 even when a target is missed (this is a report); a missed target prints MISS.
Exit 1 when a measure cannot be taken because a command does not run correctly (e.g. ferryman
finds the generated workspace invalid): that row says ERROR and the others are still measured.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import common
import real_shaped
from common import Command, CommandFailed, Row, check_runs, command_sampler, interleaved

BARE_PARSE = r"""
import json, os, sys, tomllib
import yaml

def gkeyfile(path):
    groups = {}
    group = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            s = line.strip()
            if not s or s[0] == "#":
                continue
            if s[0] == "[":
                group = groups.setdefault(s[1:-1], {})
                continue
            key, _, value = s.partition("=")
            value = value.strip()
            group[key.strip()] = [v.strip() for v in value.split(";") if v.strip()] if ";" in value else value
    return groups

manifest = os.path.abspath(sys.argv[1])
root = os.path.dirname(manifest)
with open(manifest, "rb") as fh:
    ws = tomllib.load(fh)
zmap = os.path.join(root, ws["zmap"]["config"])
config = gkeyfile(zmap)
# the stylesfile of [ZMap] and any a source names for itself, each read once
for styles in dict.fromkeys(g["stylesfile"] for g in config.values() if isinstance(g.get("stylesfile"), str)):
    gkeyfile(os.path.join(os.path.dirname(zmap), styles))
plans = os.path.join(root, ws["ndex"]["plans"])
for name in sorted(os.listdir(plans)):
    if name.endswith(".json"):
        with open(os.path.join(plans, name), "rb") as fh:
            json.loads(fh.read())
for template in dict.fromkeys(p["template"] for p in ws.get("profiles", [])):
    with open(os.path.join(root, template), "rb") as fh:
        yaml.load(fh.read(), Loader=yaml.CSafeLoader)
"""

TARGET_VS_CHECK_JSONSCHEMA = 0.5
SEED_FORM_DIR = "copy-plans-seed-form"


def seed_form(plan: dict[str, object]) -> dict[str, object]:
    """`plan` as the seed (and the NDEx Sync documentation) writes it: numbers and booleans as strings."""
    out = dict(plan)
    for name in ("queryLimit", "updateTargetNetwork", "updateReadOnlyNetwork"):
        value = out.get(name)
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, int):
            out[name] = str(value)
    return out


def seed_form_plans(ws: common.Workspace) -> list[Path]:
    """The workspace's plans rewritten in the seed's form under `copy-plans-seed-form/` (made once)."""
    folder = ws.root / SEED_FORM_DIR
    done = folder / ".complete"
    if not done.exists():
        folder.mkdir(exist_ok=True)
        for path in ws.plan_files():
            plan = json.loads(path.read_text(encoding="utf-8"))
            (folder / path.name).write_text(json.dumps(seed_form(plan), indent=2) + "\n", encoding="utf-8")
        done.write_text("")
    return sorted(folder.glob("*.json"))
TARGET_VS_BARE_PARSE = 3.0
TARGET_STARTUP = 3.0


def _measure(
    name: str, peer_name: str, ours: Command, peer: Command, target: float, repeat: int, *, summary: bool = True
) -> Row:
    try:
        ours_warm, ours_proc = check_runs(ours)
        peer_warm, _ = check_runs(peer)
    except CommandFailed as exc:
        return Row.failed(name, peer_name, target, str(exc))
    # validate prints its summary last on stderr: it shows what was checked (and any warnings)
    said = (ours_proc.stderr or "").strip().splitlines()
    note = f"ferryman said: {said[-1]}" if summary and said else ""
    a, b = interleaved(command_sampler(ours, ours_warm), command_sampler(peer, peer_warm), repeat)
    return Row(name, peer_name, a, b, target, note)


def _real_shaped_row(ws: common.Workspace, repeat: int) -> Row:
    """(b') on the real-shaped workspace at `ws`'s scale, cached beside it; the note says what its
    externals are (IDTrack's own templates, or the fallback and why)."""
    name, peer_name = "(b') validate --workspace, real-shaped", "bare parse"
    real = real_shaped.workspace(ws.scale, regenerate=ws.regenerated, data=ws.root.parent)
    row = _measure(
        name,
        peer_name,
        Command([*common.ferryman_command(), "validate", "--workspace", "ferryman.toml"], real.root),
        Command([common.python(), "-c", BARE_PARSE, "ferryman.toml"], real.root),
        TARGET_VS_BARE_PARSE,
        repeat,
    )
    # what the workspace holds (IDTrack's templates or the fallback), even when the row failed
    note = f"{real_shaped.describe(real)}; {row.note}" if row.note else real_shaped.describe(real)
    return dataclasses.replace(row, note=note)


def measure(ws: common.Workspace, repeat: int) -> list[Row]:
    """The measures of the module docstring, on workspace `ws` (and the real-shaped one for (b'))."""
    ferryman = common.ferryman_command()
    python = common.python()
    rows: list[Row] = []

    checker = common.venv_script("check-jsonschema")
    for tag, folder, files in (
        ("(a)", "copy-plans", ws.plan_files()),
        ("(a')", SEED_FORM_DIR, seed_form_plans(ws)),
    ):
        plans = [str(p.relative_to(ws.root)) for p in files]
        label = f"{tag} validate {len(plans):,} plans" + (" (seed form)" if folder == SEED_FORM_DIR else "")
        if checker is None:
            missing = "check-jsonschema is not installed (pip install check-jsonschema, or the test extra)"
            rows.append(Row.failed(label, "check-jsonschema", TARGET_VS_CHECK_JSONSCHEMA, missing))
            continue
        schema = str(common.ROOT / "schemas" / "copy-plan.schema.json")
        rows.append(
            _measure(
                label,
                "check-jsonschema",
                Command([*ferryman, "validate", folder], ws.root),
                Command([checker, "--schemafile", schema, *plans], ws.root),
                TARGET_VS_CHECK_JSONSCHEMA,
                repeat,
            )
        )
    rows.append(
        _measure(
            "(b) validate --workspace",
            "bare parse",
            Command([*ferryman, "validate", "--workspace", "ferryman.toml"], ws.root),
            Command([python, "-c", BARE_PARSE, "ferryman.toml"], ws.root),
            TARGET_VS_BARE_PARSE,
            repeat,
        )
    )
    rows.append(_real_shaped_row(ws, repeat))
    rows.append(
        _measure(
            "(c) ferryman --version",
            "python -c pass",
            Command([*ferryman, "--version"], ws.root),
            Command([python, "-c", "pass"], ws.root),
            TARGET_STARTUP,
            repeat,
            summary=False,
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    return common.main("ferryman validate benchmark", __doc__, measure, argv)


if __name__ == "__main__":
    sys.exit(main())

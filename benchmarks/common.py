"""Shared parts of the benchmarks: the generated workspace, the timer and the report table.

The workspace  is generated deterministically from `scale` and cached under
`benchmarks/_data/` (git-ignored): 2,000 NDEx copy plans, a ZMap config of 10,000 `pipe://`
sources in 200 `[Server-groups]` with its styles file and scripts, the three organisms' IDTrack
externals templates, and a `ferryman.toml` naming them all. Scale 1 is the size the README names;
`--scale 0.01` gives a tiny workspace for smoke tests.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from gen_externals import generate

# commands run as a user's would: with bytecode caching (some shells here export
# PYTHONDONTWRITEBYTECODE, which makes every run recompile ferryman's modules)
BENCH_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "_data"

# bump when the generated workspace changes shape, so cached copies are rebuilt
GENERATOR_VERSION = 2

FULL_PLANS = 2_000
FULL_SOURCES = 10_000
FULL_GROUPS = 200
FULL_DATABASES = 270
FULL_ASSEMBLY_BLOCKS = 470
ORGANISMS = ("homo_sapiens", "mus_musculus", "sus_scrofa")

# the pipe scripts: a handful of real executables that thousands of sources share, as in a lab's
# ZMap set-up where one get_genes script serves every gene source with different arguments
SCRIPTS = {
    "get_genes.sh": "genes",
    "get_repeats.sh": "repeats",
    "get_cpg.sh": "cpg",
    "get_polya.sh": "polya",
    "get_est.sh": "est",
}
PIPE_SCRIPT = """#!/bin/sh
# benchmark pipe script {name}: prints a small GFF3 region for the source named in its arguments
source=unknown
start=1
end=1000
for arg in "$@"; do
  case "$arg" in
    gff_source=*|--gff_feature_source=*) source=${{arg#*=}} ;;
    zmap_start=*) start=${{arg#zmap_start=}} ;;
    zmap_end=*) end=${{arg#zmap_end=}} ;;
  esac
done
printf '##gff-version 3\\n##sequence-region {seq} %s %s\\n' "$start" "$end"
printf '{seq}\\t%s\\tregion\\t%s\\t%s\\t.\\t+\\t.\\tID=%s_1\\n' "$source" "$start" "$end" "$source"
"""


def write_pipe_scripts(folder: Path, names: Iterable[str], seq: str = "chr6-38") -> None:
    """Make `folder` with an executable PIPE_SCRIPT for each of `names` (both workspaces' scripts)."""
    folder.mkdir(parents=True)
    for name in names:
        path = folder / name
        path.write_text(PIPE_SCRIPT.format(name=name, seq=seq))
        path.chmod(0o755)

# names present in every generated externals file (gen_externals keeps its seed names first)
_ALLOW_PREFERRED = ("HGNC Symbol", "EntrezGene", "RefSeq_mRNA", "Uniprot/SWISSPROT", "GO", "CCDS")
_RELEASE = {"homo_sapiens": 110, "mus_musculus": 110, "sus_scrofa": 111}

_NDEX_SERVERS = (
    "https://www.ndexbio.org/v2",
    "https://test.ndexbio.org/v2",
    "https://ndex.lab1.example.org/v2",
    "https://ndex.lab2.example.org/v2",
    "https://ndex.lab3.example.org/v2",
    "http://127.0.0.1:8765/v2",
)
_QUERIES = ("*", "pathway", "TP53", "BRCA1 OR BRCA2", "nodeName:EGFR", "labels:signalling", "cancer AND human")


@dataclasses.dataclass(frozen=True)
class Sizes:
    """How big the generated workspace is."""

    plans: int
    sources: int
    groups: int
    databases: int
    assembly_blocks: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        """The benchmarks/README.md sizes times `scale` (small floors: a tiny workspace has a bit of everything)."""
        databases = max(30, round(FULL_DATABASES * scale))
        return cls(
            plans=max(2, round(FULL_PLANS * scale)),
            sources=max(4, round(FULL_SOURCES * scale)),
            groups=max(2, round(FULL_GROUPS * scale)),
            databases=databases,
            assembly_blocks=max(databases, round(FULL_ASSEMBLY_BLOCKS * scale)),
        )

    def describe(self) -> str:
        return (
            f"{self.plans:,} copy plans, {self.sources:,} pipe sources in {self.groups:,} server groups, "
            f"{len(ORGANISMS)} externals YAMLs "
            f"({self.databases} databases, {self.assembly_blocks} assembly blocks each)"
        )


@dataclasses.dataclass(frozen=True)
class Workspace:
    """Paths of a generated workspace; every path is absolute."""

    root: Path
    sizes: Sizes
    scale: float = 1.0
    regenerated: bool = False  # rebuilt in this run (--regenerate): companions are rebuilt too
    kind: str = "generated"  # or "real-shaped" (real_shaped.py)
    note: str = ""  # what the workspace is made of, when it is worth a line in the report

    @property
    def manifest(self) -> Path:
        return self.root / "ferryman.toml"

    @property
    def plans_dir(self) -> Path:
        return self.root / "copy-plans"

    @property
    def zmap(self) -> Path:
        return self.root / "zmap" / "ZMap"

    def plan_files(self) -> list[Path]:
        return sorted(self.plans_dir.glob("*.json"))


def _scale_tag(scale: float) -> str:
    return format(scale, "g").replace(".", "_")


def workspace(scale: float = 1.0, *, regenerate: bool = False, data: Path = DATA) -> Workspace:
    """The benchmark workspace at `scale`, generated on first use and cached under `data`."""
    sizes = Sizes.at(scale)
    root = data / f"workspace-s{_scale_tag(scale)}-v{GENERATOR_VERSION}"
    cached(root, regenerate, lambda tmp: _write_workspace(tmp, sizes, scale), dataclasses.asdict(sizes))
    return Workspace(root, sizes, scale, regenerate)


def cached(root: Path, regenerate: bool, write: Callable[[Path], Any], complete: dict[str, Any]) -> dict[str, Any]:
    """Build the folder `root` with `write(tmp)` unless a finished copy is there; returns what its
    `.complete` marker holds (`complete`, plus what `write` returned under "made", for a fresh build).

    Copies of the same name with another `-v<version>` suffix (an earlier generator's) are removed.
    The build happens beside `root` and is renamed into place: a concurrent run never sees half a
    workspace."""
    data = root.parent
    if regenerate and root.exists():
        shutil.rmtree(root)
    marker = root / ".complete"
    if not marker.exists():
        data.mkdir(parents=True, exist_ok=True)
        stem = root.name.rsplit("-v", 1)[0]
        for old in data.glob(f"{stem}-v*"):
            if old.name != root.name and old.is_dir():  # an earlier generator's copy
                shutil.rmtree(old, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=root.name + ".", dir=data))
        try:
            made = write(tmp)
            (tmp / ".complete").write_text(json.dumps(complete | {"made": made}) + "\n")
            try:
                os.rename(tmp, root)
            except OSError:
                if not marker.exists():  # a leftover, not another run's finished copy
                    shutil.rmtree(root)
                    os.rename(tmp, root)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
    done: dict[str, Any] = json.loads(marker.read_text() or "{}")
    return done


# -- generation --------------------------------------------------------------------------------


def _write_workspace(root: Path, sizes: Sizes, scale: float) -> None:
    rng = random.Random(f"ferryman-bench:{GENERATOR_VERSION}")
    plan_names = _write_plans(root / "copy-plans", sizes.plans, rng)
    _write_zmap(root / "zmap", sizes, rng)
    profiles = _write_externals(root / "idtrack", sizes)
    _write_manifest(root / "ferryman.toml", scale, profiles, plan_names, sizes)


def _uuid(rng: random.Random) -> str:
    # NDEx network ids are time-based (version 1) UUIDs
    return str(uuid.UUID(int=rng.getrandbits(128), version=1))


def _endpoint(rng: random.Random, role: str, avoid: tuple[str, str] | None = None) -> dict[str, str]:
    while True:
        route = rng.choice(_NDEX_SERVERS)
        user = f"{role}{rng.randrange(1, 40):02d}"
        if (route, user) != avoid:
            break
    return {"route": route, "username": user, "password": "${env:NDEX_" + role.upper() + "_PASSWORD}"}


def copy_plan(rng: random.Random) -> dict[str, Any]:
    """One valid copy plan: an IdCopyPlan (3 in 5) or a QueryCopyPlan, shaped like samples/copy-plans/."""
    source = _endpoint(rng, "curator")
    target = _endpoint(rng, "mirror", (source["route"], source["username"]))
    plan: dict[str, Any] = {"planType": "IdCopyPlan", "source": source, "target": target}
    if rng.random() < 0.6:
        plan["idList"] = [_uuid(rng) for _ in range(rng.randrange(1, 26))]
    else:
        plan["planType"] = "QueryCopyPlan"
        plan["queryString"] = rng.choice(_QUERIES)
        plan["queryLimit"] = rng.choice((1, 5, 10, 25, 100, 500))
        if rng.random() < 0.5:
            plan["queryAccountName"] = source["username"]
    update = rng.random() < 0.5
    plan["updateTargetNetwork"] = update
    plan["updateReadOnlyNetwork"] = update and rng.random() < 0.3
    return plan


def _write_plans(folder: Path, count: int, rng: random.Random) -> list[str]:
    folder.mkdir(parents=True)
    names = []
    for i in range(1, count + 1):
        name = f"plan-{i:05d}"
        (folder / f"{name}.json").write_text(json.dumps(copy_plan(rng), indent=2) + "\n")
        names.append(name)
    return names


def source_name(i: int) -> str:
    """The name of source `i` (0-based): its script's family and a number."""
    family = list(SCRIPTS.values())[i % len(SCRIPTS)]
    return f"{family}_{i + 1:05d}"


def _write_zmap(folder: Path, sizes: Sizes, rng: random.Random) -> None:
    write_pipe_scripts(folder / "scripts", SCRIPTS)

    styles = [f"{family}_{k}" for family in SCRIPTS.values() for k in ("basic", "trunc", "zoom", "graph")]
    with open(folder / "styles.ini", "w", encoding="utf-8") as fh:
        fh.write("# styles of the benchmark ZMap config\n\n")
        for family in SCRIPTS.values():
            fh.write(f"[{family}_basic]\nmode=basic\ncolours=normal fill green ; normal border black\nwidth=8\n\n")
            for k in ("trunc", "zoom", "graph"):
                mode = "graph" if k == "graph" else "basic"
                fh.write(f"[{family}_{k}]\nparent-style={family}_basic\nmode={mode}\nbump-mode=overlap\n\n")

    names = [source_name(i) for i in range(sizes.sources)]
    scripts_by_family = {family: script for script, family in SCRIPTS.items()}
    out = [
        "# benchmark ZMap config: pipe servers for one region",
        "",
        "[ZMap]",
        "default-sequence = chr6-38",
        "csver = Otter",
        "script-dir = scripts",
        "stylesfile = styles.ini",
        "sources = " + " ; ".join(names),
        "",
    ]
    featureset_style: list[str] = []
    for i, name in enumerate(names):
        family = list(SCRIPTS.values())[i % len(SCRIPTS)]
        query = f"dataset=human&gff_source={name}&gff_seqname=chr6-38&analysis={family}_analysis_{i % 97}"
        if i % 7 == 0:
            query += "&wait=0"
        out.append(f"[{name}]")
        out.append(f"url = pipe:///{scripts_by_family[family]}?{query}")
        out.append(f"featuresets = {name} ; {name}_trunc")
        out.append(f"styles = {family}_basic")
        if i % 50 == 49:
            out.append("delayed = true")
        out.append("")
        # each featureset is drawn in one of its family's styles, as [featureset-style] maps them
        featureset_style.append(f"{name} = {rng.choice([s for s in styles if s.startswith(family)])}")
        featureset_style.append(f"{name}_trunc = {family}_trunc")
    out += ["[featureset-style]", *featureset_style, ""]
    # each source sits in one group; each group also holds one member of the next group, so some
    # sources must hold two groups at once (the atomic multi-group acquire)
    members: list[list[str]] = [[] for _ in range(sizes.groups)]
    for i, name in enumerate(names):
        members[i % sizes.groups].append(name)
    out.append("[Server-groups]")
    for g, group in enumerate(members):
        extra = members[(g + 1) % sizes.groups][:1]
        out.append(f"grp_{g + 1:03d} = " + " ; ".join(group + [m for m in extra if m not in group]))
    (folder / "ZMap").write_text("\n".join(out) + "\n", encoding="utf-8")


def template_releases(forms: dict[str, Any]) -> set[int]:
    """Every Ensembl release an externals template's `{form: {database: entry}}` names (its
    assembly blocks' `Ensembl release`, a number or a comma list)."""
    return {
        int(r)
        for dbs in forms.values()
        for entry in dbs.values()
        for block in entry["Assembly"].values()
        for r in str(block["Ensembl release"]).split(",")
    }


def _write_externals(folder: Path, sizes: Sizes) -> list[dict[str, Any]]:
    folder.mkdir(parents=True)
    profiles = []
    for organism in ORGANISMS:
        text = generate(organism, sizes.databases, sizes.assembly_blocks)
        template = folder / f"{organism}_externals_template.yml"
        template.write_text(text, encoding="utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        forms = data[organism]
        known = {db for dbs in forms.values() for db in dbs}
        allow = [n for n in _ALLOW_PREFERRED if n in known] or [next(iter(dbs)) for dbs in forms.values()]
        releases = template_releases(forms)
        release = _RELEASE[organism] if _RELEASE[organism] in releases else max(releases)
        profiles.append(
            {
                "name": organism.split("_")[0] + "-strict",
                "organism": organism,
                "template": f"idtrack/{template.name}",
                "allow": allow,
                "release": release,
                "output": f"idtrack/{organism}_externals_modified.yml",
            }
        )
    return profiles


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _write_manifest(path: Path, scale: float, profiles: list[dict[str, Any]], plans: list[str], sizes: Sizes) -> None:
    lines = [
        f"# generated by benchmarks/common.py (scale {scale:g}); do not edit",
        "",
        "[workspace]",
        f'name = "bench-s{_scale_tag(scale)}"',
        'state_dir = ".ferryman"',
        "max_parallel = 8",
        "per_host_limit = 4",
        "",
        "[zmap]",
        'config = "zmap/ZMap"',
        'region = { sequence = "chr6-38", start = 2231363, end = 2588301 }',
        "timeout_s = 120",
        "",
        "[ndex]",
        'plans = "copy-plans"',
        "",
        "[groups]",
    ]
    # a few groups allow two members at once; the rest keep the default capacity 1
    lines += [f"grp_{g:03d} = 2" for g in range(1, sizes.groups + 1, 25)]
    for prof in profiles:
        lines += ["", "[[profiles]]"] + [f"{k} = {_toml(v)}" for k, v in prof.items()]
    # ordering edges: copy plans wait for the profiles, as a lab refreshing ids first would
    for i, prof in enumerate(profiles):
        lines += ["", "[[after]]", f'task = "ndex:{plans[i % len(plans)]}"', f'needs = ["profile:{prof["name"]}"]']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- timing ------------------------------------------------------------------------------------


def python() -> str:
    """This interpreter, as an absolute path (not resolved: a venv's python is a symlink that must stay one)."""
    return os.path.abspath(sys.executable)


def venv_script(name: str) -> str | None:
    """A console script installed beside this interpreter, else one on PATH."""
    script = os.path.join(os.path.dirname(python()), name)
    return script if os.path.exists(script) else shutil.which(name)


def ferryman_command() -> list[str]:
    """The `ferryman` console script of this interpreter's environment (what users run)."""
    script = os.path.join(os.path.dirname(python()), "ferryman")
    return [script] if os.path.exists(script) else [python(), "-m", "ferryman"]


@dataclasses.dataclass(frozen=True)
class Command:
    """A whole command to time: argv, run in `cwd`, output discarded."""

    argv: Sequence[str]
    cwd: Path
    expect: int = 0  # exit status of a correct run

    def run(self, capture: bool = False) -> subprocess.CompletedProcess[str]:
        out = subprocess.PIPE if capture else subprocess.DEVNULL
        return subprocess.run(list(self.argv), cwd=self.cwd, stdout=out, stderr=out, text=True, check=False,
                              env=BENCH_ENV)


class CommandFailed(RuntimeError):
    """A timed command did not exit as expected: its figures would measure the wrong thing."""


def check_runs(cmd: Command) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `cmd` once (a warm-up: page cache, .pyc files) and check its exit status."""
    t0 = time.perf_counter()
    proc = cmd.run(capture=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != cmd.expect:
        raise CommandFailed(
            f"{' '.join(cmd.argv[:4])}{' …' if len(cmd.argv) > 4 else ''} exited {proc.returncode} "
            f"(expected {cmd.expect}):\n{excerpt(proc.stderr or proc.stdout or '')}"
        )
    return elapsed, proc


def excerpt(output: str, head: int = 6) -> str:
    """The first lines of a failed command's output and its last line (the summary or the exception)."""
    lines = output.strip().splitlines()
    if len(lines) <= head + 1:
        return "\n".join(lines)
    return "\n".join([*lines[:head], f"… ({len(lines) - head - 1} more lines)", lines[-1]])


Sampler = Callable[[], float]


def command_sampler(cmd: Command, warmup_s: float, min_sample_s: float = 0.25) -> Sampler:
    """One sample = the mean wall time of a batch of runs; short commands run in batches long
    enough (`min_sample_s`) that timer and scheduler noise do not dominate."""
    batch = max(1, math.ceil(min_sample_s / max(warmup_s, 1e-4))) if warmup_s < min_sample_s else 1

    def sample() -> float:
        t0 = time.perf_counter()
        for _ in range(batch):
            cmd.run()
        return (time.perf_counter() - t0) / batch

    return sample


def interleaved(ours: Sampler, peer: Sampler, repeat: int) -> tuple[list[float], list[float]]:
    """`repeat` samples of each, alternating (ours, peer, peer, ours, …) so drift hits both alike."""
    a: list[float] = []
    b: list[float] = []
    for i in range(repeat):
        if i % 2 == 0:
            a.append(ours())
            b.append(peer())
        else:
            b.append(peer())
            a.append(ours())
    return a, b


# -- reporting ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    """One measure: ferryman's median against the peer's, and the target ratio. A measure whose
    commands did not run correctly has no samples and an `error` instead."""

    measure: str
    peer_name: str
    ours: list[float]
    peer: list[float]
    target: float  # the largest acceptable ratio ours / peer
    note: str = ""
    error: str | None = None

    @classmethod
    def failed(cls, measure: str, peer_name: str, target: float, error: str) -> Row:
        return cls(measure, peer_name, [], [], target, error=error)

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours) if self.ours else math.nan

    @property
    def peer_median(self) -> float:
        return statistics.median(self.peer) if self.peer else math.nan

    @property
    def ratio(self) -> float:
        return self.ours_median / self.peer_median if self.ours and self.peer else math.nan

    @property
    def ok(self) -> bool:
        return self.error is None and self.ratio <= self.target

    @property
    def status(self) -> str:
        return "ERROR" if self.error is not None else "ok" if self.ok else "MISS"

    def as_dict(self) -> dict[str, Any]:
        def num(x: float, digits: int) -> float | None:
            return None if math.isnan(x) else round(x, digits)

        return {
            "measure": self.measure,
            "peer": self.peer_name,
            "ferryman_median_s": num(self.ours_median, 6),
            "peer_median_s": num(self.peer_median, 6),
            "ratio": num(self.ratio, 4),
            "target": self.target,
            "ok": self.ok,
            "status": self.status,
            "ferryman_samples_s": [round(x, 6) for x in self.ours],
            "peer_samples_s": [round(x, 6) for x in self.peer],
            "note": self.note,
            "error": self.error,
        }


def table(rows: Sequence[Row]) -> str:
    """The report table: one line per measure, MISS in capitals where a target is missed."""
    head = ("measure", "ferryman s", "peer s", "ratio", "target", "")
    body = [
        (
            f"{r.measure} vs {r.peer_name}",
            "-" if r.error else f"{r.ours_median:.3f}",
            "-" if r.error else f"{r.peer_median:.3f}",
            "-" if r.error else f"{r.ratio:.2f}x",
            f"<= {r.target:g}x",
            r.status,
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]

    def fmt(line: tuple[str, ...]) -> str:
        numbers = [c.rjust(w) for c, w in zip(line[1:-1], widths[1:-1], strict=True)]
        cells = [line[0].ljust(widths[0]), *numbers, line[-1]]
        return "  ".join(cells).rstrip()

    rule = "-" * len(fmt(head))
    return "\n".join([fmt(head), rule, *(fmt(b) for b in body)]) + "\n"


def environment() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
    }


def outcome(rows: Sequence[Any], explain: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """The lines under a table: `explain` lines, each row's note and error, then MISS / ERROR /
    "all targets met" (rows without a target are not counted as targets). Any row with `measure`,
    `note`, `error`, `ok` and `status` will do (ndex_bench.py has rows of its own shape). Returns the
    measures that missed and those that could not be taken."""
    for line in explain:
        print(line)
    for r in rows:
        if r.note:
            print(f"  note ({r.measure}): {r.note}")
    for r in rows:
        if r.error:
            print(f"  ERROR ({r.measure}): {r.error}")
    missed = [r.measure for r in rows if r.status == "MISS"]
    failed = [r.measure for r in rows if r.error]
    print()
    if missed:
        print(f"MISS: {len(missed)} of {sum(r.ok is not None for r in rows)} targets missed: {', '.join(missed)}")
    if failed:
        print(f"ERROR: {len(failed)} of {len(rows)} measures could not be taken: {', '.join(failed)}")
    if not missed and not failed:
        print("all targets met")
    return missed, failed


def report(title: str, ws: Workspace, scale: float, repeat: int, rows: Sequence[Row], json_path: str | None) -> None:
    """Print the table (and a MISS summary) and write the figures as JSON when asked."""
    print(title)
    print(f"workspace: {ws.sizes.describe()}")
    print(f"  at {ws.root}")
    print(f"scale {scale:g}, median of {repeat} samples per side, Python {platform.python_version()}")
    print()
    print(table(rows), end="")
    missed, failed = outcome(rows)
    if json_path:
        doc = {
            "benchmark": title,
            "scale": scale,
            "repeat": repeat,
            "workspace": dataclasses.asdict(ws.sizes) | {"root": str(ws.root)},
            "environment": environment(),
            "rows": [r.as_dict() for r in rows],
            "all_ok": not missed and not failed,
        }
        Path(json_path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def arguments(description: str | None) -> argparse.ArgumentParser:
    """The options both benchmarks share."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument(
        "--repeat", type=int, default=5, metavar="N", help="samples per side; the median is reported (default 5)"
    )
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="workspace size relative to the README's (default 1: 2,000 plans, 10,000 sources); 0.01 for a smoke test",
    )
    p.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    p.add_argument("--regenerate", action="store_true", help="rebuild the cached workspace")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=DATA,
        metavar="DIR",
        help="where generated workspaces are cached (default: benchmarks/_data/, git-ignored)",
    )
    return p


def positive(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not args.scale > 0:
        parser.error("--scale must be above 0")


def main(title: str, doc: str | None, measure: Callable[[Workspace, int], list[Row]], argv: list[str] | None) -> int:
    """A benchmark script's whole run: options, the workspace, the measures, the report."""
    parser = arguments((doc or "").splitlines()[0])
    args = parser.parse_args(argv)
    positive(args, parser)
    ws = workspace(args.scale, regenerate=args.regenerate, data=args.data_dir)
    t0 = time.perf_counter()
    rows = measure(ws, args.repeat)
    report(title, ws, args.scale, args.repeat, rows, args.json)
    print(f"(measured in {time.perf_counter() - t0:.1f} s)")
    # a missed target is a finding, not a failure; a measure that could not be taken is
    return 1 if any(r.error for r in rows) else 0

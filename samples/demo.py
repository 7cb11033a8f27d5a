#!/usr/bin/env python3
"""The end-to-end demo of this workspace (`make demo` runs it from samples/).

1. starts two local NDEx servers (ferryman.testing): the source on 127.0.0.1:8765 with the account
   `curator`, the target on 127.0.0.1:8766 with `mirror`, as the copy plans in copy-plans/ name them;
2. seeds the source with a few real-looking pathway networks (the three ids human-nets.json
   lists, and more that pathways-query.json finds by searching "pathway");
3. runs the saved plan (.ferryman/plan.json, from `ferryman plan --out`): the pipe scripts, the
   IDTrack profile, and both copy plans;
4. runs the copy plans again: every network is found up to date on the target and skipped;
5. prints the tunnel line a cluster user would start for cluster.toml's [bridge].

Data of the servers lives in .ferryman/demo-ndex/ (removed at each start). Exit status: the
first failing step's.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ferryman.testing import NdexServer

HERE = Path(__file__).resolve().parent
SOURCE_PASSWORD = "demo-source-password"
TARGET_PASSWORD = "demo-target-password"

# (id or None, name, genes): the ids are those of copy-plans/human-nets.json
NETWORKS = [
    ("5bca3218-28ca-11e4-9032-90b11c72aefa", "Wnt signaling pathway (human)",
     ["WNT3A", "FZD1", "LRP6", "DVL1", "GSK3B", "AXIN1", "APC", "CTNNB1", "TCF7L2", "MYC"]),
    ("d0a24e26-28ca-11e4-9032-90b11c72aefa", "TGF-beta receptor signaling pathway",
     ["TGFB1", "TGFBR1", "TGFBR2", "SMAD2", "SMAD3", "SMAD4", "SMAD7", "SKI"]),
    ("a420aaee-4be9-11ec-b3be-0ac135e8bacf", "Notch signaling pathway",
     ["DLL1", "JAG1", "NOTCH1", "ADAM10", "PSEN1", "RBPJ", "HES1"]),
    (None, "Hedgehog signaling pathway", ["SHH", "PTCH1", "SMO", "SUFU", "GLI1", "GLI2"]),
    (None, "p53 signaling pathway", ["TP53", "MDM2", "CDKN1A", "BAX", "GADD45A"]),
    (None, "MHC class I antigen presentation", ["HLA-A", "HLA-B", "B2M", "TAP1", "TAP2", "TAPBP"]),
]


def cx(name: str, genes: list[str]) -> list[dict[str, object]]:
    """A small CX v1 network: the genes in a chain of interactions, with a name and a description."""
    nodes = [{"@id": i, "n": g, "r": f"hgnc.symbol:{g}"} for i, g in enumerate(genes)]
    edges = [{"@id": i, "s": i, "t": i + 1, "i": "interacts-with"} for i in range(len(genes) - 1)]
    return [
        {"numberVerification": [{"longNumber": 281474976710655}]},
        {"metaData": [{"name": "nodes", "elementCount": len(nodes), "version": "1.0"},
                      {"name": "edges", "elementCount": len(edges), "version": "1.0"},
                      {"name": "networkAttributes", "elementCount": 2, "version": "1.0"}]},
        {"networkAttributes": [{"n": "name", "v": name},
                               {"n": "description", "v": f"{name}: a ferryman demo network"}]},
        {"nodes": nodes},
        {"edges": edges},
        {"status": [{"error": "", "success": True}]},
    ]


def ferryman(*args: str, env: dict[str, str]) -> int:
    print(f"\n$ ferryman {' '.join(args)}", flush=True)
    exe = shutil.which("ferryman", path=os.path.dirname(sys.executable)) or "ferryman"
    return subprocess.run([exe, *args], cwd=HERE, env=env).returncode


def serve(stack: contextlib.ExitStack, role: str, user: str, password: str, port: int, data: Path) -> NdexServer:
    """A local NDEx server on 127.0.0.1:`port`, stopped when `stack` closes; SystemExit(1) with one
    line when the port is taken."""
    (data / role).mkdir(parents=True)
    try:
        server = NdexServer({user: password}, data_dir=str(data / role), port=port).start()
    except OSError as exc:
        print(f"demo: cannot start the {role} NDEx server on 127.0.0.1:{port}: {exc.strerror}", file=sys.stderr)
        raise SystemExit(1) from None
    stack.callback(server.stop)
    return server


def main() -> int:
    data = HERE / ".ferryman" / "demo-ndex"
    shutil.rmtree(data, ignore_errors=True)
    env = dict(os.environ, NDEX_SOURCE_PASSWORD=SOURCE_PASSWORD, NDEX_TARGET_PASSWORD=TARGET_PASSWORD)
    with contextlib.ExitStack() as stack:
        source = serve(stack, "source", "curator", SOURCE_PASSWORD, 8765, data)
        target = serve(stack, "target", "mirror", TARGET_PASSWORD, 8766, data)
        for network_id, name, genes in NETWORKS:
            source.add_network(cx(name, genes), "curator", visibility="PUBLIC", network_id=network_id)
        print(f"demo: NDEx source {source.url} (curator, {len(NETWORKS)} networks), "
              f"target {target.url} (mirror, empty)")
        steps = [
            ("run", ".ferryman/plan.json", "--progress", "plain"),
            ("run", ".ferryman/plan.json", "--only", "ndex:human-nets", "ndex:pathways-query", "--progress", "plain"),
            ("runs", "show", "latest"),
            ("tunnel", "--workspace", "cluster.toml"),
        ]
        for step in steps:
            code = ferryman(*step, env=env)
            if code != 0:
                return code
        print(f"\ndemo: the target holds {len(target.network_ids())} copies; the second run wrote nothing on it")
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""The real-shaped workspace: the validate benchmark's row (b') runs on files modelled on real ones.

The generated workspace of common.py is very regular (one featureset-style entry per featureset,
every source a `pipe://` to one of five scripts, one key style). A fast path tuned to it can be
slow on real files, so this module writes a workspace of the same size class whose files look like
the ones labs write (benchmarks/README.md, "The real-shaped workspace", says what is modelled on
what):

* `zmap/ZMap`: an otter-style ZMap config (the shape of `examples/ZMap` in Ensembl/zmap and of the
  configs otter writes): a commented header, `[ZMap]` with long `sources`, `columns` and `seq-data`
  lists, ZMap's display stanzas (`[ZMapWindow]`, `[blixem]`, `[columns]`, `[column-style]`,
  `[column-description]`, `[featureset-description]`, `[featureset-related]`, `[glyphs]`,
  `[logging]`), sources of six schemes (`pipe://` to otter's `filter_get` with its long argument
  list, to `bam_get` and `bigwig_get`; `file://`, `http(s)://`, `ensembl://`, `trackhub://`), gene
  sources with dozens of featuresets, a partial `[featureset-style]` (most featuresets are drawn
  in the style of their own name), per-source `stylesfile` overrides, `styles` lists, comments,
  blank lines, and keys written both `k=v` and `k = v`;
* `zmap/styles.ini` (a few hundred styles in `parent-style` trees, the keys of ZMap's example
  styles file) and `zmap/styles-rnaseq.ini` (the RNA-seq sources' own stylesfile);
* `copy-plans/`: plans in the shape of ndex-sync's example plan (Jackson's pretty printer, the
  seed's string form `"queryLimit" : "2"` in some), idList lengths with a long tail, several
  servers, `${env:...}` passwords;
* `idtrack/`: IDTrack's own externals templates, from the idtrack 0.0.5 wheel (`pip download`,
  cached under the data folder); when the download fails, the templates of gen_externals.py,
  and the workspace says so (`Workspace.note`, printed under the table).

Everything is made deterministically from the scale (and the wheel's bytes).
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

import common
import yaml
from gen_externals import generate

# bump when the real-shaped workspace changes shape, so cached copies are rebuilt
REAL_VERSION = 2

IDTRACK_REQUIREMENT = "idtrack==0.0.5"
IDTRACK_WHEEL = "idtrack-0.0.5-py3-none-any.whl"
# the wheel tests/test_idtrack_real.py knows; another file under that name is not used
IDTRACK_WHEEL_SHA256 = "be6c5dc6fca2a98d0be696ba0f17ae401d282ee68805e69a750f5fa08920d354"
ORGANISMS = common.ORGANISMS
_STRICT = ("HGNC Symbol", "EntrezGene", "UniProtKB", "RefSeq_mRNA", "Uniprot/SWISSPROT", "CCDS")

SEQUENCE = "chr6-38"
START, END = 2231363, 2588301

# -- vocabulary (names as otter and Ensembl spell them) ----------------------------------------

# Havana / Ensembl transcript classes: the featuresets of a gene source, each drawn in its own style
GENE_CLASSES = (
    "Coding", "Known_CDS", "Novel_CDS", "Putative_CDS", "Nonsense_mediated_decay", "Non_stop_decay",
    "Processed_transcript", "Retained_intron", "Putative", "Non_coding", "Antisense", "lincRNA",
    "Sense_intronic", "Sense_overlapping", "3prime_overlapping_ncRNA", "bidirectional_promoter_lncRNA",
    "Transcribed_pseudogene", "Unprocessed_pseudogene", "Processed_pseudogene", "Polymorphic_pseudogene",
    "Unitary_pseudogene", "IG_gene", "IG_pseudogene", "TR_gene", "TR_pseudogene", "Artifact", "TEC",
    "miRNA", "snoRNA", "snRNA", "rRNA", "scaRNA", "misc_RNA", "Mt_tRNA", "ribozyme", "vaultRNA",
    "Disrupted_domain", "Ambiguous_ORF", "Leaky_stop", "Readthrough",
)  # fmt: skip
GENE_PREFIXES = ("", "Ens_", "EnsEMBL_", "GENCODE_", "Havana_", "MGI_", "VEGA_")
ALIGN_SETS = (
    "EST_Human", "EST_Mouse", "EST_Other", "EST_Pig", "EST_Zebrafish", "vertebrate_mRNA", "OTF_mRNA",
    "OTF_EST", "OTF_ncRNA", "OTF_Protein", "SwissProt", "TrEMBL", "RefSeq_mRNA", "RefSeq_ncRNA",
    "RefSeq_protein", "Ens_cDNA", "cDNA_human", "cDNA_mouse", "GENCODE_cDNA", "PacBio_IsoSeq",
    "ONT_cDNA", "CAGE", "ditags", "Uniprot_IsoForms", "vertebrate_ncRNA", "invertebrate_mRNA",
    "zebrafish_mRNA", "pig_mRNA", "mouse_mRNA", "human_mRNA", "Rfam", "miRBase", "Genomic_canonical",
)  # fmt: skip
SIMPLE_SETS = (
    "polya_signal", "polya_site", "polyA_seq", "CpG", "CpG_island", "Eponine", "tRNA", "tRNAscan",
    "trf", "dust", "TATA_box", "TSS", "Augustus", "Genscan", "Fgenesh", "Halfwise", "SGP2",
    "RepeatMasker_LINE", "RepeatMasker_SINE", "RepeatMasker_LTR", "RepeatMasker_DNA",
    "RepeatMasker_Simple", "RepeatMasker_Low_complexity", "RepeatMasker_Satellite", "RepeatMasker_rRNA",
    "RepeatMasker_tRNA", "RepeatMasker_Unknown", "Segmental_dup", "Conservation", "GERP_elements",
    "dbSNP", "ClinVar", "COSMIC", "1000Genomes", "gnomAD", "HGMD", "Uniparc_ORF", "ensembl_variation",
    "Regulatory_build", "CTCF_binding", "Enhancer", "Promoter", "Open_chromatin", "TF_binding",
)  # fmt: skip
DISPLAY_STYLES = ("3 Frame", "3 Frame Translation", "DNA", "Show Translation", "Annotation", "GeneFinderFeatures")
TISSUES = (
    "adipose", "adrenal", "brain", "breast", "colon", "heart", "kidney", "liver", "lung", "lymph_node",
    "ovary", "prostate", "skeletal_muscle", "testis", "thyroid", "white_blood_cells", "placenta",
    "spleen", "stomach", "cerebellum",
)  # fmt: skip
LABS = ("Illumina_bodymap2", "GTEx", "ENCODE", "Gencode_capture", "Blueprint", "Roadmap", "FANTOM")
SPECIES_DB = (
    "homo_sapiens_core_86_38", "homo_sapiens_otherfeatures_86_38", "homo_sapiens_funcgen_86_38",
    "homo_sapiens_variation_86_38", "mus_musculus_core_86_38", "homo_sapiens_core_110_38",
    "homo_sapiens_cdna_110_38", "sus_scrofa_core_110_111",
)  # fmt: skip
# otter's server scripts (what filter_get fetches, URL-encoded as otter writes them)
SERVER_SCRIPTS = {
    "genes": "get_gff%2Fgenes",
    "dna": "get_gff%2Fdna_align_features",
    "protein": "get_gff%2Fprotein_align_features",
    "simple": "get_gff%2Fsimple_features",
    "repeat": "get_gff%2Frepeat_features",
    "predict": "get_gff%2Fpredicted_transcripts",
}
PIPE_SCRIPTS = ("filter_get", "bam_get", "bigwig_get")
# how often a source has a featureset of its own name (drawn in a style that [featureset-style] maps it
# to); the others name featuresets after styles, so [featureset-style] stays partial, as in real configs
OWN_FEATURESET = 0.02
_HUB_ID = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

_NDEX_SERVERS = (
    "http://public.ndexbio.org/v2",
    "https://www.ndexbio.org/v2",
    "https://test.ndexbio.org/v2",
    "https://dev.ndexbio.org/v2/",
    "http://localhost:8080/v2",
    "http://ndex.lab.example.org:8080/v2",
    "https://ndex.example.edu/v2",
)
_NDEX_USERS = ("cjtest", "curator", "nci-pid", "signor", "wikipathways", "ndextutorials", "reactome", "mirror")
_QUERIES = (
    "tutorial_template", "*", "NCI-PID", "SIGNOR", "WikiPathways", "TP53", "BRCA1 OR BRCA2",
    "labels:signalling", "nodeName:EGFR", "cancer AND human", "Reactome", "hallmark", "kinase",
)  # fmt: skip


# -- the workspace -----------------------------------------------------------------------------


def workspace(
    scale: float = 1.0,
    *,
    regenerate: bool = False,
    data: Path = common.DATA,
    externals: str = "wheel",
) -> common.Workspace:
    """The real-shaped workspace at `scale`, made on first use and cached under `data`.

    `externals`: "wheel" takes IDTrack's own templates from the idtrack 0.0.5 wheel (downloaded
    with pip into `data` once), falling back to gen_externals.py when that fails; "generated"
    uses gen_externals.py straight away (the fallback, for a test of it). The returned workspace's
    `note` says which was used, and why the fallback when it was."""
    if externals not in ("wheel", "generated"):
        raise ValueError(f"externals must be 'wheel' or 'generated', not {externals!r}")
    sizes = common.Sizes.at(scale)
    tag = common._scale_tag(scale) + ("" if externals == "wheel" else "-gen")
    root = data / f"realws-s{tag}-v{REAL_VERSION}"

    def write(tmp: Path) -> str:
        return _write_workspace(tmp, sizes, scale, data, externals)

    done = common.cached(root, regenerate, write, {"scale": scale, "externals": externals})
    return common.Workspace(root, sizes, scale, regenerate, kind="real-shaped", note=str(done.get("made", "")))


def _write_workspace(root: Path, sizes: common.Sizes, scale: float, data: Path, externals: str) -> str:
    rng = random.Random(f"ferryman-bench-real:{REAL_VERSION}")
    plans = _write_plans(root / "copy-plans", sizes.plans, rng)
    groups = _write_zmap(root / "zmap", sizes, rng)
    profiles, note = _write_externals(root / "idtrack", sizes, data, externals)
    _write_manifest(root / "ferryman.toml", scale, profiles, plans, groups)
    return note


def describe(ws: common.Workspace) -> str:
    """One line: what the real-shaped workspace holds."""
    text = (ws.root / "zmap" / "ZMap").read_text(encoding="utf-8")
    urls = [line.split("=", 1)[1].strip() for line in text.splitlines() if line.startswith("url")]
    schemes: dict[str, int] = {}
    for url in urls:
        scheme = url.split(":", 1)[0]
        schemes[scheme] = schemes.get(scheme, 0) + 1
    shown = ", ".join(f"{n:,} {s}" for s, n in sorted(schemes.items(), key=lambda kv: -kv[1]))
    return f"{len(ws.plan_files()):,} copy plans, {len(urls):,} sources ({shown}); {ws.note}"


# -- copy plans (ndex-sync's example plan: ndex-copy-plans/copy-account-example.json) ------------


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=1))


def _id_count(rng: random.Random) -> int:
    """idList lengths as labs' plans have them: mostly a handful, a long tail of whole collections."""
    r = rng.random()
    if r < 0.45:
        return 1
    if r < 0.80:
        return rng.randrange(2, 8)
    if r < 0.95:
        return rng.randrange(8, 60)
    return rng.randrange(60, 400)


def _pretty(value: Any, indent: str = "") -> str:
    """Jackson's default pretty printer, as ndex-sync's example plan is written: `"key" : value`,
    two-space indent, nested objects on one line, and the seed's `\\n,` after an object."""
    if isinstance(value, dict) and indent == "":
        parts = []
        for key, item in value.items():
            if isinstance(item, dict):
                inner = ", ".join(f"{json.dumps(k)} : {json.dumps(v)}" for k, v in item.items())
                parts.append(f"  {json.dumps(key)} :\n  {{ {inner} }}\n")
            elif isinstance(item, list) and len(item) > 3:
                rows = ",\n    ".join(json.dumps(v) for v in item)
                parts.append(f"  {json.dumps(key)} : [\n    {rows}\n  ]")
            else:
                parts.append(f"  {json.dumps(key)} : {json.dumps(item)}")
        return "{\n" + ",\n".join(parts) + "\n}\n"
    return json.dumps(value)


def copy_plan(rng: random.Random, seed_form: bool) -> dict[str, Any]:
    """One valid plan of either type; `seed_form` writes numbers and booleans as the seed does ("2", "true")."""
    src_route, tgt_route = rng.sample(_NDEX_SERVERS, 2)
    src_user, tgt_user = rng.choice(_NDEX_USERS), rng.choice(_NDEX_USERS)
    env = f"NDEX_{src_user.upper().replace('-', '_')}"
    plan: dict[str, Any] = {
        "planType": "IdCopyPlan",
        "source": {"route": src_route, "username": src_user, "password": "${env:" + env + "_PASSWORD}"},
        "target": {"route": tgt_route, "username": tgt_user, "password": "${env:NDEX_TARGET_PASSWORD}"},
    }
    if rng.random() < 0.55:
        plan["idList"] = [_uuid(rng) for _ in range(_id_count(rng))]
    else:
        plan["planType"] = "QueryCopyPlan"
        plan["queryString"] = rng.choice(_QUERIES)
        limit = rng.choice((1, 2, 5, 10, 20, 50, 100, 250, 1000))
        plan["queryLimit"] = str(limit) if seed_form else limit
        if rng.random() < 0.6:
            plan["queryAccountName"] = src_user
    update = rng.random() < 0.6
    flags = {"updateTargetNetwork": update, "updateReadOnlyNetwork": update and rng.random() < 0.3}
    for key, flag in flags.items():
        if key == "updateReadOnlyNetwork" and rng.random() < 0.4:
            continue  # optional: many plans leave it out
        plan[key] = ("true" if flag else "false") if seed_form else flag
    return plan


def _write_plans(folder: Path, count: int, rng: random.Random) -> list[str]:
    folder.mkdir(parents=True)
    names = []
    for i in range(count):
        plan = copy_plan(rng, seed_form=rng.random() < 0.4)
        topic = plan.get("queryString", "ids").replace("*", "all").replace(" ", "-").replace(":", "-").lower()
        name = f"{i + 1:04d}-{plan['source']['username']}-{topic}"
        style = rng.random()
        if style < 0.5:
            text = _pretty(plan)  # the seed's look
        elif style < 0.85:
            text = json.dumps(plan, indent=2) + "\n"  # an editor's or json.dump's look
        elif style < 0.95:
            text = json.dumps(plan, indent="\t") + "\n"
        else:
            text = json.dumps(plan) + "\n"  # one line, as a script writes it
        (folder / f"{name}.json").write_text(text, encoding="utf-8")
        names.append(name)
    return names


# -- ZMap config and styles ----------------------------------------------------------------------

_MODES = ("basic", "transcript", "alignment", "graph", "glyph", "sequence", "text")
_COLOURS = (
    "red", "green", "blue", "gold", "grey", "black", "white", "orange", "purple", "pink", "cyan",
    "DarkGreen", "SteelBlue", "YellowGreen", "MediumPurple", "tomato", "#e74343", "#81a634", "#4a6ef2",
    "#dc2323", "#ffe6e6", "#e6ffe6", "#7a7a7a",
)  # fmt: skip


def _colours(rng: random.Random) -> str:
    fill, border = rng.sample(_COLOURS, 2)
    sep = rng.choice((" ; ", "; ", ";"))
    out = f"normal fill {fill}{sep}normal border {border}"
    if rng.random() < 0.4:
        out += f"{sep}selected fill {rng.choice(_COLOURS)}"
    return out


class _Styles:
    """Writes a styles file: root styles, then leaf styles in `parent-style` trees."""

    def __init__(self, rng: random.Random, header: str) -> None:
        self.rng = rng
        self.lines = [f"# {line}".rstrip() for line in header.splitlines()] + ["", ""]
        self.names: list[str] = []

    def style(self, name: str, parent: str | None, mode: str | None, extra: int = 2) -> None:
        rng = self.rng
        eq = "=" if rng.random() < 0.8 else " = "
        keys: list[tuple[str, str]] = []
        if parent:
            keys.append(("parent-style", parent))
        if mode:
            keys.append(("mode", mode))
        choices = [
            ("colours", lambda: _colours(rng)),
            ("width", lambda: f"{rng.choice((4, 6, 8, 10, 12, 30, 40)):.6f}"),
            ("bump-mode", lambda: rng.choice(("overlap", "unbump", "all", "alternating", "compact"))),
            ("default-bump-mode", lambda: rng.choice(("overlap", "unbump", "compact"))),
            ("strand-specific", lambda: rng.choice(("true", "false"))),
            ("show-reverse-strand", lambda: rng.choice(("true", "false"))),
            ("max-score", lambda: f"{rng.choice((1, 4, 100, 1000)):.6f}"),
            ("min-score", lambda: f"{rng.choice((-2, 0, 1)):.6f}"),
            ("score-mode", lambda: rng.choice(("width", "alt", "percent"))),
            ("max-mag", lambda: str(rng.choice((1000, 5000, 50000)))),
            ("transcript-cds-colours", lambda: _colours(rng)),
            ("alignment-pfetchable", lambda: "true"),
            ("alignment-within-error", lambda: str(rng.choice((0, 2, 4)))),
            ("directional-ends", lambda: "true"),
            ("frame-mode", lambda: rng.choice(("always", "only-3", "only-1"))),
        ]
        for key, make in rng.sample(choices, min(len(choices), extra)):
            keys.append((key, make()))
        if rng.random() < 0.08:
            why = rng.choice(("from otter", "ensembl default", "lab override", "TODO colours"))
            self.lines.append(f"# {name}: {why}")
        self.lines.append(f"[{name}]")
        self.lines += [f"{k}{eq}{v}" for k, v in keys]
        self.lines.append("")
        self.names.append(name)

    def write(self, path: Path) -> None:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def _gene_sets(rng: random.Random) -> list[str]:
    """Featureset names of gene sources: transcript classes under several annotation prefixes."""
    return [p + c for p in GENE_PREFIXES for c in GENE_CLASSES if p == "" or rng.random() < 0.85]


def _write_styles(folder: Path, rng: random.Random, gene_sets: list[str]) -> tuple[list[str], list[str]]:
    """styles.ini (the shared file) and styles-rnaseq.ini; returns the style names of each."""
    main = _Styles(
        rng,
        "ZMap styles for the otter-style benchmark config (real-shaped: benchmarks/real_shaped.py)\n"
        "Styles inherit through parent-style; most featuresets are drawn in the style of their own name.",
    )
    main.style("root", None, None, extra=3)
    for root, mode in (
        ("basic-root", "basic"),
        ("transcript-root", "transcript"),
        ("align-root", "alignment"),
        ("graph-root", "graph"),
        ("glyph-root", "glyph"),
        ("text-root", "text"),
    ):
        main.style(root, "root", mode, extra=3)
    for name in DISPLAY_STYLES:
        main.style(name, rng.choice(("basic-root", "text-root")), None, extra=rng.randrange(0, 3))
    for prefix in GENE_PREFIXES:
        main.style(f"{prefix or 'otter_'}gene_base", "transcript-root", None, extra=3)
    for name in gene_sets:
        prefix = next((p for p in GENE_PREFIXES[1:] if name.startswith(p)), "")
        main.style(name, f"{prefix or 'otter_'}gene_base", None, extra=rng.randrange(1, 4))
    for kind in ("dna_align", "protein_align", "est_align", "ncrna_align"):
        main.style(kind, "align-root", None, extra=3)
    for name in ALIGN_SETS:
        parent = (
            "protein_align"
            if any(t in name for t in ("Prot", "prot", "Swiss", "TrEMBL", "Uniprot"))
            else ("est_align" if "EST" in name else rng.choice(("dna_align", "ncrna_align")))
        )
        main.style(name, parent, None, extra=rng.randrange(1, 4))
        if rng.random() < 0.3:
            main.style(f"{name}_trunc", name, None, extra=1)  # a truncated-view variant, ZMap's habit
    for kind in ("simple_feature", "repeat", "prediction", "variation", "regulation"):
        main.style(kind, rng.choice(("basic-root", "glyph-root")), None, extra=2)
    for name in SIMPLE_SETS:
        parent = (
            "repeat"
            if "Repeat" in name or name in ("trf", "dust")
            else "prediction"
            if name in ("Augustus", "Genscan", "Fgenesh", "Halfwise", "SGP2")
            else "variation"
            if name in ("dbSNP", "ClinVar", "COSMIC", "1000Genomes", "gnomAD", "HGMD")
            else "regulation"
            if name[0].isupper()
            and name in ("Regulatory_build", "CTCF_binding", "Enhancer", "Promoter", "Open_chromatin", "TF_binding")
            else "simple_feature"
        )
        main.style(name, parent, None, extra=rng.randrange(1, 5))
    for db in SPECIES_DB:  # what [featureset-style] maps the ensembl:// featuresets to
        main.style(f"ens_{db}", "transcript-root" if "core" in db or "cdna" in db else "basic-root", None, extra=2)
    for k in range(40):  # heatmaps and glyph styles that [column-style] and sources' styles= name
        main.style(
            f"heatmap_{k:02d}" if k < 20 else f"glyph_{k - 20:02d}",
            "graph-root" if k < 20 else "glyph-root",
            None,
            extra=3,
        )
    main.write(folder / "styles.ini")

    rnaseq = _Styles(rng, "RNA-seq styles: the bam_get / bigwig_get sources' own stylesfile")
    rnaseq.style("rnaseq-root", None, "graph", extra=4)
    for kind in ("coverage", "coverage_plus", "coverage_minus", "introns", "reads", "junctions"):
        rnaseq.style(f"rnaseq_{kind}", "rnaseq-root", "graph" if "coverage" in kind else "alignment", extra=3)
        for tissue in TISSUES:
            rnaseq.style(f"rnaseq_{kind}_{tissue}", f"rnaseq_{kind}", None, extra=1)
    rnaseq.write(folder / "styles-rnaseq.ini")
    return main.names, rnaseq.names


def _pipe_url(rng: random.Random, name: str, kind: str, analysis: str) -> str:
    """An otter filter_get url: percent-encoded values, a dozen or more arguments in its order."""
    user = rng.choice(("gb10", "jgrg", "mg13", "th2", "af5"))
    version = rng.choice((104, 105, 106))
    args = [
        ("analysis", analysis),
        ("chr", SEQUENCE),
        ("client", "otter"),
        ("cookie_jar", f"%2Fhome%2F{user}%2F.otter%2Fns_cookie_jar"),
        ("cs", "chromosome"),
        ("csver", "Otter"),
        ("dataset", rng.choice(("human", "human_test", "mouse", "pig"))),
        ("end", str(END)),
        ("gff_seqname", SEQUENCE),
        ("gff_source", name),
        ("gff_version", "3"),
        ("metakey", analysis.lower()),
        ("name", "6"),
        ("server_script", SERVER_SCRIPTS[kind]),
        ("session_dir", f"%2Fvar%2Ftmp%2Fotter_{user}%2Fv{version}.{rng.randrange(1000, 99999)}.1"),
        ("start", str(START)),
    ]
    if kind == "genes":
        args.append(("transcript_analyses", analysis))
    if kind in ("dna", "protein"):
        args.append(("feature_kind", "DnaAlignFeature" if kind == "dna" else "ProteinAlignFeature"))
        if rng.random() < 0.5:
            args.append(("db_type", rng.choice(("otherfeatures", "cdna", "rnaseq"))))
    if rng.random() < 0.3:
        args.append(("sequence_db", "1"))
    args.append(("url_root", f"https%3A%2F%2Fotter.example.org%2Fcgi-bin%2Fotter%2F{version}"))
    return "pipe:///filter_get?" + "&".join(f"{k}={v}" for k, v in args)


class _Source:
    __slots__ = ("comment", "keys", "name")

    def __init__(self, name: str, keys: list[tuple[str, str]], comment: str | None = None) -> None:
        self.name = name
        self.keys = keys
        self.comment = comment


def _write_zmap(folder: Path, sizes: common.Sizes, rng: random.Random) -> list[tuple[str, list[str]]]:
    """The config, its two stylesfiles and its three scripts; returns the server groups."""
    common.write_pipe_scripts(folder / "scripts", PIPE_SCRIPTS, seq=SEQUENCE)
    gene_sets = _gene_sets(rng)
    main_styles, _ = _write_styles(folder, rng, gene_sets)
    align_trunc = [s for s in main_styles if s.endswith("_trunc")]

    sources: list[_Source] = []
    fs_style: list[tuple[str, str]] = []  # the partial [featureset-style]: featuresets not named after a style
    descriptions: dict[str, str] = {}
    related: dict[str, str] = {}
    used: set[str] = set()

    def unique(base: str) -> str:
        name, k = base, 1
        while name.lower() in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name.lower())
        return name

    dna_done = False
    for i in range(sizes.sources):
        r = rng.random()
        keys: list[tuple[str, str]] = []
        comment = None
        if r < 0.62:  # otter filter_get sources: genes, alignments, simple features, predictions
            kind = rng.choices(list(SERVER_SCRIPTS), weights=(20, 30, 12, 20, 10, 8))[0]
            if kind == "genes":
                base = rng.choice(("Havana", "Ens_havana", "GENCODE", "EnsEMBL", "VEGA", "MGI", "Ens_merge"))
                name = unique(f"{base}_genes")
                featuresets = rng.sample(gene_sets, rng.randrange(8, min(40, len(gene_sets))))
                # the gene sources' featuresets are drawn by class; a few under another spelling's case
                featuresets = [f.lower() if rng.random() < 0.03 else f for f in featuresets]
            elif kind in ("dna", "protein"):
                base = rng.choice(ALIGN_SETS)
                name = unique(base)
                featuresets = [base]
                if rng.random() < 0.25:
                    extra = rng.sample(ALIGN_SETS, rng.randrange(1, 6))
                    featuresets += [f for f in extra if f != base]
                if rng.random() < OWN_FEATURESET:
                    own = f"{name}_{rng.choice(('sub', 'filtered', 'best', 'ucsc'))}"
                    featuresets.append(own)
                    fs_style.append((own, rng.choice(align_trunc) if align_trunc else base))
            else:
                base = rng.choice(SIMPLE_SETS)
                name = unique(base)
                featuresets = [base] + ([rng.choice(SIMPLE_SETS)] if rng.random() < 0.2 else [])
                if rng.random() < OWN_FEATURESET:
                    own = f"{name}_{SEQUENCE}"
                    featuresets.append(own)
                    fs_style.append((own, base))
            keys.append(("url", _pipe_url(rng, name, kind, base)))
            if kind == "dna" and not dna_done and rng.random() < 0.2:
                keys.append(("sequence", "true"))
                dna_done = True
            if rng.random() < 0.3:
                comment = f"sequence name in this file is {SEQUENCE}"
        elif r < 0.78:  # RNA-seq: otter's bam_get / bigwig_get, with the RNA-seq stylesfile
            tissue, lab = rng.choice(TISSUES), rng.choice(LABS)
            name = unique(f"{lab}_{tissue}")
            if rng.random() < 0.6:
                script, ext = "bam_get", "bam"
                parts = ("coverage", "introns", "reads")
            else:
                script, ext = "bigwig_get", "bw"
                parts = ("coverage_plus", "coverage_minus")
            if rng.random() < OWN_FEATURESET * 2:  # the run's own featuresets, mapped to the tissue's styles
                featuresets = [f"{name}_{part}" for part in parts]
                for fs, part in zip(featuresets, parts, strict=True):
                    fs_style.append((fs, f"rnaseq_{part}_{tissue}"))
                    descriptions[fs] = f"{lab} RNA-seq, {tissue.replace('_', ' ')} ({part.replace('_', ' ')})"
            else:  # the tissue's shared featuresets, each drawn in the style of its own name
                featuresets = [f"rnaseq_{part}_{tissue}" for part in parts]
            related.setdefault(featuresets[0], featuresets[-1])
            url = f"https%3A%2F%2Fdata.example.org%2F{lab}%2F{tissue}%2F{name}.{ext}"
            args = [
                f"--chr={SEQUENCE.split('-')[0]}",
                "--csver_remote=GRCh38",
                f"--file={url}",
                f"--gff_feature_source={name}",
                f"--gff_seqname={SEQUENCE}",
                f"--start={START}",
                f"--end={END}",
            ]
            if script == "bam_get":
                args.append(f"--strand={rng.choice((1, -1))}")
            keys.append(("url", f"pipe:///{script}?" + "&".join(args)))
            keys.append(("stylesfile", "styles-rnaseq.ini"))
        elif r < 0.85:  # local files ZMap reads itself
            tissue = rng.choice(TISSUES)
            name = unique(f"file_{tissue}_{rng.choice(('bed', 'bigbed', 'gff', 'bam'))}")
            ext = name.rsplit("_", 1)[1]
            keys.append(("url", f"file:////data/zmap/{tissue}/{name}.{ext}"))
            featuresets = [rng.choice(SIMPLE_SETS + ALIGN_SETS)]
        elif r < 0.92:  # remote files over http(s)
            tissue, lab = rng.choice(TISSUES), rng.choice(LABS)
            name = unique(f"{lab}_{tissue}_remote")
            scheme = rng.choice(("http", "https"))
            keys.append(("url", f"{scheme}://genome.example.org/~{lab.lower()}/trackHubs/{tissue}/dataFiles/{name}.bb"))
            featuresets = [rng.choice(ALIGN_SETS)]
        elif r < 0.97:  # Ensembl databases
            db = rng.choice(SPECIES_DB)
            species = db.split("_core")[0].split("_other")[0]
            name = unique(f"ens_{species}_{rng.choice(('core', 'genes', 'cdna', 'feat'))}")
            keys.append(("url", f"ensembl://anonymous:@ensembldb.ensembl.org:3306?db_name={db}&db_prefix={name}"))
            featuresets = [f"ens_{db}"]
            if rng.random() < OWN_FEATURESET * 2:
                featuresets = [f"{name}_genes", f"{name}_simple"]
                for fs in featuresets:
                    fs_style.append((fs, f"ens_{db}"))
        else:  # track hubs: the hub serves its own featuresets
            name = unique(f"trackhub_{rng.choice(LABS).lower()}")
            hub = "".join(rng.choice(_HUB_ID) for _ in range(20))  # a track hub registry id
            keys.append(("url", f"trackhub:///{hub}"))
            featuresets = []
        if featuresets:
            sep = rng.choice((" ; ", ";", " ;", "; "))
            keys.append(("featuresets", sep.join(featuresets) + (" ;" if rng.random() < 0.05 else "")))
        if rng.random() < 0.06 and not any(k == "stylesfile" for k, _ in keys):
            keys.append(("styles", " ; ".join(rng.sample(main_styles[7:], rng.randrange(1, 4)))))
        if rng.random() < 0.8:
            keys.append(("delayed", "true" if rng.random() < 0.85 else "false"))
        if rng.random() < 0.05:
            keys.append(("timeout", str(rng.choice((60, 120, 300)))))
        if rng.random() < 0.04:
            keys.append(("group", rng.choice(("always", "start", "delayed", "never"))))
        if i % 257 == 0:
            comment = rng.choice(("Source stanzas: one per data source", "otter-generated", "local additions"))
        sources.append(_Source(name, keys, comment))

    # featuresets named after themselves get a description now and then, as otter's configs do
    for st in rng.sample(sources, max(1, len(sources) // 20)):
        for key, value in st.keys:
            if key == "featuresets" and value:
                fs = value.split(";")[0].strip()
                descriptions.setdefault(fs, f"{fs.replace('_', ' ')} from {st.name}")

    names = [s.name for s in sources]
    pipe = [s.name for s in sources if s.keys[0][1].startswith("pipe:")]
    # server groups: varied sizes over the pipe sources, a few sources in two groups
    groups: list[tuple[str, list[str]]] = []
    pool = pipe[:]
    rng.shuffle(pool)
    at = 0
    for g in range(sizes.groups):
        size = min(len(pool), rng.choice((2, 3, 5, 8, 12, 20, 30, 50, 80, 150)))
        if at + size > len(pool):
            at = 0
        members = pool[at : at + size]
        at += size
        if g and rng.random() < 0.3:
            members = [*members, rng.choice(groups[-1][1])]  # sits in two groups
        label = rng.choice(("otter", "lab", "rnaseq", "ensembl", "local", "farm"))
        groups.append((f"{label}_{g + 1:03d}", list(dict.fromkeys(members))))

    columns = _columns(rng, sources, main_styles)
    out: list[str] = [
        "#",
        "# ZMap configuration for the otter-style benchmark (real-shaped: benchmarks/real_shaped.py)",
        "#",
        "# Written in the shape of the configs otter writes for a ZMap session, and of ZMap's own",
        "# example config; every url is made up, nothing here reaches a network.",
        "#",
        "",
        "",
        "#",
        "# ZMap stanza: zmap-wide settings",
        "#",
        "[ZMap]",
        f"default-sequence={SEQUENCE}",
        "",
        "# Sequence name/start/end can be given here or on the command line",
        f"sequence={SEQUENCE}",
        f"start={START}",
        f"end={END}",
        "csver=Otter",
        "dataset=human",
        "script-dir=scripts",
        "stylesfile=styles.ini",
        "cookie-jar=/home/gb10/.otter/ns_cookie_jar",
        "abbrev-window-title=true",
        "show-mainwindow = true",
        "columns = " + " ; ".join(c for c, _ in columns),
        "seq-data = " + " ; ".join(rng.sample(pipe, min(len(pipe), 40))),
        "sources = " + " ; ".join(names),
        "",
        "",
        "#",
        "# ZMapWindow stanza: general settings for the display",
        "#",
        "[ZMapWindow]",
        "canvas-maxsize = 10000",
        "colour-column-highlight = cornsilk",
        "colour-filtered-column = pink",
        "colour-frame-0 = #ffe6e6",
        "colour-frame-1 = #e6ffe6",
        "colour-frame-2 = #e6e6ff",
        "colour-masked-feature-border = dark grey",
        "colour-masked-feature-fill = light grey",
        "cursor = zmap_thincross",
        "feature-line-width = 1",
        "feature-spacing = 4.0",
        "",
        "[blixem]",
        "script = blixemh",
        "config-file = ./blixemrc",
        "dna-featuresets = " + " ; ".join(ALIGN_SETS[:7]),
        "protein-featuresets = SwissProt ; TrEMBL ; Uniprot_IsoForms",
        "featuresets = " + " ; ".join(GENE_CLASSES[:9]) + " ; polya_signal ; polya_site ; ensembl_variation",
        "homol-max = 0",
        "scope = 200000",
        "",
        "[logging]",
        "logging=true",
        "show-code=false",
        "",
        "[glyphs]",
        "up-hook=<0,0; 15,0; 15,-10>",
        "dn-hook=<0,0; 15,0; 15,10>",
        "fwd3-tri=<0,-4; -4,0; 0,4>",
        "rev3-tri=<0,-4; 4,0; 0,4>",
        "fwd5-tri=<0,-4; 4,0; 0,4>",
        "rev5-tri=<0,-4; -4,0; 0,4>",
        "",
        "#",
        "# Columns: which featuresets each column shows, in display order",
        "#",
        "[columns]",
        *(f"{c} = {' ; '.join(fs)}" for c, fs in columns),
        "",
        "[column-style]",
        *(f"{c}={rng.choice(main_styles[:7] + main_styles[-40:])}" for c, _ in columns if rng.random() < 0.4),
        "",
        "[column-description]",
        *(f"{c}={c.replace('_', ' ')} (otter)" for c, _ in columns if rng.random() < 0.5),
        "",
        "[featureset-description]",
        *(f"{fs}={text}" for fs, text in descriptions.items()),
        "",
        "[featureset-related]",
        *(f"{a}={b}" for a, b in related.items()),
        "",
        "#",
        "# Featureset styles: only the featuresets not drawn in the style of their own name",
        "#",
        "[featureset-style]",
        *(f"{fs}={style}" if rng.random() < 0.7 else f"{fs} = {style}" for fs, style in fs_style),
        "",
        "",
        "#",
        "# Source stanzas: one per data source",
        "#",
        "",
    ]
    for st in sources:
        if st.comment:
            out.append(f"# {st.comment}")
        out.append(f"[{st.name}]")
        eq = "=" if rng.random() < 0.7 else " = "
        out += [f"{k}{eq}{v}" for k, v in st.keys]
        out.append("")
    out += ["#", "# Server groups: members never run at once", "#", "[Server-groups]"]
    out += [f"{g} = {' ; '.join(members)}" for g, members in groups]
    (folder / "ZMap").write_text("\n".join(out) + "\n", encoding="utf-8")
    return groups


def _columns(rng: random.Random, sources: list[_Source], styles: list[str]) -> list[tuple[str, list[str]]]:
    """~150 display columns, each a list of featuresets (otter's column names)."""
    featuresets: list[str] = []
    for st in sources:
        for key, value in st.keys:
            if key == "featuresets":
                featuresets += [f.strip() for f in value.split(";") if f.strip()]
    featuresets = list(dict.fromkeys(featuresets))
    count = max(10, min(150, len(featuresets) // 4))
    names = ["Annotation", "DNA", "3 Frame", "3 Frame Translation", "Show Translation"]
    names += [
        f"{c}_column"
        for c in (
            "Genes",
            "ESTs",
            "mRNAs",
            "Proteins",
            "Repeats",
            "Predictions",
            "Variation",
            "Regulation",
            "RNAseq",
            "Ensembl",
            "Tracks",
        )
    ]
    k = 0
    while len(names) < count:
        k += 1
        names.append(f"{rng.choice(TISSUES + LABS)}_col{k}")
    columns = []
    for name in names:
        n = 0 if name in ("DNA", "3 Frame", "3 Frame Translation", "Show Translation") else rng.randrange(1, 30)
        columns.append((name, rng.sample(featuresets, min(n, len(featuresets))) if n else [name]))
    return columns


# -- externals (IDTrack's own templates) ---------------------------------------------------------


def idtrack_templates(data: Path) -> tuple[dict[str, bytes] | None, str]:
    """IDTrack 0.0.5's three `<organism>_externals_template.yml` files from its wheel (downloaded
    into `data` with pip once, checked against the known SHA-256), or None and the reason."""
    wheel = data / IDTRACK_WHEEL
    if not wheel.is_file() or hashlib.sha256(wheel.read_bytes()).hexdigest() != IDTRACK_WHEEL_SHA256:
        data.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=data) as tmp:
            cmd = [
                sys.executable,
                "-m",
                "pip",
                "download",
                IDTRACK_REQUIREMENT,
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "-d",
                tmp,
            ]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
            except subprocess.TimeoutExpired:
                return None, "pip download idtrack==0.0.5 timed out"
            got = Path(tmp) / IDTRACK_WHEEL
            if proc.returncode != 0 or not got.is_file():
                last = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or ["no output"]
                return None, f"pip download idtrack==0.0.5 failed: {last[0]}"
            if hashlib.sha256(got.read_bytes()).hexdigest() != IDTRACK_WHEEL_SHA256:
                return None, "the registry's idtrack 0.0.5 wheel is not the known one (SHA-256 differs)"
            got.replace(wheel)
    with zipfile.ZipFile(wheel) as zf:
        return {o: zf.read(f"idtrack/default_config/{o}_externals_template.yml") for o in ORGANISMS}, ""


def _write_externals(folder: Path, sizes: common.Sizes, data: Path, externals: str) -> tuple[list[dict[str, Any]], str]:
    folder.mkdir(parents=True)
    texts: dict[str, bytes] | None = None
    why = "asked for (externals='generated')"
    if externals == "wheel":
        texts, why = idtrack_templates(data)
    if texts is not None:
        note = "externals: IDTrack 0.0.5's own templates (from its wheel)"
    else:
        note = f"externals: FALLBACK to gen_externals.py templates ({why})"
        texts = {o: generate(o, sizes.databases, sizes.assembly_blocks).encode() for o in ORGANISMS}
    profiles = []
    for organism in ORGANISMS:
        template = folder / f"{organism}_externals_template.yml"
        template.write_bytes(texts[organism])
        doc = yaml.load(texts[organism], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        forms = doc[organism]
        known = {db for dbs in forms.values() for db in dbs}
        allow = [n for n in _STRICT if n in known] or sorted(known)[:3]
        releases = common.template_releases(forms)
        profiles.append(
            {
                "name": organism.split("_")[0] + "-strict",
                "organism": organism,
                "template": f"idtrack/{template.name}",
                "allow": allow,
                "release": max(releases),
                "output": f"idtrack/{organism}_externals_modified.yml",
            }
        )
    return profiles, note


def _write_manifest(
    path: Path, scale: float, profiles: list[dict[str, Any]], plans: list[str], groups: list[tuple[str, list[str]]]
) -> None:
    lines = [
        f"# real-shaped benchmark workspace (benchmarks/real_shaped.py, scale {scale:g}); do not edit",
        "",
        "[workspace]",
        f'name = "realws-s{common._scale_tag(scale)}"',
        'state_dir = ".ferryman"',
        "max_parallel = 6",
        "per_host_limit = 2",
        "",
        "[zmap]",
        'config = "zmap/ZMap"',
        f'region = {{ sequence = "{SEQUENCE}", start = {START}, end = {END} }}',
        "timeout_s = 300",
        "",
        "[ndex]",
        'plans = "copy-plans"',
        "",
        "[groups]",
    ]
    lines += [f"{name} = {1 + len(members) // 40}" for name, members in groups if len(members) >= 40]
    for prof in profiles:
        lines += ["", "[[profiles]]"] + [f"{k} = {common._toml(v)}" for k, v in prof.items()]
    for i, prof in enumerate(profiles):
        lines += ["", "[[after]]", f'task = "ndex:{plans[i % len(plans)]}"', f'needs = ["profile:{prof["name"]}"]']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

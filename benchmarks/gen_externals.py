"""Generate IDTrack external-database YAML of real size, for the validate benchmark and tests.

The output has the shape and the look of the files IDTrack ships (`<organism>_externals_template.yml`):
four-space indentation, double-quoted assembly keys, release lists written plain when they hold a
comma and quoted when they hold one release, every `Include: false`.

    python benchmarks/gen_externals.py homo_sapiens > homo_sapiens_externals_template.yml
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys

# assembly -> the Ensembl releases it was current for (plus archive releases, as IDTrack lists them)
ASSEMBLIES: dict[str, dict[str, range]] = {
    "homo_sapiens": {"36": range(48, 55), "37": range(55, 115), "38": range(76, 116)},
    "mus_musculus": {"37": range(48, 68), "38": range(68, 103), "39": range(103, 116)},
    "sus_scrofa": {"9": range(56, 67), "102": range(67, 100), "111": range(90, 116)},
}

FORMS = ("gene", "transcript", "translation")
_FORM_SHARE = (0.40, 0.33, 0.27)  # IDTrack's human file: 55 / 50 / 43 databases

# names seen in Ensembl xref tables, per form; more are derived from them to reach real size
_NAMES: dict[str, tuple[str, ...]] = {
    "gene": (
        "ArrayExpress",
        "Clone-based (Ensembl) gene",
        "DBASS3",
        "DBASS5",
        "EntrezGene",
        "Expression Atlas",
        "GeneCards",
        "HGNC",
        "HGNC Symbol",
        "Havana gene",
        "LRG display in Ensembl gene",
        "MIM_GENE",
        "MIM_MORBID",
        "NCBI gene (formerly Entrezgene)",
        "OTTG",
        "RFAM",
        "Reactome gene",
        "UniProtKB Gene Name",
        "Uniprot_gn",
        "Vega gene",
        "WikiGene",
        "miRBase",
        "synonym_id::EntrezGene",
    ),
    "transcript": (
        "CCDS",
        "Clone-based (Ensembl) transcript",
        "ENS_LRG_transcript",
        "HGNC transcript name",
        "Havana transcript",
        "OTTT",
        "RFAM transcript name",
        "RefSeq_mRNA",
        "RefSeq_mRNA_predicted",
        "RefSeq_ncRNA",
        "RefSeq_ncRNA_predicted",
        "Reactome transcript",
        "UCSC Stable ID",
        "Vega transcript",
        "miRBase transcript name",
    ),
    "translation": (
        "EMBL",
        "GO",
        "IPI",
        "Interpro",
        "PDB",
        "Protein_id",
        "RefSeq_peptide",
        "RefSeq_peptide_predicted",
        "Uniprot/SPTREMBL",
        "Uniprot/SWISSPROT",
        "Uniprot/Varsplic",
        "UniParc",
        "Vega translation",
        "Ens_Hs_translation",
        "OTTP",
    ),
}
_SUFFIXES = (" (curated)", " (automatic)", " transcript name", "_predicted", " Symbol", "_gene", " ID")
_PLAIN_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9 _./()'+-]*(?:::[A-Za-z0-9 _./()'+-]+)*$")


def _key(name: str) -> str:
    """A mapping key as IDTrack's files write it: plain when YAML reads it back unchanged."""
    return name if _PLAIN_KEY.match(name) and not name.endswith(" ") else json.dumps(name)


def _release_list(rng: random.Random, span: range) -> str:
    """A run of consecutive releases inside `span`, sometimes with one release missing."""
    first = rng.randrange(span.start, span.stop)
    # most databases are still exported in the assembly's last release
    last = span.stop - 1 if rng.random() < 0.6 else rng.randrange(first, span.stop)
    releases = list(range(first, last + 1))
    if len(releases) > 4 and rng.random() < 0.2:
        releases.pop(rng.randrange(1, len(releases) - 1))
    return ",".join(map(str, releases))


def _names(rng: random.Random, form: str, count: int) -> list[str]:
    names = list(_NAMES[form][:count])
    seen = set(names)
    while len(names) < count:
        base = rng.choice(_NAMES[form])
        candidate = base + rng.choice(_SUFFIXES)
        if candidate in seen:
            candidate = f"{base} {len(names)}"
        seen.add(candidate)
        names.append(candidate)
    return sorted(names, key=str.lower)  # IDTrack writes databases sorted


def generate(organism: str, databases: int = 270, assembly_blocks: int = 470, seed: int = 0) -> str:
    """YAML text of one organism's externals template: `databases` databases over the three forms
    holding `assembly_blocks` assembly blocks in all. Same arguments, same text."""
    if organism not in ASSEMBLIES:
        raise ValueError(f"unknown organism {organism!r} (known: {', '.join(ASSEMBLIES)})")
    assemblies = ASSEMBLIES[organism]
    if not databases <= assembly_blocks <= databases * len(assemblies):
        raise ValueError(f"{assembly_blocks} assembly blocks cannot be spread over {databases} databases")
    rng = random.Random(f"{organism}:{seed}")

    counts = [round(databases * share) for share in _FORM_SHARE]
    counts[0] += databases - sum(counts)
    per_form = {form: _names(rng, form, n) for form, n in zip(FORMS, counts, strict=True)}

    # every database has one block; the rest go to random databases that still lack an assembly
    slots = [(form, i) for form in FORMS for i in range(len(per_form[form]))]
    blocks = dict.fromkeys(slots, 1)
    extra = assembly_blocks - databases
    while extra:
        slot = rng.choice(slots)
        if blocks[slot] < len(assemblies):
            blocks[slot] += 1
            extra -= 1

    index = {name: i for i, name in enumerate(sorted({n for ns in per_form.values() for n in ns}))}
    out = [f"{organism}:"]
    for form in FORMS:
        out.append(f"    {form}:")
        for i, name in enumerate(per_form[form]):
            chosen = sorted(rng.sample(sorted(assemblies), blocks[(form, i)]))
            out.append(f"        {_key(name)}:")
            out.append("            Assembly:")
            for asm in chosen:
                releases = _release_list(rng, assemblies[asm])
                written = releases if "," in releases else f'"{releases}"'
                out.append(f'                "{asm}":')
                out.append(f"                    Ensembl release: {written}")
                out.append("                    Include: false")
            out.append(f"            Database Index: {index[name]}")
            out.append('            Potential Synonymous: ""')
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("organism", choices=sorted(ASSEMBLIES))
    p.add_argument("--databases", type=int, default=270)
    p.add_argument("--assembly-blocks", type=int, default=470)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    sys.stdout.write(generate(args.organism, args.databases, args.assembly_blocks, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m ferryman.runtime.gff`: print which GFF3 fast path is in use (docs/gff.md, "Speed")."""

from .native import path_in_use

print(f"GFF3 fast path: {path_in_use()}")

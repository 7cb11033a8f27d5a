"""Streaming GFF2/GFF3 checker (docs/gff.md).

`GffChecker` takes bytes as they arrive (`feed`), in chunks of any size, and reports `GffError`s
that name the line; `close()` ends the stream. The pipe executor feeds a script's stdout through it
and may stop early once `limit_reached`. `check_file`, `check_stream` and `check_bytes` wrap it.

The parts: `model` (results, the report, helpers), `gff3` (the reference line-by-line check and
the state of IDs, parents and CDS chains), `fast` (the whole-chunk fast path over that state),
`gff2`, `checker` (bytes to lines, the line length limit, the version line), and the compiled
fast path `_scan` (runtime/gff/_scan.c) with `native`, which says whether it is in use.
"""

from .checker import GffChecker, check_bytes, check_file, check_stream
from .model import LINE_LIMIT, GffError, GffResult

__all__ = ["LINE_LIMIT", "GffChecker", "GffError", "GffResult", "check_bytes", "check_file", "check_stream"]

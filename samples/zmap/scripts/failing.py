#!/usr/bin/env python3
"""failing.py - a ZMap pipe server that fails: a message on stderr and exit status 2.

Arguments: source=NAME (the name written to the trace file; default failing); the rest are
ignored. When FERRYMAN_TRACE names a file, one line "NAME START END" is appended to it.
"""

import sys
import time

from demotrace import trace


def main(argv):
    started = time.time()
    args = dict(a.split("=", 1) for a in argv if "=" in a)
    sys.stderr.write(
        "failing.py: error: cannot connect to the annotation database at db.example.org:5432 (connection refused)\n"
    )
    trace(args.get("source", "failing"), started)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

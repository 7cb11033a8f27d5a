#!/usr/bin/env python3
"""notgff.py - a ZMap pipe server that answers with something that is not GFF.

It prints the HTML error page a misconfigured web proxy would return, and exits 0, as such
scripts often do. Arguments: source=NAME (the name written to the trace file; default notgff);
the rest are ignored. When FERRYMAN_TRACE names a file, one line "NAME START END" is appended.
"""

import sys
import time

from demotrace import trace


def main(argv):
    started = time.time()
    args = dict(a.split("=", 1) for a in argv if "=" in a)
    sys.stdout.write(
        "<html>\n<head><title>502 Bad Gateway</title></head>\n"
        "<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response.</p></body>\n"
        "</html>\n"
    )
    sys.stdout.flush()
    trace(args.get("source", "notgff"), started)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

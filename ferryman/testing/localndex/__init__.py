"""A local NDEx v2-compatible server (docs/ndex.md, "Local NDEx server").

Needs the `ndex-server` extra (werkzeug, ijson). `NdexServer` is the running server;
`parse_rule` reads a fault rule.
"""

from __future__ import annotations

from .faults import FaultRule, FaultSpecError, parse_rule
from .server import NdexServer

__all__ = ["FaultRule", "FaultSpecError", "NdexServer", "parse_rule"]

"""ferryman: a declarative config compiler and runner for ZMap pipe servers, NDEx copy plans and
IDTrack external-database profiles.

Heavy modules are imported only by the functions that need them, so `import ferryman` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

"""The compiled parts of ferryman: the GFF3 checker's fast path (runtime/gff/_scan.c, docs/gff.md)
and the helper that starts pipe scripts (runtime/_spawn.c, docs/run.md "Pipe tasks").

Everything else is in pyproject.toml. `pip install -e .` and wheel builds compile the extension
with the system C compiler; if that fails the install goes on: the checker uses its pure-Python
path (`python -m ferryman.runtime.gff` says which one is in use) and scripts start through
`setpriv` (`python -m ferryman.runtime.process` says which way).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ferryman.runtime.gff._scan",
            sources=["runtime/gff/_scan.c"],
            optional=True,
        ),
        Extension(
            "ferryman.runtime._spawn",
            sources=["runtime/_spawn.c"],
            optional=True,
        ),
    ]
)

"""The compiled part of ferryman: the GFF3 checker's fast path (runtime/gff/_scan.c, docs/gff.md).

Everything else is in pyproject.toml. `pip install -e .` and wheel builds compile the extension
with the system C compiler; if that fails the install goes on and the checker uses its
pure-Python path (`python -m ferryman.runtime.gff` says which one is in use).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "ferryman.runtime.gff._scan",
            sources=["runtime/gff/_scan.c"],
            optional=True,
        )
    ]
)

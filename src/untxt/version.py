"""untxt's version, read once from the installed package's metadata (``pyproject.toml``)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("untxt")
except PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]

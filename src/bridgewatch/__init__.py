"""bridgewatch: crowdsourced context notes scored by bridging matrix factorization."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bridgewatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]

# Sets the allocator configuration of polars before any module loads polars.
from bridgewatch import _allocator  # noqa: F401

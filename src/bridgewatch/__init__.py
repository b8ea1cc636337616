"""bridgewatch: crowdsourced context notes scored by bridging matrix factorization."""

import os
from importlib.metadata import PackageNotFoundError, version

# polars allocates through its own jemalloc, which by default keeps freed pages (up to
# several GiB after loading 20M ratings) while numpy allocates elsewhere, so the peak of
# loading stayed resident for the whole run. A background thread returning freed pages after
# half a second costs no measurable CPU. It only takes effect when bridgewatch is imported
# before polars; a value set by the user wins.
os.environ.setdefault(
    "_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0"
)

try:
    __version__ = version("bridgewatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]

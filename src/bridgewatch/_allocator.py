"""Memory settings that must be in place before polars loads (imported by the package).

polars allocates through its own jemalloc, which by default keeps freed pages (up to several
GiB after loading 20M ratings) while numpy allocates elsewhere, so the peak of loading stayed
resident for the whole run. A background thread returning freed pages after half a second
costs no measurable CPU. It only takes effect when bridgewatch is imported before polars; a
value set by the user wins.
"""

import os

os.environ.setdefault(
    "_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0"
)

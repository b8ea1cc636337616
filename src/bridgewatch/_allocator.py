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


def release_free_heap() -> bool:
    """Return the C heap's free pages to the OS (glibc ``malloc_trim(0)``).

    numpy allocates through the C heap. After many temporaries of a few MB (a large input
    read a piece at a time) glibc keeps their freed pages (its mmap threshold rises after
    the first large frees, so later ones come from the heap), ~110 MB after loading 10M
    ratings, which then stayed resident for the whole run. Returns whether the call was
    available (False off glibc; then nothing happens).
    """
    import ctypes

    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return False
    trim(0)
    return True

"""External ids that look like the public data's: 64-hex participant ids, snowflake note ids."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["SNOWFLAKE_EPOCH_MS", "participant_ids", "snowflake_ids"]

# X's snowflake epoch (2010-11-04T01:42:54.657Z): ids are (ms - epoch) << 22 | low bits.
SNOWFLAKE_EPOCH_MS = 1_288_834_974_657

_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def participant_ids(rng: np.random.Generator, n: int) -> NDArray[np.str_]:
    """``n`` random participant ids of 64 upper-case hex digits (256 random bits each).

    Parameters
    ----------
    rng : the generator to draw from.
    n : how many ids.

    Returns
    -------
    str array of shape (n,), dtype ``<U64``. Collisions have probability about n**2 / 2**257.
    """
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    digits = np.empty((n, 64), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 15]
    return np.ascontiguousarray(digits).view("S64").ravel().astype(np.str_)


def snowflake_ids(created_at_ms: NDArray[np.int64]) -> NDArray[np.int64]:
    """Snowflake ids for items created at the given times: timestamp bits, then the row index.

    Parameters
    ----------
    created_at_ms : int64 array of shape (n,), n <= 2**22, every time after the snowflake epoch.

    Returns
    -------
    int64 array of shape (n,): ``(created_at_ms - epoch) << 22 | row``; unique because the row
    fills the 22 low bits, and ordered like ``created_at_ms`` where the times differ.
    """
    rows = np.arange(created_at_ms.shape[0], dtype=np.int64)
    return ((created_at_ms - SNOWFLAKE_EPOCH_MS) << 22) | rows

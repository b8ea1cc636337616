"""Established raters: enrolled participants whose weight predates the data being scored
(``EstablishmentConfig``). A pure kernel over per-participant enrollment facts."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.reputation.config import EstablishmentConfig

__all__ = ["established_raters"]


def established_raters(
    enrolled: NDArray[np.bool_],
    state: NDArray[np.int8],
    last_change_ms: NDArray[np.int64],
    now_ms: int,
    config: EstablishmentConfig,
) -> NDArray[np.bool_]:
    """Which participants are established.

    Parameters
    ----------
    enrolled : bool array of shape (n_participants,), the participant has an enrollment row.
    state : int8 array of shape (n_participants,), ``EnrollmentState`` code (-1 unknown).
    last_change_ms : int64 array of shape (n_participants,), ``timestampOfLastStateChange``
        in ms since the epoch (for a ``newUser``: the account's creation).
    now_ms : the run's present, ms (the newest rating's time).
    config : EstablishmentConfig

    Returns
    -------
    bool array of shape (n_participants,): enrolled and (proven state, or last state change
    at least ``min_age_days`` before ``now_ms``).
    """
    n = enrolled.shape[0]
    for name, arr in (("state", state), ("last_change_ms", last_change_ms)):
        if arr.shape != (n,):
            raise ConfigError(name, arr.shape, f"shape ({n},) like enrolled")
    proven = np.isin(state, np.fromiter(sorted(config.proven_states), dtype=np.int64))
    aged = last_change_ms <= now_ms - config.min_age_ms
    out: NDArray[np.bool_] = enrolled & (proven | aged)
    return out

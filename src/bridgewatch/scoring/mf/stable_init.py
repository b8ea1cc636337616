"""Round-1 MF with stable initialisation (scoring-core.md §4.2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.scoring.mf.als import fit_mf
from bridgewatch.scoring.mf.config import MFConfig
from bridgewatch.scoring.mf.params import MFInit, MFResult

__all__ = ["StableInitResult", "fit_with_stable_init"]


@dataclass(frozen=True)
class StableInitResult:
    """The two fits of §4.2.

    Parameters
    ----------
    stable : MFResult
        The fit on the stable subset (random start, sign-identified). Entities outside the
        subset have NaN parameters.
    full : MFResult
        The fit on all ratings started from ``stable`` (entities outside the subset start
        at 0, μ from ``stable``), sign-identified: the round-1 params.
    """

    stable: MFResult
    full: MFResult


def fit_with_stable_init(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    values: NDArray[np.floating],
    *,
    stable: NDArray[np.bool_],
    n_notes: int,
    n_raters: int,
    rng: np.random.Generator,
    config: MFConfig | None = None,
) -> StableInitResult:
    """Fit MF on a stable subset of the ratings, then on all of them from that start (§4.2).

    Both fits use one index space, so the subset's parameters (NaN outside it) become the
    full fit's initial values directly, with the §3.3 rule that missing rows start at 0.

    Parameters
    ----------
    note_idx, rater_idx, values : arrays of shape (n_ratings,)
        As for :func:`fit_mf`.
    stable : bool array of shape (n_ratings,)
        The ratings of the stable-initialisation subset (in Core: group-13 raters on notes
        that are mostly rated by them). Must select at least one rating.
    n_notes, n_raters : int
    rng : numpy.random.Generator
        Draws the subset fit's Xavier-uniform factors.
    config : MFConfig, default MFConfig()
    """
    if stable.shape != values.shape or stable.dtype != np.bool_:
        raise InputError("must be a bool mask with one entry per rating", field="stable")
    if not np.any(stable):
        raise InputError("selects no ratings; the reference stops here too", field="stable")
    first = fit_mf(
        note_idx[stable],
        rater_idx[stable],
        values[stable],
        n_notes=n_notes,
        n_raters=n_raters,
        config=config,
        rng=rng,
    )
    full = fit_mf(
        note_idx,
        rater_idx,
        values,
        n_notes=n_notes,
        n_raters=n_raters,
        config=config,
        init=MFInit.from_params(first.params),
        # Draws nothing unless the config's normalized loss needs stage-2 note factors.
        rng=rng,
    )
    return StableInitResult(stable=first, full=full)

"""Hypothesis strategies for property tests across the project: small simulated communities.

Examples
--------
>>> from hypothesis import given
>>> from bridgewatch.sim.strategies import labelled_ratings
>>> @given(labelled_ratings(max_raters=30))
... def test_scores_are_finite(data): ...
"""

from __future__ import annotations

from hypothesis import strategies as st

from bridgewatch.sim.arrays import LabelledRatings, simulate_ratings
from bridgewatch.sim.config import BrigadeConfig, BrigadeGoal, SimConfig
from bridgewatch.sim.simulate import Community, simulate

__all__ = ["brigade_configs", "communities", "labelled_ratings", "sim_configs"]


@st.composite
def brigade_configs(draw: st.DrawFn, *, max_members: int = 6) -> BrigadeConfig:
    """A small brigade of 1..max_members accounts attacking 1..3 notes."""
    return BrigadeConfig(
        n_members=draw(st.integers(1, max_members)),
        n_targets=draw(st.integers(1, 3)),
        goal=draw(st.sampled_from(list(BrigadeGoal))),
        camp=draw(st.sampled_from([-1, 1])),
        account_age_days=draw(st.floats(1.0, 10.0)),
        organic_ratings=draw(st.integers(0, 3)),
        max_reaction_minutes=draw(st.floats(1.0, 60.0)),
    )


@st.composite
def sim_configs(
    draw: st.DrawFn,
    *,
    min_raters: int = 4,
    max_raters: int = 40,
    max_notes: int = 30,
    max_ratings_per_note: int = 12,
    polarization: float | None = None,
    max_brigades: int = 0,
) -> SimConfig:
    """A ``SimConfig`` for a tiny community ("n raters in two camps").

    Parameters
    ----------
    min_raters, max_raters : range of organic raters (min_raters >= 2).
    max_notes : at most this many notes (at least 1).
    max_ratings_per_note : organic ratings are about n_notes times a number up to this.
    polarization : fixed camp separation, or None to draw one in [0, 2].
    max_brigades : up to this many brigades (0: no adversaries).
    """
    n_raters = draw(st.integers(min_raters, max_raters))
    n_notes = draw(st.integers(1, max_notes))
    per_note = draw(st.integers(0, max_ratings_per_note))
    brigades = tuple(draw(st.lists(brigade_configs(), max_size=max_brigades)))
    return SimConfig(
        seed=draw(st.integers(0, 2**32 - 1)),
        n_notes=n_notes,
        n_raters=n_raters,
        n_ratings=n_notes * per_note,
        days=draw(st.floats(10.0, 60.0)),
        polarization=draw(st.floats(0.0, 2.0)) if polarization is None else polarization,
        one_sided_share=draw(st.floats(0.0, 1.0)),
        brigades=brigades,
    )


def communities(
    *,
    min_raters: int = 4,
    max_raters: int = 40,
    max_notes: int = 30,
    max_ratings_per_note: int = 12,
    polarization: float | None = None,
    max_brigades: int = 0,
) -> st.SearchStrategy[Community]:
    """Small simulated communities (frames in the public layout plus ground truth); the
    parameters are those of ``sim_configs``."""
    configs = sim_configs(
        min_raters=min_raters,
        max_raters=max_raters,
        max_notes=max_notes,
        max_ratings_per_note=max_ratings_per_note,
        polarization=polarization,
        max_brigades=max_brigades,
    )
    return configs.map(simulate)


def labelled_ratings(
    *,
    min_raters: int = 4,
    max_raters: int = 40,
    max_notes: int = 30,
    max_ratings_per_note: int = 12,
    polarization: float | None = None,
    max_brigades: int = 0,
) -> st.SearchStrategy[LabelledRatings]:
    """Small simulated ``bridgewatch.model.Ratings`` with aligned ground truth (camps,
    positions, note quality and slant); the parameters are those of ``sim_configs``."""
    configs = sim_configs(
        min_raters=min_raters,
        max_raters=max_raters,
        max_notes=max_notes,
        max_ratings_per_note=max_ratings_per_note,
        polarization=polarization,
        max_brigades=max_brigades,
    )
    return configs.map(simulate_ratings)

"""Configuration of contributor scoring and enrollment (scoring-extended.md §2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.helpfulness.config import ValidRatingsConfig

__all__ = ["EnrollmentConfig"]

_DAY_MS = 86_400_000


@dataclass(frozen=True)
class EnrollmentConfig:
    """Constants of valid ratings, impact, the enrollment state machine and recognitions.

    Parameters
    ----------
    valid : ValidRatingsConfig
        Which ratings count (§2.2): the 48 h ``publicTSVTimeDelay``, the 2022-05-19
        tombstone launch before which the first-5 rule applies; the same rules as
        prescoring's valid ratings (core §4.4).
    max_history_earn_out : int
        Size of the recent-notes window of the state machine (5, ``maxHistoryEarnOut``, §2.4).
    at_risk_crnh_count : int
        CRNH notes in the window that put a writer at risk (2); more earn the writer out
        (§2.5).
    rating_impact_for_earn_in : int
        Earn-in target of new users and the base of every target (5, §2.6).
    top_writer_writing_impact : int
        Minimum writing impact of a Top Writer (10, §2.7).
    top_writer_hit_rate : float
        Minimum (CRH - CRNH) / max(1, notes) of a Top Writer (0.04, §2.7).
    exclude_api_users_from_single_trigger : bool
        The reference's single-trigger earn-out (§2.5 step 5) also hits API writers (states
        6-8) and turns them into earned-out humans. False (default) replicates it; True
        implements the recommended behaviour.
    emerging_mean_note_score : float
        An emerging writer's mean Core note intercept must exceed this (0.3, §2.7).
    emerging_min_recent_ratings : int
        ... and their notes must have at least this many ratings in the recent window (10).
    recent_note_window_short_ms : int
        Window of the ``*Total14d`` counts before the newest note (14 days, §2.7).
    recent_note_window_long_ms : int
        Window of the ``*Total90d`` counts (90 days).
    recent_note_min_ratings : int
        A 14-day note that is neither CRH nor CRNH counts only with this many ratings (10).
    """

    valid: ValidRatingsConfig = field(default_factory=ValidRatingsConfig)
    max_history_earn_out: int = 5
    at_risk_crnh_count: int = 2
    rating_impact_for_earn_in: int = 5
    top_writer_writing_impact: int = 10
    top_writer_hit_rate: float = 0.04
    exclude_api_users_from_single_trigger: bool = False
    emerging_mean_note_score: float = 0.3
    emerging_min_recent_ratings: int = 10
    recent_note_window_short_ms: int = 14 * _DAY_MS
    recent_note_window_long_ms: int = 90 * _DAY_MS
    recent_note_min_ratings: int = 10

    def __post_init__(self) -> None:
        positive = (
            "max_history_earn_out",
            "recent_note_window_short_ms",
            "recent_note_window_long_ms",
        )
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(name, getattr(self, name), "an integer >= 1")
        non_negative = (
            "rating_impact_for_earn_in",
            "top_writer_writing_impact",
            "emerging_min_recent_ratings",
            "recent_note_min_ratings",
        )
        for name in non_negative:
            if getattr(self, name) < 0:
                raise ConfigError(name, getattr(self, name), "an integer >= 0")
        if not 1 <= self.at_risk_crnh_count < self.max_history_earn_out:
            raise ConfigError(
                "at_risk_crnh_count",
                self.at_risk_crnh_count,
                f"1 <= count < max_history_earn_out ({self.max_history_earn_out})",
            )
        if not 0.0 <= self.top_writer_hit_rate <= 1.0:
            raise ConfigError("top_writer_hit_rate", self.top_writer_hit_rate, "0 <= rate <= 1")

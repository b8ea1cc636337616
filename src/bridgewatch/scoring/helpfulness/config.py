"""Configuration of rater/author helpfulness scoring (scoring-core.md §4.1, §4.2, §4.4, §4.5)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridgewatch.errors import ConfigError

__all__ = ["HelpfulnessConfig", "StableInitConfig", "TrainingFilterConfig", "ValidRatingsConfig"]


@dataclass(frozen=True)
class TrainingFilterConfig:
    """Minimum counts of the one-pass training filter note -> rater -> note (§4.1).

    Parameters
    ----------
    min_ratings_per_note : ratings a note needs (5).
    min_ratings_per_rater : ratings a rater needs after the first note pass (10).
    """

    min_ratings_per_note: int = 5
    min_ratings_per_rater: int = 10

    def __post_init__(self) -> None:
        if self.min_ratings_per_note < 0:
            raise ConfigError("min_ratings_per_note", self.min_ratings_per_note, "an int >= 0")
        if self.min_ratings_per_rater < 0:
            raise ConfigError("min_ratings_per_rater", self.min_ratings_per_rater, "an int >= 0")


@dataclass(frozen=True)
class StableInitConfig:
    """The stable-initialization subset of MF round 1 (§4.2).

    Parameters
    ----------
    modeling_group : the enrollment group whose ratings seed the first fit (13).
    min_group_share : share of a note's enrolled ratings that must come from that group (0.75).
    min_ratings : enrolled ratings a note needs (5).
    """

    modeling_group: int = 13
    min_group_share: float = 0.75
    min_ratings: int = 5

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_group_share <= 1.0:
            raise ConfigError("min_group_share", self.min_group_share, "0 <= share <= 1")
        if self.min_ratings < 0:
            raise ConfigError("min_ratings", self.min_ratings, "an int >= 0")


@dataclass(frozen=True)
class ValidRatingsConfig:
    """Which ratings count toward rater helpfulness (§4.4).

    Parameters
    ----------
    public_delay_ms : a rating is valid only if made less than this after note creation
        (48 h = 172800000 ms).
    tombstone_launch_ms : notes created before this instant use the first-N rule
        (1652918400000, 2022-05-19 UTC).
    first_n_old_notes : the N of the first-N rule (5).
    """

    public_delay_ms: int = 172_800_000
    tombstone_launch_ms: int = 1_652_918_400_000
    first_n_old_notes: int = 5

    def __post_init__(self) -> None:
        if self.public_delay_ms <= 0:
            raise ConfigError("public_delay_ms", self.public_delay_ms, "a positive duration")
        if self.first_n_old_notes < 0:
            raise ConfigError("first_n_old_notes", self.first_n_old_notes, "an int >= 0")


@dataclass(frozen=True)
class HelpfulnessConfig:
    """Author and rater helpfulness and the ``aboveHelpfulnessThreshold`` gate (§4.5).

    The harassment penalty's constants belong to ``HarassmentConfig``.

    Parameters
    ----------
    crnh_multiplier : weight of the CRNH ratio in ``crhCrnhRatioDifference`` (5).
    min_crh_crnh_ratio_difference : author condition (0.0).
    min_mean_note_score : author condition on the mean round-1 intercept (0.05).
    min_rater_agree_ratio : rater condition, with and without harassment penalty (0.66).
    valid : ValidRatingsConfig
    """

    crnh_multiplier: float = 5.0
    min_crh_crnh_ratio_difference: float = 0.0
    min_mean_note_score: float = 0.05
    min_rater_agree_ratio: float = 0.66
    valid: ValidRatingsConfig = field(default_factory=ValidRatingsConfig)

    def __post_init__(self) -> None:
        if self.crnh_multiplier < 0:
            raise ConfigError("crnh_multiplier", self.crnh_multiplier, "a value >= 0")
        if not 0.0 <= self.min_rater_agree_ratio <= 1.0:
            raise ConfigError("min_rater_agree_ratio", self.min_rater_agree_ratio, "0..1")

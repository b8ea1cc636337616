"""Configuration of the preprocessing stage (scoring-core.md §2.3, §2.4, Appendix A)."""

from __future__ import annotations

from dataclasses import dataclass

from bridgewatch.errors import ConfigError

__all__ = ["CORE_MODELING_GROUPS", "CoreScopeConfig", "PreprocessConfig"]

# Modeling groups whose raters the Core scorer sees (scoring-core.md §2.4).
CORE_MODELING_GROUPS: frozenset[int] = frozenset({1, 2, 3, 6, 8, 9, 10, 11, 13, 14, 19, 21, 25})

_DAY_MS = 86_400_000


@dataclass(frozen=True)
class PreprocessConfig:
    """Hyperparameters of the filters applied to every scorer's input (scoring-core.md §2.3).

    Parameters
    ----------
    high_volume_windows_days : look-back windows, in days, for the high-volume flag (7, 28).
    high_volume_quantile : quantile of per-rater counts above which a rater is high volume.
    min_notes_for_safeguards : below this many distinct notes neither the high-volume flag nor
        the PSS coalescing is applied (200).
    not_misleading_cutoff_ms : NOT_MISLEADING notes created on or before this instant (ms since
        the epoch) are dropped (1664755200000, 2022-10-03 UTC).
    """

    high_volume_windows_days: tuple[int, ...] = (7, 28)
    high_volume_quantile: float = 0.999
    min_notes_for_safeguards: int = 200
    not_misleading_cutoff_ms: int = 1_664_755_200_000

    def __post_init__(self) -> None:
        if not self.high_volume_windows_days or any(d <= 0 for d in self.high_volume_windows_days):
            raise ConfigError(
                "high_volume_windows_days", self.high_volume_windows_days, "positive day counts"
            )
        if not 0.0 <= self.high_volume_quantile <= 1.0:
            raise ConfigError("high_volume_quantile", self.high_volume_quantile, "0 <= q <= 1")
        if self.min_notes_for_safeguards < 0:
            raise ConfigError(
                "min_notes_for_safeguards", self.min_notes_for_safeguards, "an integer >= 0"
            )

    @property
    def high_volume_windows_ms(self) -> tuple[int, ...]:
        """The windows in milliseconds."""
        return tuple(d * _DAY_MS for d in self.high_volume_windows_days)


@dataclass(frozen=True)
class CoreScopeConfig:
    """Which raters and notes the Core scorer sees (scoring-core.md §2.4).

    Parameters
    ----------
    modeling_groups : enrollment ``modelingGroup`` values in scope; raters absent from the
        enrollment file are in scope too, raters present with no group are not.
    single_population : put every rater in scope regardless of enrollment.
    min_capture_share : a note keeps its Core result only if at least this share of all its
        ratings comes from in-scope raters (0.5). None: no capture filter, every note in the
        scorer's note scope gets a row, even without ratings (ExpansionPlus and the topic
        scorers, scoring-multimodel.md §2.3).
    include_unassigned : raters absent from the enrollment file are in scope (Core and the
        broad scorers); False for group scorers (scoring-multimodel.md §1.3).
    """

    modeling_groups: frozenset[int] = CORE_MODELING_GROUPS
    single_population: bool = False
    min_capture_share: float | None = 0.5
    include_unassigned: bool = True

    def __post_init__(self) -> None:
        if not self.modeling_groups and not self.single_population:
            raise ConfigError("modeling_groups", self.modeling_groups, "a non-empty set of groups")
        if self.min_capture_share is not None and not 0.0 <= self.min_capture_share <= 1.0:
            raise ConfigError("min_capture_share", self.min_capture_share, "0 <= share <= 1")

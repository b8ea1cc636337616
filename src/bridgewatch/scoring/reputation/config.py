"""Configuration of trust propagation over the rater-note graph."""

from __future__ import annotations

from dataclasses import dataclass

from bridgewatch.errors import ConfigError

__all__ = ["PROVEN_STATES", "EstablishmentConfig", "TrustConfig"]


@dataclass(frozen=True)
class TrustConfig:
    """Personalized-PageRank trust of raters, and how the scorer uses it.

    Parameters
    ----------
    damping : probability d in (0, 1) that the walk follows an edge instead of restarting at
        a seed (0.85). The power iteration contracts the L1 error by at least d per step.
    tolerance : stop when the L1 change of the trust vector falls to this (1e-10).
    max_iterations : iteration cap (200); reaching it warns with ``ConvergenceWarning``.
    min_relative_trust : raters whose relative trust (trust over the degree-proportional
        share a walk without restarts would give them) is below this lose their ratings
        before the final fit (0.6) in "filter" mode, or get a weight below 1 in "weight"
        mode. 0 keeps every rater at full weight.
    mode : how the final fits use trust: "filter" (default) drops the ratings of raters
        below ``min_relative_trust``; "weight" keeps them with rating weight
        ``min(1, relative_trust / min_relative_trust)`` in the weighted closed-form note
        fits (a ramp instead of a step, so a rater just under the threshold still counts).
    min_seed_ratings : seeds need at least this many ratings in the graph and, in the
        scorer, this many valid ratings (on notes with a bridged outcome, §4.4) (5).
    early_window_minutes : ratings made within this many minutes of the note's creation
        form their own items (60): an early verdict is shared only with other early raters
        of the same note, so a brigade that rates its targets at once shares those items
        almost only with itself. 0 puts every rating of a verdict in one item.
    """

    damping: float = 0.85
    tolerance: float = 1e-10
    max_iterations: int = 200
    min_relative_trust: float = 0.6
    min_seed_ratings: int = 5
    early_window_minutes: float = 60.0
    mode: str = "filter"

    def __post_init__(self) -> None:
        if not 0.0 < self.damping < 1.0:
            raise ConfigError("damping", self.damping, "a value in (0, 1)")
        if not self.tolerance > 0.0:
            raise ConfigError("tolerance", self.tolerance, "a value > 0")
        if isinstance(self.max_iterations, bool) or not 1 <= self.max_iterations <= 1_000_000:
            raise ConfigError("max_iterations", self.max_iterations, "an int in [1, 1e6]")
        if not 0.0 <= self.min_relative_trust < 1e6:
            raise ConfigError("min_relative_trust", self.min_relative_trust, "a value >= 0")
        if not 0.0 <= self.early_window_minutes <= 1e7:
            raise ConfigError("early_window_minutes", self.early_window_minutes, "in [0, 1e7]")
        if self.mode not in ("filter", "weight"):
            raise ConfigError("mode", self.mode, "'filter' or 'weight'")
        if isinstance(self.min_seed_ratings, bool) or self.min_seed_ratings < 0:
            raise ConfigError("min_seed_ratings", self.min_seed_ratings, "an int >= 0")


_DAY_MS = 86_400_000

# Enrollment states that prove rating impact: the rater earned in at some point
# (earnedIn, atRisk, earnedOut*, apiEarnedIn, apiEarnedOut codes).
PROVEN_STATES: frozenset[int] = frozenset({0, 1, 2, 3, 7, 8})


@dataclass(frozen=True)
class EstablishmentConfig:
    """Which raters are *established*: their weight was earned before the data being scored.

    A participant is established when it is enrolled and its last enrollment state change is
    at least ``min_age_days`` before the newest rating of the run (for a ``newUser`` the last
    state change is the account's creation, so this is the account age; for an earned-in
    rater, when it earned in), or when its state is one of ``proven_states`` (none by
    default). Everyone else (young accounts, raters who earned in recently, participants
    without an enrollment row) is *unproven*. A pool of fresh accounts is unproven however it
    spreads its ratings, and so are sleepers that farmed their way in recently: earning in
    is something an attacker can buy, time is not (it is the attack's cost).

    The clock reads the enrollment as the scorer receives it. Scoring's own state changes
    (written back as ``timestampOfLastStateChange``) would restart it at every run fed its
    predecessor's enrollment, so the established set would depend on how often scoring ran
    (a batch run of the live attack replay's ratings: 483 established on the imported
    enrollment, 428 on the enrollment a run two days earlier wrote, 395-414 after hourly
    refits). The platform therefore keeps the clock's start in its own column
    (``model.columns.ENROLLED_SINCE_COLUMN``: the change time it first recorded, never
    moved by scoring), which the established set reads where the frame has it.

    The defences read it three ways (``bridgewatch.scoring.defences``): only established
    out-of-scope raters count in the capture share's denominator (``guard_capture``);
    co-rating groups lose the ratings of their unproven members only
    (``CoRatingConfig.flag_established``); trust propagation restarts at established raters
    and filters unproven ones only.

    Parameters
    ----------
    min_age_days : account age that counts as established without proven impact (90).
    proven_states : ``EnrollmentState`` codes established whatever their age (none; e.g.
        ``PROVEN_STATES``, every earned-in state, to trust earning in by itself).
    guard_capture : count out-of-scope ratings in a note's capture share denominator only
        when their rater is established (True), so a flood of new out-of-scope accounts
        cannot push Core's notes below the capture threshold.
    """

    min_age_days: float = 90.0
    proven_states: frozenset[int] = frozenset()
    guard_capture: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_age_days <= 36_500.0:
            raise ConfigError("min_age_days", self.min_age_days, "in [0, 36500]")
        if any(not 0 <= s <= 127 for s in self.proven_states):
            raise ConfigError("proven_states", sorted(self.proven_states), "int8 state codes")

    @property
    def min_age_ms(self) -> int:
        """``min_age_days`` in milliseconds."""
        return round(self.min_age_days * _DAY_MS)

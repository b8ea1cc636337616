"""Configuration of the community simulator: one frozen dataclass per concern.

Defaults mirror the S-core fixture (``/work/shared/fixtures/README.md``): 2,000 notes,
5,000 raters, 100,000 ratings over 60 days ending 2026-11-01T00:00Z, two camps, 5%
population-sampled ratings, about 15% of notes on a topic. Adversaries are off by default.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum

from bridgewatch.errors import ConfigError

__all__ = [
    "ActiveRatersConfig",
    "BrigadeConfig",
    "BrigadeGoal",
    "CircleConfig",
    "GroupCommunityConfig",
    "SimConfig",
]

# 2026-11-01T00:00Z, the end of the fixtures' 60-day window (fixtures/README.md).
_FIXTURE_END_MS = 1_793_491_200_000
# Modeling groups the simulator draws organic raters from (population.draw_enrollment).
N_MODELING_GROUPS = 15
# Snowflake ids carry 22 low bits below the millisecond timestamp; the simulator puts the row
# index there, so ids stay unique while the number of notes (posts) fits in 22 bits.
MAX_NOTES = 1 << 22


class BrigadeGoal(Enum):
    """What a brigade does to its target notes."""

    PROMOTE = "promote"  # rate bad one-sided notes HELPFUL
    SUPPRESS = "suppress"  # rate good notes NOT_HELPFUL


def _check_range(
    name: str, value: float, low: float, high: float, *, low_open: bool = False
) -> None:
    ok = math.isfinite(value) and (low < value if low_open else low <= value) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ConfigError(name, value, f"a finite number in {bracket}{low}, {high}]")


def _check_int(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(name, value, f"an integer in [{low}, {high}]")


def _check_groups(name: str, groups: tuple[int, ...] | None) -> None:
    if groups is None:
        return
    if (
        not isinstance(groups, tuple)
        or not groups
        or any(isinstance(g, bool) or not isinstance(g, int) or not 0 <= g < 1000 for g in groups)
    ):
        raise ConfigError(name, groups, "None or a non-empty tuple of ints in [0, 1000)")


def _check_camp(name: str, camp: int, *, allow_both: bool = False) -> None:
    allowed = (-1, 0, 1) if allow_both else (-1, 1)
    if isinstance(camp, bool) or camp not in allowed:
        raise ConfigError(name, camp, " or ".join(f"{c:+d}" for c in allowed))


@dataclass(frozen=True)
class CircleConfig:
    """A niche circle: honest raters who mostly rate the same few notes.

    Members are honest accounts (the latent model rates for them, like for anyone) that
    joined long before the window and rate few notes outside the circle. The circle's notes
    are drawn uniformly among the less-rated half of the notes (niche notes); each member
    rates each of them with probability ``coverage``, plus ``other_ratings`` notes picked by
    popularity. Co-rating tests that assume raters pick notes by popularity alone see such a
    circle as a group that agrees far beyond chance: it must not be flagged.

    Parameters
    ----------
    n_members : raters in the circle (e.g. 20-50).
    n_notes : notes the circle rates (e.g. 15-40).
    camp : +1 or -1: every member in that camp (a one-camp circle); 0: members split
        evenly between the camps (a both-camps circle).
    coverage : probability that a member rates a given circle note, in (0, 1].
    other_ratings : ratings per member on notes outside the circle.
    """

    n_members: int = 30
    n_notes: int = 25
    camp: int = 1
    coverage: float = 0.8
    other_ratings: int = 5

    def __post_init__(self) -> None:
        _check_int("n_members", self.n_members, 2, 100_000)
        _check_int("n_notes", self.n_notes, 1, 100_000)
        _check_camp("camp", self.camp, allow_both=True)
        _check_range("coverage", self.coverage, 0.0, 1.0, low_open=True)
        _check_int("other_ratings", self.other_ratings, 0, 100_000)


@dataclass(frozen=True)
class GroupCommunityConfig:
    """A modeling-group community: honest raters who share one ``modelingGroup``, one camp
    and an interest in the same slice of the notes.

    Members are honest old accounts in ``modeling_group``; the community's interest is a
    uniform random ``interest_share`` of the notes; each member makes ``ratings_per_member``
    ratings, a ``focus`` share of them on interest notes (by popularity within it), the rest
    on any note (by popularity).

    Parameters
    ----------
    n_members : raters in the community.
    modeling_group : their enrollment ``modelingGroup``.
    camp : +1 or -1 (every member), 0: split evenly.
    interest_share : share of the notes in the community's interest, in (0, 1].
    ratings_per_member : ratings per member.
    focus : share of a member's ratings on interest notes, in [0, 1].
    """

    n_members: int = 200
    modeling_group: int = 13
    camp: int = 1
    interest_share: float = 0.1
    ratings_per_member: int = 30
    focus: float = 0.8

    def __post_init__(self) -> None:
        _check_int("n_members", self.n_members, 1, 1_000_000)
        _check_int("modeling_group", self.modeling_group, 0, 999)
        _check_camp("camp", self.camp, allow_both=True)
        _check_range("interest_share", self.interest_share, 0.0, 1.0, low_open=True)
        _check_int("ratings_per_member", self.ratings_per_member, 1, 1_000_000)
        _check_range("focus", self.focus, 0.0, 1.0)


@dataclass(frozen=True)
class ActiveRatersConfig:
    """Very active honest raters: old accounts that each rate many notes, by popularity.

    Parameters
    ----------
    n_raters : how many (camps split evenly).
    ratings_per_rater : ratings each (capped at the number of notes).
    """

    n_raters: int = 20
    ratings_per_rater: int = 1_000

    def __post_init__(self) -> None:
        _check_int("n_raters", self.n_raters, 1, 1_000_000)
        _check_int("ratings_per_rater", self.ratings_per_rater, 1, 10_000_000)


@dataclass(frozen=True)
class BrigadeConfig:
    """One group of coordinated accounts (kind of adversary).

    Members are new accounts created ``account_age_days`` before the end of the window; each
    makes ``organic_ratings`` ordinary ratings (the latent model, like anyone) and then rates
    every target note within ``max_reaction_minutes`` of the note's creation: HELPFUL when the
    goal is PROMOTE (targets: the lowest-quality one-sided notes slanted towards the
    brigade's camp, created after the members joined), NOT_HELPFUL when it is SUPPRESS
    (targets: the best notes not slanted towards it). Sleeper brigades set ``dormant_days``:
    their accounts rate like anyone for that long, building a reputation, before the first
    target appears (pair it with an old ``account_age_days`` and many ``organic_ratings``).

    Parameters
    ----------
    n_members : accounts in the brigade.
    n_targets : notes the brigade attacks (all members rate every target).
    goal : PROMOTE or SUPPRESS.
    camp : +1 or -1, the viewpoint camp the brigade pushes.
    account_age_days : days before the window end at which the accounts are created, in
        (0, days of the window].
    organic_ratings : ordinary ratings per member, made after account creation.
    max_reaction_minutes : each attack rating lands uniformly within this many minutes
        after the target note's creation.
    target_quality : None (default) takes the extreme notes described above; a number takes
        the eligible notes whose true quality is closest to it instead (e.g. borderline
        notes for a PROMOTE brigade).
    dormant_days : targets are notes created at least this many days after the last member
        joined (0: any note created after the members joined); must be below
        ``account_age_days``.
    cross_camp_share : share of the members placed in the other camp (0: a one-camp
        brigade). A two-camp brigade (0.5) fakes agreement across viewpoints: its members
        still rate every target the same way, so the target looks bridged.
    pool_share : share of the members that rate each target, a fresh uniform random subset
        of ``round(pool_share * n_members)`` (at least 1) per target (1.0: every member
        rates every target). A large pool with a small share makes co-rating thin: two
        members share about ``n_targets * pool_share**2`` targets.
    max_pair_overlap : with ``pool_share < 1``, no two members rate more than this many
        targets in common (members are drawn for each target in random order and skipped
        while one would exceed the bound, so a target may get fewer raters than asked:
        logged). None: no bound. Needs ``n_members <= 20_000`` (a dense pair table).
    targets_per_wave : rotating brigades: the members are split into disjoint waves of
        (nearly) equal size, wave w attacking targets ``w * targets_per_wave`` to
        ``(w + 1) * targets_per_wave - 1`` (in creation order) and nothing after: each wave
        is a new set of accounts, retired after its targets. None: one wave.
    modeling_groups : members' ``modelingGroup`` drawn uniformly from these groups (e.g.
        groups outside Core's scope for out-of-scope accounts, or the one group of an
        honest community for an embedded brigade). None: drawn like organic raters.
    earned_in : members are enrolled as ``earnedIn`` (accounts that earned their way in)
        instead of ``newUser``.
    enrolled_days : members' last enrollment state change this many days before the
        window end (accounts bought or farmed long ago, aged past an establishment bar;
        their activity in the window is unchanged), at least ``account_age_days``. None:
        the state changed when the account was created.
    """

    n_members: int = 20
    n_targets: int = 5
    goal: BrigadeGoal = BrigadeGoal.PROMOTE
    camp: int = 1
    account_age_days: float = 14.0
    organic_ratings: int = 3
    max_reaction_minutes: float = 30.0
    dormant_days: float = 0.0
    target_quality: float | None = None
    cross_camp_share: float = 0.0
    pool_share: float = 1.0
    max_pair_overlap: int | None = None
    targets_per_wave: int | None = None
    modeling_groups: tuple[int, ...] | None = None
    earned_in: bool = False
    enrolled_days: float | None = None

    def __post_init__(self) -> None:
        _check_range("cross_camp_share", self.cross_camp_share, 0.0, 1.0)
        if self.enrolled_days is not None:
            _check_range("enrolled_days", self.enrolled_days, self.account_age_days, 3650.0)
        _check_range("pool_share", self.pool_share, 0.0, 1.0, low_open=True)
        if self.max_pair_overlap is not None:
            _check_int("max_pair_overlap", self.max_pair_overlap, 0, 254)
            if self.n_members > 20_000:
                raise ConfigError(
                    "max_pair_overlap", self.max_pair_overlap, "None when n_members > 20000"
                )
        if self.targets_per_wave is not None:
            _check_int("targets_per_wave", self.targets_per_wave, 1, 1_000_000)
            waves = -(-self.n_targets // self.targets_per_wave)
            if waves > self.n_members:
                raise ConfigError(
                    "targets_per_wave",
                    self.targets_per_wave,
                    f"at most one wave per member ({waves} waves for {self.n_members} members)",
                )
        _check_groups("modeling_groups", self.modeling_groups)
        if not isinstance(self.earned_in, bool):
            raise ConfigError("earned_in", self.earned_in, "a bool")
        _check_int("n_members", self.n_members, 1, 1_000_000)
        _check_int("n_targets", self.n_targets, 1, 1_000_000)
        if not isinstance(self.goal, BrigadeGoal):
            raise ConfigError("goal", self.goal, "a BrigadeGoal")
        if self.camp not in (-1, 1) or isinstance(self.camp, bool):
            raise ConfigError("camp", self.camp, "+1 or -1")
        _check_range("account_age_days", self.account_age_days, 0.0, 3650.0, low_open=True)
        _check_int("organic_ratings", self.organic_ratings, 0, 100_000)
        _check_range("max_reaction_minutes", self.max_reaction_minutes, 0.0, 1440.0, low_open=True)
        _check_range("dormant_days", self.dormant_days, 0.0, 3650.0)
        if self.target_quality is not None:
            _check_range("target_quality", self.target_quality, -100.0, 100.0)
        if self.dormant_days >= self.account_age_days and self.dormant_days > 0:
            raise ConfigError(
                "dormant_days",
                self.dormant_days,
                f"less than account_age_days={self.account_age_days}",
            )


@dataclass(frozen=True)
class SimConfig:
    """Everything that shapes a synthetic community; the seed makes it reproducible.

    Sizes and timing
    ----------------
    seed : seed of the ``numpy.random.Generator`` streams; same seed, same files bit for bit.
    n_notes : notes (at most 2**22; each post has 1-3 of them).
    n_raters : organic participants (raters and note authors); brigade members come on top.
    n_ratings : organic ratings to aim for; the count is exact unless notes run out of
        eligible raters (every rater already rated the note).
    days : length of the window in days; notes and ratings fall in it.
    end_ms : end of the window, ms since the Unix epoch (exclusive).
    rating_delay_median_hours, rating_delay_sigma : rating delay after the note is lognormal
        (median in hours, sigma of its log); the defaults put 97% of ratings within the 48 h
        that valid ratings need (scoring-core.md §4.4).

    Viewpoints and activity
    -----------------------
    polarization : camp centres on the viewpoint axis are at +-polarization.
    position_sd : sd of rater positions around their camp centre.
    camp_share : share of raters in camp +1.
    activity_sigma : rater activity weights are lognormal with this sigma (power-law tail).
    note_ratings_sigma : ratings per note follow lognormal weights with this sigma.
    rater_leniency_sd : sd of the per-rater intercept (some raters like every note).

    Notes
    -----
    quality_mean, quality_sd : true note quality (helpfulness intercept) ~ N(mean, sd).
    one_sided_share : share of notes slanted towards their author's camp.
    slant_sd : |slant| of one-sided notes ~ |N(0, slant_sd)| + slant_sd/2; other notes
        have slant ~ N(0, slant_sd / 10).
    not_misleading_share : share of NOT_MISLEADING notes.
    topic_share : share of notes whose text mentions a topic seed term.
    media_share, trustworthy_sources_share : shares of media notes and notes with a link.
    notes_per_post_weights : relative frequency of posts with 1, 2 and 3 notes.

    Ratings
    -------
    noise_sd : sd of the Gaussian noise of the latent rating score.
    somewhat_band : latent scores within +-somewhat_band/2 are SOMEWHAT_HELPFUL.
    population_sampled_share : share of POPULATION_SAMPLED ratings.

    Enrollment
    ----------
    stable_group_extra_share : extra share of raters in modelingGroup 13 (the stable-init
        group, scoring-core.md §4.2) on top of a uniform draw over groups 0..14.
    expansion_share : share of raters in modelingPopulation EXPANSION (others CORE).
    seed_status_history : write one NEEDS_MORE_RATINGS status-history row per note (as the
        fixtures do) instead of an empty history.
    score_status_history : replace that history by one scored along the way: the Core
        scorer (no topic models) run every ``status_checkpoint_days`` from the window start
        and two hours before the newest rating, each run reading the last one's history
        (``bridgewatch.sim.history``), so that one ``score`` of the community releases the
        notes already helpful, as one run on the public dump does. Costs one scoring run
        per checkpoint.
    status_checkpoint_days : days between those runs.
    note_request_share : share of posts with note requests (the noteRequests file).

    Honest structures (none by default; all honest, none should be flagged)
    -----------------------------------------------------------------------
    circles : niche circles (``CircleConfig``).
    group_communities : modeling-group communities (``GroupCommunityConfig``).
    active_raters : groups of very active raters (``ActiveRatersConfig``).

    Adversaries
    -----------
    brigades : the brigades; empty (no adversaries) by default.
    """

    seed: int = 0
    n_notes: int = 2_000
    n_raters: int = 5_000
    n_ratings: int = 100_000
    days: float = 60.0
    end_ms: int = _FIXTURE_END_MS
    rating_delay_median_hours: float = 4.0
    rating_delay_sigma: float = 1.28
    polarization: float = 1.0
    position_sd: float = 0.35
    camp_share: float = 0.5
    activity_sigma: float = 1.0
    note_ratings_sigma: float = 1.0
    rater_leniency_sd: float = 0.3
    quality_mean: float = 0.0
    quality_sd: float = 1.0
    one_sided_share: float = 0.17
    slant_sd: float = 1.0
    not_misleading_share: float = 0.02
    topic_share: float = 0.15
    media_share: float = 0.045
    trustworthy_sources_share: float = 0.6
    notes_per_post_weights: tuple[float, float, float] = (0.6, 0.3, 0.1)
    noise_sd: float = 1.0
    somewhat_band: float = 0.5
    population_sampled_share: float = 0.05
    stable_group_extra_share: float = 0.175
    expansion_share: float = 0.0
    seed_status_history: bool = True
    score_status_history: bool = False
    status_checkpoint_days: float = 7.0
    note_request_share: float = 0.3
    circles: tuple[CircleConfig, ...] = field(default=())
    group_communities: tuple[GroupCommunityConfig, ...] = field(default=())
    active_raters: tuple[ActiveRatersConfig, ...] = field(default=())
    brigades: tuple[BrigadeConfig, ...] = field(default=())

    def __post_init__(self) -> None:
        _check_int("seed", self.seed, 0, 2**63 - 1)
        _check_int("n_notes", self.n_notes, 1, MAX_NOTES)
        _check_int("n_raters", self.n_raters, 2, 2**31 - 2)
        _check_int("n_ratings", self.n_ratings, 0, 2**40)
        _check_range("days", self.days, 0.0, 36_500.0, low_open=True)
        _check_int("end_ms", self.end_ms, 1_288_834_974_657 + 86_400_000, 2**41)
        if self.end_ms - self.days * 86_400_000 < 1_288_834_974_657:
            raise ConfigError("days", self.days, "a window that starts after 2010-11-04")
        _check_range(
            "rating_delay_median_hours", self.rating_delay_median_hours, 0, 1e4, low_open=True
        )
        for name in (
            "rating_delay_sigma",
            "polarization",
            "position_sd",
            "activity_sigma",
            "note_ratings_sigma",
            "rater_leniency_sd",
            "quality_sd",
            "slant_sd",
            "noise_sd",
            "somewhat_band",
        ):
            _check_range(name, getattr(self, name), 0.0, 100.0)
        _check_range("quality_mean", self.quality_mean, -100.0, 100.0)
        for name in (
            "camp_share",
            "one_sided_share",
            "not_misleading_share",
            "topic_share",
            "media_share",
            "trustworthy_sources_share",
            "population_sampled_share",
            "stable_group_extra_share",
            "expansion_share",
            "note_request_share",
        ):
            _check_range(name, getattr(self, name), 0.0, 1.0)
        weights = self.notes_per_post_weights
        if (
            len(weights) != 3
            or not all(math.isfinite(w) and w >= 0 for w in weights)
            or sum(weights) <= 0
        ):
            raise ConfigError(
                "notes_per_post_weights", weights, "three finite weights >= 0 with a positive sum"
            )
        for flag in ("seed_status_history", "score_status_history"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(flag, getattr(self, flag), "a bool")
        _check_range("status_checkpoint_days", self.status_checkpoint_days, 0.01, 3650.0)
        for name, kind in (
            ("brigades", BrigadeConfig),
            ("circles", CircleConfig),
            ("group_communities", GroupCommunityConfig),
            ("active_raters", ActiveRatersConfig),
        ):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(x, kind) for x in value):
                raise ConfigError(name, value, f"a tuple of {kind.__name__}")
        for i, brigade in enumerate(self.brigades):
            if brigade.account_age_days > self.days:
                raise ConfigError(
                    f"brigades[{i}].account_age_days",
                    brigade.account_age_days,
                    f"at most the window length days={self.days}",
                )

    @property
    def start_ms(self) -> int:
        """Start of the window, ms since the Unix epoch."""
        return self.end_ms - round(self.days * 86_400_000)

    @property
    def n_brigade_members(self) -> int:
        """Accounts in all brigades together."""
        return sum(b.n_members for b in self.brigades)

    @property
    def n_structure_members(self) -> int:
        """Honest accounts in all circles, group communities and very active groups."""
        return (
            sum(c.n_members for c in self.circles)
            + sum(g.n_members for g in self.group_communities)
            + sum(a.n_raters for a in self.active_raters)
        )

    def describe(self) -> dict[str, object]:
        """The configuration as a JSON-ready dict of plain values (for ground truth)."""
        out = asdict(self)
        out["brigades"] = [
            {
                **asdict(b),
                "goal": b.goal.value,
                "modeling_groups": None if b.modeling_groups is None else list(b.modeling_groups),
            }
            for b in self.brigades
        ]
        out["notes_per_post_weights"] = list(self.notes_per_post_weights)
        return out

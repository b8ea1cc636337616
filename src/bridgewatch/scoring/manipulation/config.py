"""Configuration of Post Selection Similarity and quasi-clique detection (extended §3.1-3.2)."""

from __future__ import annotations

from dataclasses import dataclass

from bridgewatch.errors import ConfigError

__all__ = ["BurstConfig", "CoRatingConfig", "PostSelectionConfig", "QuasiCliqueConfig"]

_MINUTE_MS = 60_000


@dataclass(frozen=True)
class PostSelectionConfig:
    """Hyperparameters of Post Selection Similarity (scoring-extended.md §3.1, core App. B).

    Parameters
    ----------
    latency_windows_min : tuple of int
        Family A latency windows L, minutes after note creation (1, 5, 20).
    writer_coverage_thresholds : tuple of float
        Flag (author, rater) when ``pairTotal_L / writerTotal`` reaches these, one per
        window (0.2, 0.3, 0.4).
    rater_affinity_thresholds : tuple of float
        ... or when ``pairTotal_L / raterTotal_L`` reaches these (0.2, 0.45, 0.7).
    min_denominator : int
        A ratio is undefined when its denominator is below this (10).
    co_rating_window_ms : int
        Family B: two ratings of the same note at most this far apart co-rate (20 min).
    pmi_regularization : float
        Pseudocount added to each rater's post count in the PMI denominator (500).
    npmi_threshold : float
        Flag a rater pair when its smoothed NPMI reaches this (0.55) ...
    min_sim_threshold : float
        ... or when ``co / (min(n_A, n_B) + min_sim_pseudocounts)`` reaches this (0.4).
    min_sim_pseudocounts : int
        (10).
    min_unique_posts : int
        Raters with fewer distinct rated posts are ignored by family B (10).
    """

    latency_windows_min: tuple[int, ...] = (1, 5, 20)
    writer_coverage_thresholds: tuple[float, ...] = (0.2, 0.3, 0.4)
    rater_affinity_thresholds: tuple[float, ...] = (0.2, 0.45, 0.7)
    min_denominator: int = 10
    co_rating_window_ms: int = 20 * _MINUTE_MS
    pmi_regularization: float = 500.0
    npmi_threshold: float = 0.55
    min_sim_threshold: float = 0.4
    min_sim_pseudocounts: int = 10
    min_unique_posts: int = 10

    def __post_init__(self) -> None:
        n = len(self.latency_windows_min)
        if n == 0 or any(w < 0 for w in self.latency_windows_min):
            raise ConfigError("latency_windows_min", self.latency_windows_min, "minutes >= 0")
        for name in ("writer_coverage_thresholds", "rater_affinity_thresholds"):
            if len(getattr(self, name)) != n:
                raise ConfigError(name, getattr(self, name), f"{n} values, one per window")
        if self.min_denominator < 1:
            raise ConfigError("min_denominator", self.min_denominator, ">= 1")
        if self.co_rating_window_ms < 0:
            raise ConfigError("co_rating_window_ms", self.co_rating_window_ms, ">= 0")
        if self.pmi_regularization < 0 or self.min_sim_pseudocounts < 0:
            raise ConfigError("pmi_regularization", self.pmi_regularization, ">= 0")
        if self.min_unique_posts < 1:
            raise ConfigError("min_unique_posts", self.min_unique_posts, ">= 1")


@dataclass(frozen=True)
class QuasiCliqueConfig:
    """Hyperparameters of quasi-clique detection (scoring-extended.md §3.2, core App. B).

    Parameters
    ----------
    recent_window_ms : int
        Only notes created within this long before the newest note (13 weeks).
    min_pair_posts : int
        Keep rater pairs that collided on at least this many posts (5).
    min_seed_posts : int
        Seeds are pairs with strictly more collision posts than this (50).
    max_growth_steps : int
        Grow a clique at most this many times (2000).
    member_fraction : float
        A group action needs max(member_fraction * |C|, min(|C|, min_action_members))
        members (0.25).
    min_action_members : int
        (4).
    min_clique_posts : int
        A grown clique needs group actions on at least this many posts (25).
    min_member_post_fraction : float
        Every member with a matching action must match on at least this share of the
        clique's posts (0.25).
    min_clique_size : int
        Keep cliques with at least this many raters (5).
    """

    recent_window_ms: int = 13 * 7 * 24 * 60 * _MINUTE_MS
    min_pair_posts: int = 5
    min_seed_posts: int = 50
    max_growth_steps: int = 2000
    member_fraction: float = 0.25
    min_action_members: int = 4
    min_clique_posts: int = 25
    min_member_post_fraction: float = 0.25
    min_clique_size: int = 5

    def __post_init__(self) -> None:
        for name in (
            "recent_window_ms",
            "min_pair_posts",
            "max_growth_steps",
            "min_action_members",
            "min_clique_posts",
            "min_clique_size",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(name, getattr(self, name), "an integer >= 1")
        if self.min_seed_posts < 0:
            raise ConfigError("min_seed_posts", self.min_seed_posts, ">= 0")
        for name in ("member_fraction", "min_member_post_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(name, getattr(self, name), "in [0, 1]")


@dataclass(frozen=True)
class BurstConfig:
    """Coordinated rating bursts (``bridgewatch.scoring.manipulation.burst``; not in the
    reference: a bridgewatch defence built on the ideas of extended §3.1-3.2).

    Parameters
    ----------
    window_minutes : a burst is ratings of one (note, rater side, level) within this many
        minutes (60).
    min_burst_ratings : ... at least this many of them (5) ...
    min_burst_share : ... and at least this share of all the note's ratings of that side
        and level (0.25).
    min_shared_bursts : a coordinated pair shares at least this many bursts (3) ...
    min_shared_fraction : ... and at least this share of the bursts of its member with
        more bursts (0.5).
    min_partners : coordinated raters are the core of the pair graph in which everyone has
        at least this many coordinated partners (4): groups of min_partners + 1 or more.
    rating_weight : weight of a flagged rating of the side-aware pass in the final fits,
        in [0, 1) (0: dropped). Ratings flagged before prescoring are always dropped.
    split_sides : run the second, side-aware pass after prescoring (True); the first pass
        (before prescoring, no rater factors yet) groups both sides together.
    """

    window_minutes: float = 60.0
    min_burst_ratings: int = 5
    min_burst_share: float = 0.25
    min_shared_bursts: int = 3
    min_shared_fraction: float = 0.5
    min_partners: int = 4
    rating_weight: float = 0.0
    split_sides: bool = True

    def __post_init__(self) -> None:
        if not 0.0 < self.window_minutes <= 7 * 24 * 60:
            raise ConfigError("window_minutes", self.window_minutes, "in (0, 10080]")
        for name in ("min_burst_ratings", "min_shared_bursts", "min_partners"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "an int >= 1")
        if self.min_burst_ratings < 2:
            raise ConfigError("min_burst_ratings", self.min_burst_ratings, "an int >= 2")
        if not 0.0 <= self.min_burst_share <= 1.0:
            raise ConfigError("min_burst_share", self.min_burst_share, "in [0, 1]")
        if not 0.0 <= self.min_shared_fraction <= 1.0:
            raise ConfigError("min_shared_fraction", self.min_shared_fraction, "in [0, 1]")
        if not 0.0 <= self.rating_weight < 1.0:
            raise ConfigError("rating_weight", self.rating_weight, "in [0, 1)")


@dataclass(frozen=True)
class CoRatingConfig:
    """Coordinated co-rating (``bridgewatch.scoring.manipulation.co_rating``; not in the
    reference: a timing-free bridgewatch defence).

    Parameters
    ----------
    min_shared_cells : a coordinated pair shares at least this many (note, verdict) cells
        (5); raters with fewer ratings are not paired.
    min_shared_unproven : with an ``established`` mask, a pair of two *unproven* raters
        needs only this many shared cells (3; the lift and the Poisson tail still apply),
        and unproven raters with this many ratings are paired. New accounts have few
        ratings, and a pool that spreads a fresh 10-20% of its members over each target
        (or rotates 3-4 targets per wave of accounts) leaves each pair only 3-4 shared
        targets: far beyond the null for accounts of 5-10 ratings (Poisson tail ~1e-6),
        yet below ``min_shared_cells``. Pairs with an established rater keep
        ``min_shared_cells``.
    min_lift : ... at least this many times the null model's expectation (pair step) and
        a flagged cell holds this many times the expected group members (4.0) ...
    max_pair_p : ... and the Poisson upper tail of its shared count is at most this (1e-4).
    min_partners : coordinated raters are the core of the pair graph in which everyone has
        at least this many coordinated partners (4): groups of min_partners + 1 or more.
    min_cell_members : a group's ratings on a cell are flagged when at least this many
        members rated it (3) ...
    min_cell_share : ... and at least this share of the group (0.2; without an
        ``established`` mask, e.g. the revocation pass) ...
    min_cell_share_unproven : ... or of a group of the pass with an ``established`` mask
        (0.05): a pool puts a fresh 10-20% of its members on each target, so no target holds
        a fifth of the group; the Poisson tail and the lift still bound the cells.
    max_cell_p : ... and the Poisson upper tail of the member count is at most this (1e-6).
    max_cell_raters : cells with more raters are left out of the pair count (5000).
    pair_alpha : family-wise bound on chance pairs: a pair's Poisson tail must also be at
        most ``pair_alpha / n_tested`` (Bonferroni over the ``n_tested`` rater pairs that
        share a cell), so a large community does not produce chance pairs by sheer number
        (None: ``max_pair_p`` alone).
    flag_established : flag the ratings of established group members too (False). With an
        ``established`` mask (``ScoringConfig.establishment``) only pairs with at least one
        unproven rater are tested and only unproven members lose ratings: honest circles
        of established raters who rate the same niche notes alike are left alone, and the
        pair count runs over the unproven raters' rows only.
    min_unproven_share : ... and only in groups where unproven members are at least this
        share (0.5): a community of mostly established raters with a few newcomers rating
        its niche notes alike is not a brigade.
    revoke_established : with an ``established`` mask, run the detection a second time on
        the established raters' ratings alone (``bridgewatch.scoring.defences
        .screen_shared``); members of its groups lose their establishment for the run
        (True). Nothing of theirs is dropped by co-rating: the unexplained-ratings test
        then tests them against the other established raters, so accounts aged past the
        establishment bar and woken together for an attack lose the ratings the model
        cannot explain, while an honest circle (its verdicts are the model's) keeps them.
    attach_max_p : after the groups are found, an ungrouped rater (unproven, with an
        ``established`` mask) joins a group when at least ``min_shared_cells`` of its
        ratings fall on the group's concentrated cells, ``min_lift`` times the null's
        expectation, with a Poisson tail at most this divided by the number of (rater,
        group) combinations tested (1e-3; None: off). Pair tests count every shared cell
        alike: in a small dense community camouflage on popular notes raises two aged
        accounts' expected overlap to 4-5 cells, so 8 shared targets miss ``min_lift`` and
        some members of a caught brigade keep their establishment; their hits on the
        group's rare verdicts do not miss.
    cell_pair_p : in a pass without an ``established`` mask (the revocation pass), also
        seed groups from the notes' side (co_rating step 3b): two cells are coordinated
        when they share at least ``min_partners + 1`` raters, ``min_lift`` times the
        null's expectation, with a Poisson tail at most this divided by the number of cell
        pairs sharing a rater (1e-3; None: off). Camouflage dilutes a pair of raters (8
        shared targets among 50 ratings each are no more than chance in a small dense
        community) but not a pair of targets, which share the whole brigade. A rater who
        rated at least ``min_cell_hits_share`` of a component of coordinated cells, far
        beyond a null that leaves those raters out of the cells' counts (Poisson tail at
        most this over the (rater, component) combinations), joins the group.
    min_cell_partners : coordinated cells are the core of the cell-pair graph in which
        every cell has at least this many coordinated partners (2: components of 3 cells
        or more).
    min_cell_hits_share : ... and a rater is a candidate member of a component when it
        rated at least this share of its cells (0.5).
    """

    min_shared_cells: int = 5
    min_shared_unproven: int = 3
    min_lift: float = 4.0
    max_pair_p: float = 1e-4
    min_partners: int = 4
    min_cell_members: int = 3
    min_cell_share: float = 0.2
    min_cell_share_unproven: float = 0.05
    max_cell_p: float = 1e-6
    max_cell_raters: int = 5000
    pair_alpha: float | None = None
    flag_established: bool = False
    min_unproven_share: float = 0.5
    revoke_established: bool = True
    attach_max_p: float | None = 1e-3
    cell_pair_p: float | None = 1e-3
    min_cell_partners: int = 2
    min_cell_hits_share: float = 0.5

    def __post_init__(self) -> None:
        if self.cell_pair_p is not None and not 0.0 < self.cell_pair_p <= 1.0:
            raise ConfigError("cell_pair_p", self.cell_pair_p, "in (0, 1] or None")
        if not 0.0 < self.min_cell_hits_share <= 1.0:
            raise ConfigError("min_cell_hits_share", self.min_cell_hits_share, "in (0, 1]")
        if not 0.0 <= self.min_unproven_share <= 1.0:
            raise ConfigError("min_unproven_share", self.min_unproven_share, "in [0, 1]")
        if self.attach_max_p is not None and not 0.0 < self.attach_max_p <= 1.0:
            raise ConfigError("attach_max_p", self.attach_max_p, "in (0, 1] or None")
        if self.pair_alpha is not None and not 0.0 < self.pair_alpha <= 1.0:
            raise ConfigError("pair_alpha", self.pair_alpha, "in (0, 1] or None")
        for name in (
            "min_shared_cells",
            "min_shared_unproven",
            "min_partners",
            "min_cell_members",
            "max_cell_raters",
            "min_cell_partners",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "an int >= 1")
        if not self.min_lift >= 1.0:
            raise ConfigError("min_lift", self.min_lift, ">= 1")
        for name in ("max_pair_p", "max_cell_p"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ConfigError(name, getattr(self, name), "in (0, 1]")
        for name in ("min_cell_share", "min_cell_share_unproven"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(name, getattr(self, name), "in [0, 1]")

"""Manipulation defences around the Core fits (not in the reference).

Configurable defences act on the scoped ratings:

* established raters (``ScoringConfig.establishment``, ``bridgewatch.scoring.reputation
  .established_raters``): enrolled participants whose enrollment state proves rating
  impact (they earned in) or whose account is older than ``min_age_days``. The other
  defences read it: the capture share counts only established out-of-scope raters
  (``bridgewatch.scoring.scorers.scope``), co-rating groups lose only their unproven
  members' ratings, and trust restarts at established raters and filters unproven ones.
* coordinated co-rating (``ScoringConfig.co_rating``, ``bridgewatch.scoring.manipulation
  .co_rating``), timing-free: once per run on the shared post-PSS ratings of every rater
  (``screen_shared``, before any scorer's view is taken), ratings of groups of raters who
  give the same verdicts on the same notes far beyond a null model stratified by modeling
  group are dropped on the notes where the group concentrates, so slow brigades that no
  burst window catches cannot bend prescoring, the final fits or the capture share of any
  scorer of the roster. A second pass on the established raters' own ratings
  (``CoRatingConfig.revoke_established``) revokes the establishment of its groups'
  members for the run: accounts aged past the bar and woken together for an attack are
  then tested by the unexplained-ratings test like new accounts, and lose only the
  ratings the model cannot explain (an honest established circle keeps its own).
* the push guard (``ScoringConfig.push_guard``, ``bridgewatch.scoring.manipulation
  .push_guard``), with co-rating: the cells where the run-wide pass dropped verdicts (a
  group's or thin pool's targets) and the time windows in which its caught accounts gave
  them go into the shared inputs (``CoreInputs.push_windows``). The accounts a pass misses
  rated in the same windows; the Gaussian scorers' kernel aggregation reads them as
  agreement across the factor axis, and on borderline notes they tip an MF fit or a tag
  filter too. So every final note fit, Gaussian (``bridgewatch.scoring.scorers
  .gaussian_fit``) and MF (``bridgewatch.scoring.scorers.push_fit``), requires its
  verdict on a pushed note, in the push's direction, to stand without that verdict's
  ratings inside the window, and on notes pushed not helpful the tag-outlier and
  incorrect filters fire only if they fire without the in-window NOT_HELPFUL ratings
  (``bridgewatch.scoring.final.note_aggregates``).
* coordinated rating bursts (``ScoringConfig.bursts``, ``bridgewatch.scoring.manipulation
  .burst``), in two passes. ``screen_bursts`` runs before prescoring, without viewpoint
  sides (no rater factors exist yet): its flagged ratings are dropped from everything that
  learns from the scoped ratings, prescoring included, so a brigade cannot bend the rater
  factors and intercepts either. ``apply_defences`` runs a second pass after prescoring on
  what is left, with rater sides from the prescoring factors (``BurstConfig.split_sides``),
  and drops or down-weights (``rating_weight``) its flagged ratings in the final fits.
* unexplained ratings (``ScoringConfig.unexplained``, ``bridgewatch.scoring.manipulation
  .unexplained``), after prescoring and the side-aware bursts, with ``establishment``:
  notes are refit on their established raters' ratings alone (prescoring's rater
  parameters), and where many unproven raters deviate from their own predicted verdict the
  same way on one note, those ratings leave the final fits (a thin pool of new accounts
  that shares no co-rating signal still has to say the unexpected on its targets).
  Unproven raters the final round left out (the helpfulness filter drops accounts that
  vote against bridged outcomes) are predicted with their round-1 parameters, and unproven
  intercepts are shrunk by empirical Bayes, so an account whose few ratings are the attack
  cannot pass it off as its leniency. The Reputation scorer's final phase runs the
  side-aware bursts and this test under its own model (``apply_reputation_defences``).
  On a caught note the unproven verdicts that pull against the deviation stay. Revoked
  co-rating groups (``CoreInputs.revoked_groups``) the test catches on most of the notes
  it can test are convicted (``bridgewatch.scoring.manipulation.conviction``): their
  verdicts go on all their concentrated notes, the ones with too few established ratings
  to test included.
* trust propagation (``ScoringConfig.trust``, ``bridgewatch.scoring.reputation``), after the
  bursts: in "filter" mode the ratings of untrusted raters leave the final fits, in
  "weight" mode every rating is weighted by its rater's trust weight. With
  ``establishment`` the walk restarts only at established raters with proven helpfulness
  (SybilRank-style: trust enters a pool of new accounts only through its few shared
  verdicts with them) and only unproven raters can lose trust: an established rater's
  weight was earned before this data.

With none of these configs set (the reference-faithful default) the inputs pass through untouched
and the final fits are unweighted.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring._defence_memo import DefenceMemo, digest
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.manipulation import (
    BurstConfig,
    BurstResult,
    Conviction,
    CoRatingConfig,
    CoRatingResult,
    PostSelectionConfig,
    PushGuardConfig,
    QuasiCliqueConfig,
    RevokedGroups,
    ThinPoolConfig,
    ThinPoolResult,
    UnexplainedConfig,
    UnexplainedResult,
    convict_groups,
    find_co_rating_groups,
    find_push_windows,
    find_rating_bursts,
    find_thin_pools,
    find_unexplained_ratings,
    rater_sides,
    rating_levels,
    revoked_groups,
)
from bridgewatch.scoring.prescoring import PrescoringResult
from bridgewatch.scoring.reputation import (
    EstablishmentConfig,
    RaterTrust,
    TrustConfig,
    rater_trust,
)
from bridgewatch.scoring.reputation_mf import ReputationState

__all__ = [
    "BurstScreening",
    "Defences",
    "SharedScreening",
    "apply_defences",
    "apply_reputation_defences",
    "restored_raters",
    "screen_bursts",
    "screen_shared",
    "screen_unexplained",
    "with_defences",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BurstScreening:
    """The pre-prescoring pass: coordinated co-rating, then bursts.

    Attributes
    ----------
    inputs : CoreInputs without the flagged scoped ratings (prescoring's input).
    bursts : the burst detection on the scoped ratings the co-rating pass left (rater
        sides all 0), or None when ``ScoringConfig.bursts`` is None.
    co_rating : the co-rating detection on the original scoped ratings, or None when
        ``ScoringConfig.co_rating`` is None.
    unexplained : the unexplained-ratings test on the first prescoring when it flagged
        ratings (they left ``inputs``; prescoring ran again when they were at least
        ``UnexplainedConfig.rerun_min_share`` of the view), else None.
    unexplained_clear : the same test when it flagged nothing (prescoring kept): on these
        inputs and this prescoring the final fits' test would find the same, so
        ``apply_defences(..., clear=)`` reuses it unless the side-aware bursts drop ratings.
    """

    inputs: CoreInputs
    bursts: BurstResult | None
    co_rating: CoRatingResult | None = None
    unexplained: UnexplainedResult | None = None
    unexplained_clear: UnexplainedResult | None = None


@dataclass(frozen=True)
class Defences:
    """What the defences did after prescoring, and the inputs of the final fits.

    Attributes
    ----------
    inputs : CoreInputs for the final fits (``scoped`` without dropped ratings).
    rating_weights : float64 array of shape (inputs.scoped.n_ratings,), or None when every
        kept rating has weight 1.
    bursts : the side-aware burst pass on the ratings the screening left, or None when off.
    trust : rater trust (over the ratings the bursts left), or None when off.
    unexplained : the unexplained-ratings test on the ratings the bursts left, or None when
        off (or without ``establishment``).
    """

    inputs: CoreInputs
    rating_weights: NDArray[np.float64] | None
    bursts: BurstResult | None
    trust: RaterTrust | None
    unexplained: UnexplainedResult | None = None


@dataclass(frozen=True)
class SharedScreening:
    """The run-wide pass on the shared inputs, before any scorer's view.

    Attributes
    ----------
    inputs : the shared CoreInputs with the flagged ratings out of ``post_pss`` (and
        ``correlated``) and without the revoked raters in ``established``; every scorer's
        view and capture share are taken from it.
    co_rating : the co-rating detection on the shared post-PSS ratings (indexes of the
        original ``post_pss``), or None when ``ScoringConfig.co_rating`` is None.
    revoked : bool array of shape (n_participants,), established raters in coordinated
        co-rating groups among the established (``CoRatingConfig.revoke_established``),
        unproven for the rest of the run; None when that pass did not run.
    thin_pools : the thin-pool detection on the same ratings (its flagged ratings are in
        ``co_rating.flagged`` and its unproven flagged members in ``co_rating.group``, as
        groups after co-rating's own), or None when ``ScoringConfig.thin_pools`` is None.
    memo : the run's per-view defence decisions, shared by scorers whose views are the
        same (``bridgewatch.scoring._defence_memo``; pass it to ``screen_bursts``,
        ``screen_unexplained`` and ``apply_defences``). Not an init field: a screening
        saved for another process (``bridgewatch.parallel.artifacts``) arrives with an
        empty memo.
    audit : every scorer records which ratings of its view its defences took out
        (``ScorerRun.removed``; the attack bench counts them), at the price of one key
        comparison per scorer; False in production.
    """

    inputs: CoreInputs
    co_rating: CoRatingResult | None
    revoked: NDArray[np.bool_] | None = None
    thin_pools: ThinPoolResult | None = None
    audit: bool = False
    memo: DefenceMemo = field(default_factory=DefenceMemo, init=False, compare=False, repr=False)


def with_defences(
    base: ScoringConfig | None = None, *, trust: bool = False, quasi_cliques: bool = False
) -> ScoringConfig:
    """``base`` (default ``ScoringConfig()``) with the manipulation defences on, each at its
    default: PSS clusters (extended §3.1), established raters (the capture-share guard),
    coordinated co-rating (modeling-group null, unproven members), thin pools, the Gaussian
    scorers' push guard, coordinated rating bursts and unexplained ratings.

    Two more join on request. ``trust``: trust propagation ("filter" mode, seeded at
    established raters); on the planted cases it removed no adversarial rating the other
    defences left (pools spread camouflage ratings that carry ordinary trust), and at 1M
    ratings without attack it filtered an honest rater. ``quasi_cliques``: quasi-cliques
    (extended §3.2, the NoCorrelated fit); very active honest raters collide on many posts
    and form cliques, and the NoCorrelated rule then cost 12 of 180 honest helpful notes in
    the attack bench's community without attack, while co-rating already stops every
    brigade the cliques caught.
    """
    return dataclasses.replace(
        base or ScoringConfig(),
        post_selection=PostSelectionConfig(),
        quasi_cliques=QuasiCliqueConfig() if quasi_cliques else None,
        bursts=BurstConfig(),
        trust=TrustConfig() if trust else None,
        co_rating=CoRatingConfig(),
        thin_pools=ThinPoolConfig(),
        push_guard=PushGuardConfig(),
        establishment=EstablishmentConfig(),
        unexplained=UnexplainedConfig(),
    )


def _subset(inputs: CoreInputs, keep: NDArray[np.bool_]) -> CoreInputs:
    return dataclasses.replace(
        inputs,
        scoped=inputs.scoped.subset(keep),
        scoped_mask=None,
        scoped_correlated=inputs.scoped_correlated[keep],
    )


def _detect(
    inputs: CoreInputs,
    sides: NDArray[np.int8],
    config: BurstConfig,
    memo: DefenceMemo | None = None,
) -> BurstResult:
    scoped = inputs.scoped

    def run() -> BurstResult:
        return find_rating_bursts(
            scoped.note_idx,
            scoped.rater_idx,
            rating_levels(scoped.helpful_num),
            scoped.created_at_ms,
            sides,
            config,
        )

    if memo is None:
        bursts = run()
    else:
        bursts = memo.get(("bursts", memo.ratings_print(scoped), digest(sides), config), run)
    _log.info(
        "bursts: %d bursts, %d coordinated pairs, %d coordinated raters, %d ratings flagged",
        bursts.n_bursts,
        bursts.n_pairs,
        int(bursts.coordinated.sum()),
        int(bursts.flagged.sum()),
    )
    return bursts


def _co_rating(
    inputs: CoreInputs, config: CoRatingConfig, *, shared: bool = False
) -> CoRatingResult:
    ratings = inputs.post_pss if shared else inputs.scoped
    found = find_co_rating_groups(
        ratings.note_idx,
        ratings.rater_idx,
        rating_levels(ratings.helpful_num),
        inputs.n_participants,
        config,
        block=inputs.modeling_group,
        established=inputs.established,
    )
    _log.info(
        "co-rating: %d coordinated pairs, %d groups, %d raters (%d attached), %d ratings flagged",
        found.n_pairs,
        found.n_groups,
        int((found.group >= 0).sum()),
        found.n_attached,
        int(found.flagged.sum()),
    )
    return found


def screen_shared(shared: CoreInputs, config: ScoringConfig) -> SharedScreening:
    """The run-wide pass: coordinated co-rating on the shared post-PSS ratings of every
    rater (once per run, whatever the roster), its flagged ratings out of ``post_pss``.

    Parameters
    ----------
    shared : the run's preprocessed inputs (``prepare_core_inputs``).
    config : ScoringConfig; nothing happens when ``co_rating`` is None.

    Returns
    -------
    SharedScreening
    """
    if config.co_rating is None:
        return SharedScreening(shared, None)
    found = _co_rating(shared, config.co_rating, shared=True)
    revoked = _revoked(shared, config.co_rating)
    pools: ThinPoolResult | None = None
    if config.thin_pools is not None:
        pools = _thin_pools(shared, config.thin_pools, ~found.flagged)
        found = _with_pools(found, pools, shared.post_pss.rater_idx, shared.established)
        revoked = _revoke_pools(shared, revoked, pools)
    windows = None
    if config.push_guard is not None:
        ratings = shared.post_pss
        windows = find_push_windows(
            ratings.note_idx,
            rating_levels(ratings.helpful_num),
            ratings.created_at_ms,
            found.flagged,
            config.push_guard,
        )
        _log.info("push guard: %d pushed cells", windows.n_cells)
    if found.flagged.any():
        keep = ~found.flagged
        shared = dataclasses.replace(
            shared,
            post_pss=shared.post_pss.subset(keep),
            correlated=shared.correlated[keep],
            scoped_mask=None,
        )
    if windows is not None:
        shared = dataclasses.replace(shared, push_windows=windows)
    if revoked is not None and shared.established is not None:
        shared = dataclasses.replace(
            shared, established=shared.established & ~revoked.revoked, revoked_groups=revoked.groups
        )
    return SharedScreening(shared, found, None if revoked is None else revoked.revoked, pools)


def _thin_pools(
    shared: CoreInputs, config: ThinPoolConfig, keep: NDArray[np.bool_]
) -> ThinPoolResult:
    """The thin-pool test on the shared post-PSS ratings co-rating did not flag (``keep``);
    its arrays are returned on all of them (the others never flagged): a brigade's
    verdicts co-rating already removed do not seed a block again."""
    ratings = shared.post_pss
    found = find_thin_pools(
        ratings.note_idx[keep],
        ratings.rater_idx[keep],
        rating_levels(ratings.helpful_num[keep]),
        shared.n_participants,
        config,
        block=shared.modeling_group,
        established=shared.established,
    )
    if not keep.all():
        n = keep.shape[0]
        concentrated = np.zeros(n, dtype=np.bool_)
        flagged = np.zeros(n, dtype=np.bool_)
        concentrated[keep] = found.concentrated
        flagged[keep] = found.flagged
        found = dataclasses.replace(found, concentrated=concentrated, flagged=flagged)
    _log.info(
        "thin pools: %d cell pairs beyond the null, %d pools, %d raters (%d established), "
        "%d ratings flagged",
        found.n_edges,
        found.n_groups,
        int((found.group >= 0).sum()),
        int(found.revoked.sum()),
        int(found.flagged.sum()),
    )
    return found


def _with_pools(
    found: CoRatingResult,
    pools: ThinPoolResult,
    rater_idx: NDArray[np.integer],
    established: NDArray[np.bool_] | None,
) -> CoRatingResult:
    """Co-rating's result with the thin pools as further groups: their flagged ratings
    joined, their unproven members with flagged ratings grouped (co-rating's groups kept;
    established members stay -1 there as in co-rating's groups, their revocation is
    recorded apart)."""
    if pools.n_groups == 0:
        return found
    member = np.zeros(found.group.shape[0], dtype=np.bool_)
    member[rater_idx[pools.flagged]] = True
    member &= found.group < 0
    if established is not None:
        member &= ~established
    group = found.group.copy()
    group[member] = found.n_groups + pools.group[member]
    return dataclasses.replace(
        found,
        group=group,
        flagged=found.flagged | pools.flagged,
        n_groups=found.n_groups + pools.n_groups,
    )


def _revoke_pools(
    shared: CoreInputs, revoked: _Revocation | None, pools: ThinPoolResult
) -> _Revocation | None:
    """The revocation with the pools' established members revoked too, and the pools
    (their concentrated cells) among the revoked groups that conviction judges."""
    if shared.established is None or not pools.revoked.any():
        return revoked
    ratings = shared.post_pss
    mine = revoked_groups(
        ratings.note_idx,
        rating_levels(ratings.helpful_num),
        ratings.rater_idx,
        pools.group,
        pools.concentrated,
        shared.n_notes,
    )
    if revoked is None:
        return _Revocation(pools.revoked.copy(), mine)
    old = revoked.groups
    per_group = 3 * shared.n_notes
    # Pool ids after the revocation pass's; a rater in both keeps its co-rating group.
    group = np.where(
        old.group >= 0, old.group, np.where(mine.group >= 0, mine.group + old.n_groups, -1)
    )
    cells = np.unique(np.concatenate([old.cells, mine.cells + old.n_groups * per_group]))
    merged = RevokedGroups(group, cells, shared.n_notes, old.n_groups + mine.n_groups)
    return _Revocation(revoked.revoked | pools.revoked, merged)


@dataclass(frozen=True)
class _Revocation:
    revoked: NDArray[np.bool_]
    groups: RevokedGroups


def _revoked(shared: CoreInputs, config: CoRatingConfig) -> _Revocation | None:
    """Established raters in coordinated co-rating groups among the established raters'
    own post-PSS ratings (``CoRatingConfig.revoke_established``), and the groups with the
    cells they concentrate on; None when off.

    Behaviour change after establishment: accounts aged past the bar that wake up together
    share verdicts on the same notes far beyond the null, like any brigade. Their ratings
    are not dropped here (honest established circles rate alike too); losing their
    establishment sends them to the unexplained-ratings test, which only removes what the
    model cannot explain.
    """
    established = shared.established
    if established is None or not config.revoke_established or not established.any():
        return None
    ratings = shared.post_pss
    own = established[ratings.rater_idx]
    found = find_co_rating_groups(
        ratings.note_idx[own],
        ratings.rater_idx[own],
        rating_levels(ratings.helpful_num[own]),
        shared.n_participants,
        config,
        block=shared.modeling_group,
    )
    revoked: NDArray[np.bool_] = established & (found.group >= 0)
    _log.info(
        "co-rating among established raters: %d pairs, %d groups, %d raters revoked (%d attached)",
        found.n_pairs,
        found.n_groups,
        int(revoked.sum()),
        found.n_attached,
    )
    groups = revoked_groups(
        ratings.note_idx[own],
        rating_levels(ratings.helpful_num[own]),
        ratings.rater_idx[own],
        found.group,
        found.flagged,
        shared.n_notes,
    )
    return _Revocation(revoked, groups)


def screen_bursts(
    inputs: CoreInputs,
    config: ScoringConfig,
    co_rating: CoRatingResult | None = None,
    *,
    memo: DefenceMemo | None = None,
) -> BurstScreening:
    """The pre-prescoring pass: drop the scoped ratings flagged by coordinated co-rating,
    then those flagged by bursts (rater sides unknown).

    Parameters
    ----------
    inputs : CoreInputs of the run (a scorer's view).
    config : ScoringConfig; nothing happens when ``co_rating`` and ``bursts`` are None.
    co_rating : the run-wide detection of ``screen_shared`` when the view was taken from its
        screened inputs (nothing is detected again; it is only recorded), else None: with
        ``config.co_rating`` set the detection runs on the view's scoped ratings.
    memo : the run's ``SharedScreening.memo`` (a view equal to another scorer's takes its
        bursts from there), or None.

    Returns
    -------
    BurstScreening
    """
    if co_rating is None and config.co_rating is not None:
        co_rating = _co_rating(inputs, config.co_rating)
        if co_rating.flagged.any():
            inputs = _subset(inputs, ~co_rating.flagged)
    if config.bursts is None:
        return BurstScreening(inputs, None, co_rating)
    sides = np.zeros(inputs.n_participants, dtype=np.int8)
    bursts = _detect(inputs, sides, config.bursts, memo)
    if bursts.flagged.any():
        inputs = _subset(inputs, ~bursts.flagged)
    return BurstScreening(inputs, bursts, co_rating)


def screen_unexplained(
    screening: BurstScreening,
    pre: PrescoringResult,
    config: ScoringConfig,
    *,
    memo: DefenceMemo | None = None,
) -> tuple[BurstScreening, bool]:
    """The unexplained-ratings test on a first prescoring (``ScoringConfig.unexplained`` with
    ``establishment``): the flagged ratings leave the screened inputs.

    Returns
    -------
    (screening, rerun): the screening without the flagged ratings, and ``rerun`` True when
    they are at least ``UnexplainedConfig.rerun_min_share`` of the view's ratings
    (prescoring must then run again on ``screening.inputs``; fewer cannot bend a fit on
    all the others, and only leave the final fits); the input screening and False when
    nothing was flagged.
    """
    inputs = screening.inputs
    if config.unexplained is None or inputs.established is None:
        return screening, False
    found = _unexplained(inputs, pre, config.unexplained, memo)
    n_flagged = int(found.flagged.sum())
    if n_flagged == 0:
        return dataclasses.replace(screening, unexplained_clear=found), False
    cleaned = _subset(inputs, ~found.flagged)
    rerun = n_flagged >= config.unexplained.rerun_min_share * inputs.scoped.n_ratings
    return dataclasses.replace(screening, inputs=cleaned, unexplained=found), rerun


def apply_defences(
    inputs: CoreInputs,
    pre: PrescoringResult,
    config: ScoringConfig,
    *,
    clear: UnexplainedResult | None = None,
    memo: DefenceMemo | None = None,
) -> Defences:
    """Run the configured defences on the scoped ratings (see the module docstring).

    Parameters
    ----------
    inputs : CoreInputs after ``screen_bursts`` (prescoring's input).
    pre : PrescoringResult (rater sides come from its final-round rater factors, the trust
        seeds from its helpfulness).
    config : ScoringConfig; ``bursts`` and ``trust`` select the defences.
    clear : the unexplained-ratings test on exactly ``inputs`` and ``pre`` under
        ``config.unexplained`` that flagged nothing (``BurstScreening.unexplained_clear``),
        or None. When the side-aware bursts drop nothing the test is not run again: its
        inputs, model and config are the same, so is its result.
    memo : the run's ``SharedScreening.memo``, or None.

    Returns
    -------
    Defences
    """
    inputs, weights, bursts, unexplained = _model_defences(
        inputs,
        partial(_prescoring_model, pre, inputs.established),
        config,
        pre.final_round.rater_factors[:, 0],
        clear=clear,
        memo=memo,
    )
    trust: RaterTrust | None = None
    if config.trust is not None:
        h = pre.helpfulness
        # Seeds: raters whose ratings agree with bridged outcomes on enough decided notes
        # (and, with an establishment, whose weight predates this data).
        helpful = (
            h.has_row
            & h.above_helpfulness_threshold
            & (h.counts.valid >= config.trust.min_seed_ratings)
        )
        established = inputs.established
        if established is not None:
            helpful = helpful & established
        trust = rater_trust(inputs.scoped, inputs.history.created_at_ms, helpful, config.trust)
        if established is not None:
            # Only unproven raters can lose trust.
            trust = dataclasses.replace(
                trust,
                trusted=trust.trusted | established,
                weight=np.where(established, 1.0, trust.weight),
            )
        if config.trust.mode == "weight":
            rater_w = trust.weight[inputs.scoped.rater_idx]
            weights = rater_w if weights is None else weights * rater_w
            # Weight-0 ratings carry nothing; drop them so they do not count towards the
            # minimum ratings per note either.
            keep = weights > 0
            if not keep.all():
                inputs = _subset(inputs, keep)
                weights = weights[keep]
        else:
            keep = trust.trusted[inputs.scoped.rater_idx]
            _log.info(
                "trust: %d raters untrusted, %d ratings dropped",
                int((~trust.trusted[np.unique(inputs.scoped.rater_idx)]).sum()),
                int((~keep).sum()),
            )
            if not keep.all():
                inputs = _subset(inputs, keep)
                weights = None if weights is None else weights[keep]
    return Defences(inputs, weights, bursts, trust, unexplained)


@dataclass(frozen=True)
class _RaterModel:
    """A scorer's prescoring as the post-prescoring defences read it: ``ŷ = μ + i_u +
    ρ_u i_n + f_u f_n`` (``reputations`` None: ρ_u = 1, the bridging MF)."""

    intercepts: NDArray[np.float64]
    factors: NDArray[np.float64]
    global_intercept: float
    reputations: NDArray[np.float64] | None = None


def _model_defences(
    inputs: CoreInputs,
    model: Callable[[], _RaterModel],
    config: ScoringConfig,
    side_factors: NDArray[np.float64],
    *,
    clear: UnexplainedResult | None = None,
    memo: DefenceMemo | None = None,
) -> tuple[CoreInputs, NDArray[np.float64] | None, BurstResult | None, UnexplainedResult | None]:
    """The side-aware bursts (sides from ``side_factors``) and the unexplained-ratings test
    after a prescoring (its model built on demand): (inputs without the dropped ratings,
    weights of the kept ones or None, bursts, unexplained). ``clear``: see
    ``apply_defences``."""
    weights: NDArray[np.float64] | None = None
    bursts: BurstResult | None = None
    tested = inputs
    if config.bursts is not None and config.bursts.split_sides:
        bursts = _detect(inputs, rater_sides(side_factors), config.bursts, memo)
        if bursts.flagged.any():
            if config.bursts.rating_weight == 0.0:
                inputs = _subset(inputs, ~bursts.flagged)
            else:
                weights = np.where(bursts.flagged, config.bursts.rating_weight, 1.0)
    unexplained: UnexplainedResult | None = None
    if config.unexplained is not None and inputs.established is not None:
        if clear is not None and inputs is tested:
            return inputs, weights, bursts, clear
        unexplained = _unexplained_model(inputs, model(), config.unexplained, memo)
        if unexplained.flagged.any():
            keep = ~unexplained.flagged
            inputs = _subset(inputs, keep)
            weights = None if weights is None else weights[keep]
    return inputs, weights, bursts, unexplained


def apply_reputation_defences(
    inputs: CoreInputs, state: ReputationState, config: ScoringConfig
) -> Defences:
    """The post-prescoring defences of the Reputation scorer's final phase: the side-aware
    bursts (sides from its prescoring's rater factors) and the unexplained-ratings test
    under its model ``ŷ = μ + b_u + ρ_u b_n + f_u f_n`` (round 3's μ and b_u, the
    prescoring's ρ_u and f_u). Its final fits take no rating weights, so a down-weighted
    burst rating is dropped. Trust needs the bridging helpfulness of a Core-like
    prescoring and is not applied here (it is opt-in elsewhere too).

    Parameters
    ----------
    inputs : the scorer's screened view (``screen_bursts``).
    state : its prescoring (``ReputationPrescoring.state``).
    config : ScoringConfig (the scorer's).

    Returns
    -------
    Defences (``rating_weights`` and ``trust`` None).
    """
    model = _RaterModel(
        state.rater_intercepts,
        state.rater_factors,
        float(state.global_round3),
        np.nan_to_num(state.rater_reputations, nan=1.0),
    )
    inputs, weights, bursts, unexplained = _model_defences(
        inputs, lambda: model, config, state.rater_factors
    )
    if weights is not None:
        keep = weights > 0.0
        inputs = _subset(inputs, keep) if not keep.all() else inputs
    return Defences(inputs, None, bursts, None, unexplained)


def _unexplained(
    inputs: CoreInputs,
    pre: PrescoringResult,
    config: UnexplainedConfig,
    memo: DefenceMemo | None = None,
) -> UnexplainedResult:
    return _unexplained_model(inputs, _prescoring_model(pre, inputs.established), config, memo)


def _prescoring_model(pre: PrescoringResult, established: NDArray[np.bool_] | None) -> _RaterModel:
    """The final round's rater parameters; unproven raters it left out (the helpfulness
    filter drops accounts whose verdicts go against bridged outcomes: a brigade's members
    first of all) take their round-1 parameters, factor sign aligned with the final round's.

    Their ratings left the final fits but bent round 1 and the helpfulness scores every
    other rater is filtered by, so the unexplained-ratings test must see them too.
    Established raters outside the final round stay out (the reference is the raters the
    model kept).
    """
    final, first = pre.final_round, pre.round1
    intercepts = final.rater_intercepts.copy()
    factors = final.rater_factors[:, 0].copy()
    f1 = first.rater_factors[:, 0]
    fill = ~np.isfinite(intercepts) & np.isfinite(first.rater_intercepts) & np.isfinite(f1)
    if established is not None:
        fill &= ~established
    if fill.any():
        both = np.isfinite(factors) & np.isfinite(f1)
        sign = 1.0 if float(np.dot(factors[both], f1[both])) >= 0.0 else -1.0
        intercepts[fill] = first.rater_intercepts[fill]
        factors[fill] = sign * f1[fill]
    return _RaterModel(intercepts, factors, float(final.global_intercept))


def _unexplained_model(
    inputs: CoreInputs,
    model: _RaterModel,
    config: UnexplainedConfig,
    memo: DefenceMemo | None = None,
) -> UnexplainedResult:
    if memo is None:
        return _test_unexplained(inputs, model, config)
    groups = inputs.revoked_groups
    assert inputs.established is not None
    key = (
        "unexplained",
        memo.ratings_print(inputs.scoped),
        digest(
            model.intercepts,
            model.factors,
            model.global_intercept,
            model.reputations,
            inputs.established,
            None if groups is None else groups.group,
            None if groups is None else groups.cells,
        ),
        inputs.n_notes,
        config,
    )
    return memo.get(key, partial(_test_unexplained, inputs, model, config))


def _find_unexplained(
    inputs: CoreInputs,
    model: _RaterModel,
    config: UnexplainedConfig,
    keep: NDArray[np.bool_] | None,
) -> UnexplainedResult:
    """The per-note test on the scoped ratings (``keep``: only those rows, the others
    neither tested nor reference; flags come back over every scoped rating)."""
    assert inputs.established is not None
    scoped = inputs.scoped
    rows = slice(None) if keep is None else keep
    found = find_unexplained_ratings(
        scoped.note_idx[rows],
        scoped.rater_idx[rows],
        scoped.helpful_num[rows],
        model.intercepts,
        model.factors,
        model.global_intercept,
        inputs.established,
        inputs.n_notes,
        config,
        rater_weight=model.reputations,
    )
    if keep is None:
        return found
    flagged = np.zeros(scoped.n_ratings, dtype=np.bool_)
    flagged[keep] = found.flagged
    return dataclasses.replace(found, flagged=flagged)


def _acquit(
    inputs: CoreInputs,
    model: _RaterModel,
    config: UnexplainedConfig,
    found: UnexplainedResult,
    conviction: Conviction,
) -> UnexplainedResult:
    """Per-note flags without the members of acquitted groups (``acquit_groups``).

    A revoked group tested on at least ``convict_min_notes`` of its notes and not
    convicted there is judged: its members' ratings leave the per-note test (neither
    tested nor reference) and the test runs again on the rest, so a note caught only
    through them keeps all its ratings. Their residuals on a note are not independent
    draws: a circle's members learnt their parameters mostly from the same notes, and
    share each note's misfit, so the per-note bar (set for independent residuals) is
    crossed by chance more often on a group's notes than elsewhere; the group, over all
    its notes, is the unit of evidence for them (``conviction.py``). Groups tested on
    fewer notes have no such evidence against the catch, and their flags stand. The
    result's ``flagged``, ``targeted`` and ``flagged_raters`` are the second pass's;
    ``tested``, ``note_shift`` and ``note_z`` stay the first's (the conviction's evidence).
    """
    groups = inputs.revoked_groups
    assert groups is not None and inputs.established is not None
    acquitted = (conviction.tested >= config.convict_min_notes) & ~conviction.convicted
    if not acquitted.any():
        return found
    raters = inputs.scoped.rater_idx
    rg = groups.group[raters]
    judged = (rg >= 0) & ~inputs.established[raters]
    judged[judged] = acquitted[rg[judged]]
    if not (found.flagged & judged).any():
        return found
    again = _find_unexplained(inputs, model, config, ~judged)
    _log.info(
        "unexplained: %d ratings of %d acquitted groups out of the per-note test, %d -> %d flagged",
        int(judged.sum()),
        int(acquitted.sum()),
        int(found.flagged.sum()),
        int(again.flagged.sum()),
    )
    return dataclasses.replace(
        found,
        flagged=again.flagged,
        targeted=again.targeted,
        flagged_raters=np.unique(raters[again.flagged]).astype(np.int64),
    )


def restored_raters(
    revoked: NDArray[np.bool_] | None,
    groups: RevokedGroups | None,
    tests: tuple[UnexplainedResult | None, ...],
    config: UnexplainedConfig | None,
    stands: NDArray[np.bool_] | None = None,
    flagged: NDArray[np.bool_] | None = None,
) -> NDArray[np.bool_] | None:
    """Raters whose revoked establishment a scorer's run gives back once its tests are done
    (``UnexplainedConfig.restore_acquitted``): the revoked members of the revoked groups
    that one of its unexplained-ratings tests acquitted (judged on at least
    ``convict_min_notes`` of their notes, not convicted), none convicted, none of whose
    members lost a rating to them, and with no member in ``stands``; each of them
    restored unless ``flagged`` (another defence of the scorer took its ratings out).

    A thin pool's members lost their verdicts on its targets in the run-wide pass
    (``ThinPoolResult.revoked``: established members included), before any test: with
    those ratings gone the tests have nothing left to catch, so their acquittal says
    nothing and their revocation stands. So does a member's whose ratings another
    defence took out before or between the tests (a burst): the tests did not judge what
    it did.

    Parameters
    ----------
    revoked : bool array of shape (n_participants,), ``SharedScreening.revoked`` (None:
        nothing was revoked).
    groups : the revoked groups of the scorer's view (``CoreInputs.revoked_groups``).
    tests : the scorer's unexplained-ratings tests (before prescoring, before the final
        fits; None: not run).
    config : the scorer's ``UnexplainedConfig`` (None: off).
    stands : bool array of shape (n_participants,), raters whose revocation stands
        whatever the tests say, with their groups (thin pools' members); None: none.
    flagged : bool array of shape (n_participants,), raters another defence of the scorer
        flagged (coordinated bursts, untrusted): their own revocation stands; None: none.

    Returns
    -------
    bool array of shape (n_participants,), or None when nothing is restored.
    """
    if revoked is None or groups is None or config is None or not config.restore_acquitted:
        return None
    k = groups.n_groups
    acquitted = np.zeros(k, dtype=np.bool_)
    convicted = np.zeros(k, dtype=np.bool_)
    for found in tests:
        if found is None:
            continue
        # A test of another group index (a view without these groups) says nothing.
        if found.acquitted is not None and found.acquitted.shape == (k,):
            acquitted |= found.acquitted
        if found.convicted is not None:
            if found.convicted.shape != (k,):
                return None
            convicted |= found.convicted
    clear = acquitted & ~convicted
    if not clear.any():
        return None
    n = min(revoked.shape[0], groups.group.shape[0])
    g = groups.group[:n]
    for found in tests:
        # A group with a member the tests flagged (a note caught before the acquittal took
        # the group out of the per-note test, or in a test that did not judge it) keeps
        # its suspicion.
        if found is not None and found.flagged_raters.size:
            hit = found.flagged_raters[found.flagged_raters < n]
            clear[g[hit][g[hit] >= 0]] = False
    if stands is not None:
        m = min(n, stands.shape[0])
        held = g[:m][stands[:m]]
        clear[held[held >= 0]] = False
    if not clear.any():
        return None
    out = np.zeros(revoked.shape[0], dtype=np.bool_)
    member = revoked[:n] & (g >= 0)
    out[:n][member] = clear[g[member]]
    if flagged is not None:
        m = min(n, flagged.shape[0])
        out[:m] &= ~flagged[:m]
    if not out.any():
        return None
    _log.info(
        "unexplained: %d revoked raters of %d acquitted groups restored to established",
        int(out.sum()),
        int(clear.sum()),
    )
    return out


def _pooled_bar(n_groups: int, config: UnexplainedConfig) -> float:
    """The bar of a group's pooled evidence (``conviction.py``): at least ``min_z`` and
    the one-sided Bonferroni bound for ``alpha`` over the revoked groups."""
    from scipy.special import ndtri

    return max(config.min_z, float(-ndtri(config.alpha / max(n_groups, 1))))


def _test_unexplained(
    inputs: CoreInputs, model: _RaterModel, config: UnexplainedConfig
) -> UnexplainedResult:
    assert inputs.established is not None
    found = _find_unexplained(inputs, model, config, None)
    groups = inputs.revoked_groups
    convicted = 0
    scoped = inputs.scoped
    if (
        config.convict_groups
        and groups is not None
        and (found.targeted.any() or (config.convict_pooled and found.note_z.size))
    ):
        conviction = convict_groups(
            scoped.note_idx,
            rating_levels(scoped.helpful_num),
            scoped.rater_idx,
            ~inputs.established,
            groups,
            found.tested,
            found.targeted,
            found.note_shift,
            min_notes=config.convict_min_notes,
            share=config.convict_share,
            note_z=found.note_z if config.convict_pooled and found.note_z.size else None,
            pooled_z=_pooled_bar(groups.n_groups, config),
            pooled_mean=config.convict_pooled_mean,
        )
        convicted = int(conviction.convicted.sum())
        _log.debug(
            "conviction: caught %s, tested %s, pooled %s",
            conviction.caught.tolist(),
            conviction.tested.tolist(),
            None if conviction.pooled is None else np.round(conviction.pooled, 1).tolist(),
        )
        acquitted = (conviction.tested >= config.convict_min_notes) & ~conviction.convicted
        if config.acquit_groups:
            found = _acquit(inputs, model, config, found, conviction)
        found = dataclasses.replace(found, acquitted=acquitted)
        if convicted:
            flagged = found.flagged | conviction.flagged
            found = dataclasses.replace(
                found,
                flagged=flagged,
                flagged_raters=np.unique(scoped.rater_idx[flagged]).astype(np.int64),
                convicted=conviction.convicted,
            )
    _log.info(
        "unexplained: %d targeted notes, %d ratings flagged (sigma %.3f), %d groups convicted",
        int(found.targeted.sum()),
        int(found.flagged.sum()),
        found.sigma,
        convicted,
    )
    return found

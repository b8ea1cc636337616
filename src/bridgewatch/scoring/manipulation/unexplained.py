"""Unexplained ratings: unproven raters whose verdicts on a note are far from what the
bridging model predicts for them, concentrated on that note (a bridgewatch defence).

A pool of new accounts that spreads its ratings thin (each target rated by a fresh subset,
each pair of accounts sharing ~1 target) leaves no co-rating signal, and camouflage ratings
give every account ordinary trust. What it cannot hide is the point of the attack: on each
target its accounts say something the model does not expect *from them* -- a rater who
looks like camp A (its factor, learnt from its other ratings) calls a good note slanted
towards A not helpful, or a bad one helpful -- and many of them say it on the same note.

Math
----
Given the prescoring model ``ŷ = μ + i_u + i_n + f_u f_n`` (1-D factors; rater parameters
fixed) and a mask of *established* raters:

1. **Established-only notes.** Each note's ``(i_n, f_n)`` is refit on its established
   ratings alone, by ridge least squares on ``r = y - μ - i_u``::

       [[n + λ_i, Σ f_u], [Σ f_u, Σ f_u² + λ_f]] (i_n, f_n)ᵀ = (Σ r, Σ r f_u)ᵀ

   so a brigade cannot bend the prediction it is tested against. ``λ_i``, ``λ_f`` are
   pseudo-ratings (``intercept_prior``, ``factor_prior``).
2. **Residuals.** Every unproven rating on a note with at least ``min_established``
   established ratings gets ``e = y - (μ + i_u + i_n^E + f_u f_n^E)``; ``σ`` is the RMS
   residual of the established ratings under the same refit.
2b. **Unproven intercepts.** An unproven rater's intercept is learnt from a handful of
   ratings, and when most of them are the attack (an account that only ever calls good
   notes unhelpful) the intercept *is* the attack: a harsh rater, so its verdicts look
   expected. Its prediction uses the intercept shrunk towards the population by
   empirical Bayes, ``i_u n_u / (n_u + κ)`` (``n_u`` its ratings, ``κ = σ² / τ²``, ``τ²``
   the variance of the established raters' intercepts net of their sampling noise
   ``σ² / n``): a newcomer's leniency counts as far as its ratings can show it, and
   honest newcomers' leniencies average out over a note. Factors are kept: a viewpoint is
   what lets honest newcomers of one camp disagree with the other on one-sided notes.
3. **Concentration.** For note ``n`` with ``k_n`` unproven ratings (residual mean
   ``ē_n``) and ``m_n`` established ones, the note is *targeted* when ``k_n >=
   min_ratings``, ``|ē_n| >= min_mean_residual`` and the two-sample statistic

       t_n = |ē_n| / (s_n sqrt(1 / k_n + 1 / m_n))

   reaches ``z*`` once converted to the normal scale (``z_n = Φ⁻¹(1 - T_ν(-t_n))``, Student's
   ``T`` with ``ν_n = k_n + m_n - 3 + variance_prior`` degrees of freedom: one for the
   unproven mean, two for the note refit): many unproven raters deviating the same way on
   one note, beyond what honest newcomers' noise and the uncertainty of the
   established-only refit itself produce. ``s_n²`` is the pooled within-group variance of
   the note's residuals (established ones about their mean, unproven ones about theirs)
   plus ``variance_prior`` pseudo-ratings of ``σ²``, over ``ν_n``. Pooling both groups is
   what the null (the unproven raters rate like the established ones) allows: on a note
   whose few established verdicts happen to agree (a bad note almost nobody calls
   helpful) the established residuals alone understate the spread of 0/1 verdicts, and a
   Wald test on them flags honest notes (one honest note of 6,207 tested reached z 4.9 at
   1M ratings; this statistic gives it 3.6 and the largest of the 6,207 is 3.7, as a
   normal null predicts). The Student conversion keeps notes with few ratings (a variance
   from a dozen residuals) from the normal's thin tail. ``z* = max(min_z, Φ⁻¹(1 - alpha /
   (2 N)))`` over the ``N`` notes tested (Bonferroni: a million-rating community tests
   tens of thousands of notes per scorer).

   With ``variance="floor"`` (the default) the unproven mean's variance is at least what
   the unproven ratings' own spread gives it, ``max(s_n², s_k²) / k_n + s_n² / m_n`` with
   ``s_k² = (SS_k + λ σ²) / (k_n - 1 + λ)`` (``λ = variance_prior``). The pooled variance
   is dominated by the established group, which on a clear-cut note is nearly unanimous: a
   handful of honest newcomers who split on it (4 NOT HELPFUL of 5 on a good note that 19
   of 20 established raters call helpful, a 0.3% event per note) reached z 4.3 over 53
   tested notes at 1M ratings. A brigade that says the same thing on its target has little
   spread of its own, and with many accounts ``s_k² / k_n`` is small whatever their spread
   (a two-camp brigade's residuals are bimodal), so the floor costs large brigades nothing.
   (Each group's own variance with Welch-Satterthwaite degrees of freedom was tried: on
   targets with few established ratings its degrees of freedom are the established
   group's, and an aged brigade of 128 accounts promoted 5 of 10 targets.)
4. **Flags.** On a targeted note every unproven rating is flagged (``whole_note``,
   default) but those whose verdict opposes the note's deviation (``keep_opposing``: NOT
   HELPFUL on a note pushed up, HELPFUL on a note pushed down, or a residual at least
   ``min_residual`` against the shift): a coordinated deviation is evidence that the note
   is under attack, and the accounts whose verdict the model happens to explain -- a
   camp's own members piling on -- still bend the note's fit by their volume alone, so the
   note is scored by its established raters and by the unproven verdicts that pull against
   the attack. Dropping those only helped the attacker: an honest newcomer's HELPFUL on a
   good note under a suppression brigade is what the brigade wants gone, and on a target
   with a handful of ratings losing three of them can tip the note below the firm-reject
   bar (an aged suppression target at 10% in round three). With ``whole_note`` False only
   the unproven ratings deviating the note's way by at least ``max(min_residual, |S_n| /
   (2 k_n))`` are flagged. Established raters' ratings always stay.

Honest newcomers are few per note and scattered, and agree with the established raters
of their camp: their residuals are noise around 0. A niche circle of established raters
is never flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import ConfigError

__all__ = ["UnexplainedConfig", "UnexplainedResult", "find_unexplained_ratings"]


@dataclass(frozen=True)
class UnexplainedConfig:
    """Hyperparameters of the unexplained-ratings test (see the module docstring).

    Parameters
    ----------
    min_established : a note is tested only with at least this many established ratings (3:
        the refit has two parameters and the test's ``1 / m_n`` term and Student degrees of
        freedom carry the uncertainty of a small reference; at 1M ratings without attack
        lowering it from 8 to 2 flags nothing).
    min_ratings : ... and at least this many unproven ratings (5).
    min_mean_residual : the unproven ratings' mean residual on the note reaches this in
        absolute value (0.3, rating units) ...
    min_z : ... and that mean is at least this many standard errors (4.0, see step 3) ...
    alpha : ... and at least the two-sided Bonferroni bound for ``alpha`` over the tested
        notes (0.01).
    variance_prior : pseudo-ratings (and degrees of freedom) of the global residual variance
        in each note's variance, and in the unproven group's own (``variance="floor"``) (10.0).
    variance : "floor" (the unproven mean's variance is at least their own spread's;
        default) or "pooled" (one within-group variance for both groups, as in round four).
    min_residual : a flagged rating deviates at least this much, and half the note's mean
        shift, in the note's direction (0.25).
    intercept_prior, factor_prior : ridge pseudo-ratings of the established-only note refit
        (1.0 each).
    scaled_factor_prior : a factor pseudo-rating is one at the established raters' mean
        squared factor (True), not at factor 1. The model's factors are small (|f_u| about
        0.3-0.5), so a pseudo-rating at factor 1 weighed like 5-10 real ratings and shrank
        the note factor of a niche note with a handful of established raters towards 0: an
        honest circle of one camp then looked unexplained on its own one-sided note (25
        ratings flagged in the Expansion views of the bench's community without attack).
    whole_note : on a targeted note flag every unproven rating (True), not only the large
        deviations the note's way.
    keep_opposing : ... except the ratings whose verdict opposes the note's deviation
        (True; step 4).
    shrink_unproven : predict unproven raters with their intercepts shrunk by empirical
        Bayes (True, step 2b).
    rerun_min_share : the scorer's prescoring runs again without the ratings the test
        flags on it when they are at least this share of its ratings (1e-4); fewer only
        leave the final fits. A handful of ratings cannot bend a fit on all the others: at
        1M ratings without attack the Expansion scorers' 17 flagged ratings on one note cost
        a second prescoring of a million ratings each, while the smallest benchmarked
        brigade (8 accounts on 10 targets, 0.05% of its community) is far above the bar.
    convict_groups : with revoked co-rating groups (``CoreInputs.revoked_groups``), a group
        the test catches on at least ``convict_min_notes`` of its notes (2) and at least
        ``convict_share`` of the notes of its it could test (1/3) loses its members'
        concentrated verdicts on all its notes, tested or not
        (``bridgewatch.scoring.manipulation.conviction``; True). Each catch is a
        Bonferroni-level event, so two are already strong evidence; the share only keeps
        chance catches on a group with very many notes from convicting it. Half was too
        strict once newcomers' intercepts stopped being shrunk towards 0 (a bias that had
        pushed every promotion up): an aged two-camp brigade of 64 accounts was caught on 4
        of its 9 testable notes and kept 2 targets; the bench's revoked honest circles are
        caught on none of their 23-25.
    convict_pooled : ... or whose pooled evidence over the notes it could test (at least
        ``convict_min_notes``), Stouffer's sum of the notes' statistics in the group's
        direction, reaches ``min_z`` and the one-sided Bonferroni bound for ``alpha``
        over the revoked groups (True). An aged brigade of 20 in a community of 600 raters
        deviated by z 0.9-3.8 on each of its 7 testable targets (none past the per-note
        bar 4, so no catch), 6.1 pooled.
    convict_pooled_mean : ... and the mean of those statistics over the group's tested
        notes is at least this (1.5): a misfit of the model shared by an honest group's
        many notes sums past any bar (29 notes at +0.76: 4.1), a brigade deviates by whole
        standard errors on each target (the live replay's: +2.6 and +1.8).
    acquit_groups : a revoked group the conviction tested on at least
        ``convict_min_notes`` of its notes and did not convict is judged on them: its
        members' ratings leave the per-note test, which runs again on the rest (True;
        ``bridgewatch.scoring.defences``). A group's members share each of its notes'
        misfit (a circle's members learn their parameters mostly on its notes), so the
        per-note bar, set for independent residuals, is crossed on a group's notes by
        chance: the bench's revoked circles' notes have statistics of sd 1.15-1.19 (other
        notes 1.00), and one bad circle note reached 4.66 over a bar of 4.55 in the
        Expansion scorers' view (26 honest ratings removed; 4.48 in Core's, with fewer
        circle members in scope) while the circle's groups pooled 1.4-1.9 over 23-24 notes.
    restore_acquitted : a revoked group the conviction judged (tested on at least
        ``convict_min_notes`` of its notes) and acquitted in some test of the scorer's run,
        convicted in none, with no member the tests flagged and none in a thin pool, gets
        its members' establishment back once the run's tests are done, but for members
        another defence flagged (bursts, trust) (``defences.restored_raters``,
        ``ScorerRun.restored``; True): the run reports them established and the live
        worker's watch counts them proven. Revocation is a suspicion that sends a group to
        the test; a group whose verdicts the model explains on its notes has answered it.
        Nothing the run scores changes (both tests saw the group revoked): the bench's
        honest niche circles, revoked in every community without attack (135-149 raters),
        are acquitted without losing a rating, and were otherwise left without a proven
        record for the watch. An aged brigade is acquitted only if its verdicts are what
        the model predicts on its notes; the same accounts, not co-rating beyond the null
        before they strike, are never revoked at all.
    """

    min_established: int = 3
    min_ratings: int = 5
    min_mean_residual: float = 0.3
    min_z: float = 4.0
    alpha: float = 0.01
    variance_prior: float = 10.0
    variance: str = "floor"
    scaled_factor_prior: bool = True
    min_residual: float = 0.25
    intercept_prior: float = 1.0
    factor_prior: float = 1.0
    whole_note: bool = True
    keep_opposing: bool = True
    shrink_unproven: bool = True
    rerun_min_share: float = 1e-4
    convict_groups: bool = True
    convict_min_notes: int = 2
    convict_share: float = 1.0 / 3.0
    convict_pooled: bool = True
    convict_pooled_mean: float = 1.5
    acquit_groups: bool = True
    restore_acquitted: bool = True

    def __post_init__(self) -> None:
        for name in ("min_established", "min_ratings", "convict_min_notes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(name, value, "an int >= 1")
        for name in ("min_mean_residual", "min_z", "min_residual"):
            if not 0.0 <= getattr(self, name) < 1e6:
                raise ConfigError(name, getattr(self, name), ">= 0")
        if self.variance not in ("floor", "pooled"):
            raise ConfigError("variance", self.variance, '"floor" or "pooled"')
        if not 0.0 <= self.rerun_min_share <= 1.0:
            raise ConfigError("rerun_min_share", self.rerun_min_share, "in [0, 1]")
        if not 0.0 <= self.convict_share <= 1.0:
            raise ConfigError("convict_share", self.convict_share, "in [0, 1]")
        if not 0.0 < self.alpha <= 1.0:
            raise ConfigError("alpha", self.alpha, "in (0, 1]")
        for name in ("intercept_prior", "factor_prior", "variance_prior"):
            if not 0.0 < getattr(self, name) < 1e9:
                raise ConfigError(name, getattr(self, name), "> 0")


@dataclass(frozen=True)
class UnexplainedResult:
    """What the test found.

    Attributes
    ----------
    flagged : bool array of shape (n_ratings,), the unexplained ratings.
    targeted : bool array of shape (n_notes,), notes where unproven raters deviate together.
    note_shift : float64 array of shape (n_notes,), mean residual of the unproven ratings on
        each note (NaN where the note was not tested).
    sigma : RMS residual of the established ratings under the established-only refit.
    tested : bool array of shape (n_notes,), notes with enough established and unproven
        ratings to be tested (``min_established``, ``min_ratings``).
    flagged_raters : int64 array, the distinct raters of the flagged ratings (kept when a
        scorer's run drops its per-rating arrays, so audits can still name them).
    convicted : bool array of shape (n_groups,) over the revoked co-rating groups
        (``CoreInputs.revoked_groups``): the groups convicted on their notes
        (``conviction.py``; their flags are in ``flagged``), or None when no group was.
    acquitted : bool array of shape (n_groups,), the revoked groups the conviction judged
        (tested on at least ``convict_min_notes`` of their notes) and did not convict, or
        None when the conviction did not run.
    note_z : float64 array of shape (n_notes,), the step-3 statistic on the normal scale
        for the unproven mean residual *less the established raters' own mean residual*
        on the note (the refit's shrinkage leaves that at ``λ_i i_n / m_n``, a bias every
        rater of the note shares), signed (0 where the note was not tested; empty when not
        computed). A group's evidence over its notes (``conviction.py``) sums it.
    z_star : the per-note bar ``z*`` the test used.
    """

    flagged: NDArray[np.bool_]
    targeted: NDArray[np.bool_]
    note_shift: NDArray[np.float64]
    sigma: float
    tested: NDArray[np.bool_]
    flagged_raters: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    convicted: NDArray[np.bool_] | None = None
    acquitted: NDArray[np.bool_] | None = None
    note_z: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0, np.float64))
    z_star: float = float("inf")


def _normal_isf(p: float) -> float:
    """Upper-tail quantile of the standard normal (scipy.special, imported on use)."""
    from scipy.special import ndtri

    return float(-ndtri(p))


def _t_as_z(t: NDArray[np.float64], df: NDArray[np.float64]) -> NDArray[np.float64]:
    """Student ``t`` statistics with ``df`` degrees of freedom as normal quantiles of the
    same upper-tail probability (``inf`` where that probability underflows)."""
    from scipy.special import ndtri, stdtr

    p = stdtr(df, -np.abs(t))
    with np.errstate(divide="ignore"):
        out: NDArray[np.float64] = np.where(p > 0.0, -ndtri(p), np.inf)
    return out


def _established_notes(
    note: NDArray[np.int64],
    r: NDArray[np.float64],
    f: NDArray[np.float64],
    w: NDArray[np.float64] | None,
    n_notes: int,
    config: UnexplainedConfig,
    factor_scale: float = 1.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Per-note ridge refit of ``(i_n, f_n)`` on ``r ≈ w i_n + f_n f`` (step 1; ``w`` the
    raters' intercept multipliers, None for 1: the bridging model)."""
    n = np.bincount(note, minlength=n_notes).astype(np.int64)
    sww: NDArray[np.float64]
    if w is None:  # w_u = 1: the same sums without the products
        sww = n.astype(np.float64)
        sf = np.bincount(note, weights=f, minlength=n_notes)
        sr = np.bincount(note, weights=r, minlength=n_notes)
    else:
        sww = np.bincount(note, weights=w * w, minlength=n_notes).astype(np.float64)
        sf = np.bincount(note, weights=w * f, minlength=n_notes)
        sr = np.bincount(note, weights=w * r, minlength=n_notes)
    sff = np.bincount(note, weights=f * f, minlength=n_notes)
    srf = np.bincount(note, weights=r * f, minlength=n_notes)
    a = sww + config.intercept_prior
    c = sff + config.factor_prior * factor_scale
    det = a * c - sf * sf  # > 0: both priors are positive
    intercept = (c * sr - sf * srf) / det
    factor = (a * srf - sf * sr) / det
    return intercept, factor, n


def _intercept_shrinkage(
    raters: NDArray[np.int64],
    iu: NDArray[np.float64],
    est: NDArray[np.bool_],
    tested: NDArray[np.bool_],
    noise: float,
    n_raters: int,
) -> NDArray[np.float64]:
    """What each tested rating's residual gains when its rater's intercept is shrunk by
    empirical Bayes (step 2b): ``i_u (1 - n_u / (n_u + κ))`` with ``κ = σ² / τ²``, ``τ²``
    the spread of the established raters' intercepts net of their sampling noise."""
    n_u = np.bincount(raters, minlength=n_raters).astype(np.float64)
    # Each established rater once, in rater order (a per-rater mask, not a sort).
    rated = np.bincount(raters[est], minlength=n_raters) > 0
    by_rater = np.zeros(n_raters)
    by_rater[raters[est]] = iu[est]
    est_iu = by_rater[rated]
    est_n = n_u[rated]
    # The population the intercepts shrink towards: the established raters' mean intercept,
    # not 0. The model's rater intercepts do not average 0 (about +0.15 at 1M ratings), and
    # shrinking towards 0 lowered every unproven rater's prediction by a share of that mean:
    # a bias that made honest newcomers look more positive than predicted on every note
    # (17 honest ratings flagged on one bad note at 1M ratings in the Expansion views).
    centre = float(np.mean(est_iu)) if est_iu.size else 0.0
    tau2 = float(np.var(est_iu) - np.mean(noise / est_n)) if est_iu.size > 1 else 0.0
    kappa = noise / max(tau2, 1e-6)
    n_t = n_u[raters[tested]]
    out: NDArray[np.float64] = (iu[tested] - centre) * (kappa / (n_t + kappa))
    return out


def find_unexplained_ratings(
    note_idx: NDArray[np.integer],
    rater_idx: NDArray[np.integer],
    helpful_num: NDArray[np.floating],
    rater_intercept: NDArray[np.floating],
    rater_factor: NDArray[np.floating],
    global_intercept: float,
    established: NDArray[np.bool_],
    n_notes: int,
    config: UnexplainedConfig,
    *,
    rater_weight: NDArray[np.floating] | None = None,
) -> UnexplainedResult:
    """Flag unexplained ratings of unproven raters (see the module docstring).

    Parameters
    ----------
    note_idx, rater_idx : int arrays of shape (n_ratings,).
    helpful_num : float array of shape (n_ratings,), 0 / 0.5 / 1.
    rater_intercept : float array of shape (n_raters,), i_u (NaN: rater not in the model,
        its ratings are neither used nor flagged).
    rater_factor : float array of shape (n_raters,), the 1-D factor f_u (NaN likewise).
    global_intercept : μ.
    established : bool array of shape (n_raters,).
    n_notes : size of the note index (``note_idx < n_notes``).
    config : UnexplainedConfig
    rater_weight : float array of shape (n_raters,), each rater's multiplier of the note
        intercept (``ŷ = μ + i_u + w_u i_n + f_u f_n``: the Reputation scorer's ``ρ_u``), or
        None for 1 (the bridging model).

    Returns
    -------
    UnexplainedResult
    """
    m = note_idx.shape[0]
    n_raters = established.shape[0]
    for name, arr in (("rater_idx", rater_idx), ("helpful_num", helpful_num)):
        if arr.shape != (m,):
            raise ConfigError(name, arr.shape, f"shape ({m},) like note_idx")
    checked = [("rater_intercept", rater_intercept), ("rater_factor", rater_factor)]
    if rater_weight is not None:
        checked.append(("rater_weight", rater_weight))
    for name, arr in checked:
        if arr.shape != (n_raters,):
            raise ConfigError(name, arr.shape, f"shape ({n_raters},) like established")
    if m and (int(note_idx.max()) >= n_notes or int(rater_idx.max()) >= n_raters):
        raise ConfigError("note_idx", "out of range", "indexes below n_notes / n_raters")
    flagged = np.zeros(m, dtype=np.bool_)
    shift = np.full(n_notes, np.nan)
    targeted = np.zeros(n_notes, dtype=np.bool_)
    raters = rater_idx.astype(np.int64, copy=False)
    notes = note_idx.astype(np.int64, copy=False)
    iu = np.asarray(rater_intercept, dtype=np.float64)[raters]
    fu = np.asarray(rater_factor, dtype=np.float64)[raters]
    known = np.isfinite(iu) & np.isfinite(fu)
    # Without multipliers (the bridging model) w_u = 1 is left out of every product.
    wu = None if rater_weight is None else np.asarray(rater_weight, dtype=np.float64)[raters]
    if wu is not None:
        known &= np.isfinite(wu)
    est = established[raters] & known
    if not est.any():
        return UnexplainedResult(flagged, targeted, shift, float("nan"), targeted.copy())
    y = np.asarray(helpful_num, dtype=np.float64)
    r = y - global_intercept - iu
    notes_e = notes[est]
    scale = float(np.mean(fu[est] ** 2)) if config.scaled_factor_prior else 1.0
    i_n, f_n, n_est = _established_notes(
        notes_e, r[est], fu[est], None if wu is None else wu[est], n_notes, config, max(scale, 1e-6)
    )
    resid = np.zeros(m)
    notes_k = notes[known]
    fitted = i_n[notes_k] if wu is None else wu[known] * i_n[notes_k]
    resid[known] = r[known] - fitted - f_n[notes_k] * fu[known]
    resid_e = resid[est]
    sigma = float(np.sqrt(np.mean(resid_e**2)))
    tested = (~established[raters]) & known & (n_est[notes] >= config.min_established)
    if not tested.any() or sigma <= 0.0:
        return UnexplainedResult(flagged, targeted, shift, sigma, targeted.copy())
    if config.shrink_unproven:
        resid[tested] += _intercept_shrinkage(raters, iu, est, tested, sigma**2, n_raters)
    notes_t, resid_t = notes[tested], resid[tested]
    k = np.bincount(notes_t, minlength=n_notes)
    s = np.bincount(notes_t, weights=resid_t, minlength=n_notes)
    # Pooled within-group sums of squares: established and unproven residuals, each about
    # its own mean (the null lets both groups share one spread; see step 3).
    ss_k = np.bincount(notes_t, weights=resid_t**2, minlength=n_notes)
    ss_e = np.bincount(notes_e, weights=resid_e**2, minlength=n_notes)
    se = np.bincount(notes_e, weights=resid_e, minlength=n_notes)
    with np.errstate(invalid="ignore", divide="ignore"):
        ss_k = np.maximum(ss_k - np.where(k > 0, s * s / k, 0.0), 0.0)
        ss_e = np.maximum(ss_e - np.where(n_est > 0, se * se / n_est, 0.0), 0.0)
    prior = config.variance_prior
    k_pos = np.maximum(k, 1)
    m_pos = np.maximum(n_est, 1)
    df = np.maximum(k + n_est - 3.0, 0.0) + prior
    var_n = (ss_k + ss_e + prior * sigma**2) / df
    own = var_n
    if config.variance == "floor":
        # The unproven mean's variance is at least what their own spread gives it.
        own = np.maximum(var_n, (ss_k + prior * sigma**2) / (np.maximum(k - 1.0, 0.0) + prior))
    var_mean = own / k_pos + var_n / m_pos
    testable = (k >= config.min_ratings) & (n_est >= config.min_established)
    candidates = int(testable.sum())
    z_star = max(config.min_z, _normal_isf(config.alpha / (2.0 * max(candidates, 1))))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s / k
        t = np.abs(mean) / np.sqrt(var_mean)
    z = _t_as_z(np.nan_to_num(t), df)
    shift = np.where(k > 0, mean, np.nan)
    targeted = (
        (k >= config.min_ratings)
        & (np.abs(np.nan_to_num(mean)) >= config.min_mean_residual)
        & (z >= z_star)
    )
    direction = np.sign(s)[notes]
    # For pooling over a group's notes: the shift against the established raters' own
    # mean residual on the note. The ridge refit leaves that mean at λ_i i_n / m_n, not 0
    # (a note with few established ratings is shrunk towards 0, and every rater's verdict
    # looks a little more extreme than predicted); on one note the bias is small beside
    # the standard error, but summed over a circle's 20 niche notes it convicted honest
    # circles of a small dense community.
    with np.errstate(invalid="ignore", divide="ignore"):
        excess = np.nan_to_num(mean) - np.where(n_est > 0, se / m_pos, 0.0)
        t_pool = np.abs(excess) / np.sqrt(var_mean)
    z_pool = _t_as_z(np.nan_to_num(t_pool), df)
    note_z = np.where(testable, np.sign(excess) * np.minimum(z_pool, 1e3), 0.0)
    if config.whole_note:
        flagged = tested & targeted[notes]
        if config.keep_opposing:
            flagged &= ~_opposing(y, resid, direction, config.min_residual)
    else:
        # A flagged rating deviates at least min_residual and half the note's mean shift.
        need = np.maximum(config.min_residual, 0.5 * np.abs(np.nan_to_num(mean)))[notes]
        flagged = tested & targeted[notes] & (resid * direction >= need)
    return UnexplainedResult(
        flagged,
        targeted,
        shift,
        sigma,
        testable,
        np.unique(raters[flagged]),
        note_z=note_z.astype(np.float64),
        z_star=z_star,
    )


def _opposing(
    y: NDArray[np.float64],
    resid: NDArray[np.float64],
    direction: NDArray[np.float64],
    min_residual: float,
) -> NDArray[np.bool_]:
    """Ratings whose verdict pulls against their note's deviation (step 4): the extreme
    verdict on the other side (NOT HELPFUL where the unproven raters push the note up,
    HELPFUL where they push it down) or a residual at least ``min_residual`` the other
    way."""
    out: NDArray[np.bool_] = ((y - 0.5) * direction <= -0.5) | (resid * direction <= -min_residual)
    return out

"""One prescoring for MF scorers that would compute the same one (scoring-multimodel.md §11.3).

Two MF scorers that see the same scoped ratings under the same prescoring configuration and
draw the same random numbers compute the same prescoring, bit for bit. They may differ in
what prescoring never reads: the capture threshold (which notes keep a result, applied in
final scoring), the pseudo-raters (a final-fit bound) and the firm-reject rule (a
final-round rule; provisional statuses run rules 1-4 and 6 only). The broad scorers draw
from the run seed itself, as the reference's scorers do (``run.scorer_entropy``): on data
without ExpansionPlus raters Expansion and ExpansionPlus prescore the same ratings, without
Expansion raters CoreWithTopics does too, and with topics switched off, Core. Such scorers
take the first one's prescoring instead of running it again; their final scoring stays
their own. The result is the one each would have computed alone, whatever the order or the
other scorers selected.

``shared_prescorings`` finds them before the roster runs, from the scope masks alone
(``scope.scope_masks``: no rating is copied).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.preprocess.config import CoreScopeConfig
from bridgewatch.scoring.scorers.scope import ScopeMasks, scope_masks
from bridgewatch.scoring.scorers.seeds import scorer_entropy
from bridgewatch.scoring.scorers.spec import CORE_NAME, ScorerKind, ScorerSpec

__all__ = ["prescoring_config", "shared_prescorings"]

_ANY_SCOPE = CoreScopeConfig()


def prescoring_config(config: ScoringConfig) -> ScoringConfig:
    """``config`` with the parts prescoring never reads set to fixed values: two scorers
    whose ``prescoring_config`` are equal run the same prescoring on the same view.

    The scope is compared through its masks instead (``scope_masks``); ``pseudo_raters``
    and ``status.firm_reject`` are read by final scoring only.
    """
    return replace(
        config,
        scope=_ANY_SCOPE,
        pseudo_raters=False,
        status=replace(config.status, firm_reject=True),
    )


def _same_view(a: ScopeMasks, b: ScopeMasks) -> bool:
    return bool(np.array_equal(a.in_scope, b.in_scope) and np.array_equal(a.note_ok, b.note_ok))


def shared_prescorings(shared: CoreInputs, roster: tuple[ScorerSpec, ...]) -> dict[str, str]:
    """MF scorers of ``roster`` whose prescoring equals an earlier MF scorer's.

    Parameters
    ----------
    shared : the run's preprocessed inputs (after the run-wide defence pass).
    roster : the scorers, in roster order.

    Returns
    -------
    {sharer name: lender name}: the lender is the first scorer in roster order with the same
    view (equal rater and note scope masks), the same ``prescoring_config`` and the same
    random stream (``run.scorer_entropy``), MFCoreScorer
    before every other (it always runs, even without ratings, and its errors end the run,
    so it lends and never borrows). Scorers
    that borrow a prescoring already (Gaussian), own none, or prescore only (their result
    is their prescoring) are never part of it, nor is the Reputation scorer (its own model).
    """
    candidates: list[tuple[ScorerSpec, tuple[object, ...], ScopeMasks]] = []
    shares: dict[str, str] = {}
    ordered = sorted(roster, key=lambda s: s.name != CORE_NAME)  # stable: roster order after
    for spec in ordered:
        if (
            spec.kind is not ScorerKind.MF
            or not (spec.prescoring and spec.final)
            or spec.borrows is not None
        ):
            continue
        # The same stream for every run seed (any seed stands for them all).
        config = (prescoring_config(spec.config), scorer_entropy(0, spec.name))
        masks = scope_masks(shared, spec)
        for lender, lender_config, lender_masks in candidates:
            if config == lender_config and _same_view(masks, lender_masks):
                shares[spec.name] = lender.name
                break
        else:
            candidates.append((spec, config, masks))
    return shares

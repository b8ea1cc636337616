"""Fidelity smoke test of meta scoring and the NSH update against the reference's outputs.

The reference's own per-note figures (Core status and intercepts from ``scored_notes.tsv``,
tag and population-sampled counts from ``aux_note_info.tsv``) and its input NSH are fed into
``apply_meta_rules`` and ``update_status_history``. For notes the reference decided on the
Core path we must reproduce ``finalRatingStatus``, ``decidedBy``, ``metaScorerActiveRules``,
the pre-stabilization and unlocked statuses, the explanation tags and every NSH column.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray

from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.scoring.history import (
    RunStatuses,
    StatusHistory,
    status_codes,
    update_status_history,
)
from bridgewatch.scoring.meta import (
    MetaConfig,
    MetaInputs,
    MetaResult,
    ScorerStatus,
    apply_meta_rules,
)
from bridgewatch.scoring.status import TagCounts

FIXTURES = Path("/work/shared/fixtures")
NOW = {"run1": 1793494800000, "run2": 1793502000000}
CORE_PATH = {
    "MetaInitialNMR",
    "CoreModel",
    "PopulationSampledIntercept",
    "NmrDueToMinStableCrhTime",
    "ScoringDriftGuard",
    "InsufficientExplanation",
}
# Scorer-model rules that run before Core in the reference's chain (§9.1 step 2).
EARLIER_SCORERS = (
    ("ExpansionPlusModel", "expansionPlusRatingStatus"),
    ("ExpansionModel", "expansionRatingStatus"),
    ("CoreWithTopicsModel", "coreWithTopicsRatingStatus"),
    ("CoreModel", "coreRatingStatus"),
)
CASES = [(f, r) for f in ("S-core", "S-full") for r in ("run1", "run2")]


def read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", infer_schema=False, quote_char=None)


def floats(series: pl.Series) -> NDArray[np.float64]:
    return series.cast(pl.Float64, strict=False).fill_null(np.nan).to_numpy()


def ints(series: pl.Series) -> NDArray[np.int64]:
    return series.cast(pl.Int64).to_numpy()


@dataclass
class Fixture:
    scored: pl.DataFrame
    aux: pl.DataFrame
    nsh_in: StatusHistory
    nsh_out: StatusHistory
    now: int
    core_path: NDArray[np.bool_]
    fed_path: NDArray[np.bool_]


def load(name: str, run: str) -> Fixture:
    root = FIXTURES / name
    if not root.exists():
        pytest.skip("fixtures not available")
    scored = read(root / "reference" / run / "scored_notes.tsv")
    order = scored.select("noteId")
    aux = order.join(read(root / "reference" / run / "aux_note_info.tsv"), on="noteId", how="left")
    nsh_path = (
        root / "input" / "noteStatusHistory-00000.tsv"
        if run == "run1"
        else root / "reference" / "run1" / "note_status_history.tsv"
    )
    nsh_in = order.join(read(nsh_path), on="noteId", how="left", maintain_order="left")
    nsh_out = order.join(
        read(root / "reference" / run / "note_status_history.tsv"),
        on="noteId",
        how="left",
        maintain_order="left",
    )
    # Core path: decided by a Core-path rule, and no rule of a scorer we do not feed (group,
    # Gaussian, topic models) acted anywhere in the chain.
    allowed = CORE_PATH | {name for name, _ in EARLIER_SCORERS}
    decided = [d.split(" (")[0] for d in scored["decidedBy"].to_list()]
    acted = [
        {rule.split(" (")[0] for rule in rules.split(",")}
        for rules in scored["metaScorerActiveRules"].to_list()
    ]
    return Fixture(
        scored=scored,
        aux=aux.join(order, on="noteId", how="right"),
        nsh_in=StatusHistory.from_frame(nsh_in),
        nsh_out=StatusHistory.from_frame(nsh_out),
        now=NOW[run],
        fed_path=np.array(
            [d in allowed and a <= allowed for d, a in zip(decided, acted, strict=True)]
        ),
        core_path=np.array(
            [d in CORE_PATH and a <= allowed for d, a in zip(decided, acted, strict=True)]
        ),
    )


def meta_scoring(fx: Fixture) -> MetaResult:
    sn, aux, h = fx.scored, fx.aux, fx.nsh_in
    return apply_meta_rules(
        MetaInputs(
            scorers=tuple(
                ScorerStatus(name, "v1.1", status_codes(sn[col])) for name, col in EARLIER_SCORERS
            ),
            core_intercept=floats(sn["coreNoteIntercept"]),
            core_intercept_population_sampled=floats(sn["coreNoteInterceptPopulationSampled"]),
            population_sampled_neg_count=ints(aux["coreNegFactor_populationSampledRatingCount"]),
            population_sampled_pos_count=ints(aux["corePosFactor_populationSampledRatingCount"]),
            previous_status=h.current_status,
            stabilization_ts=h.nmr_due_to_min_stable_crh_ts,
            first_non_nmr_status=h.first_non_nmr_status,
            locked_status=h.locked_status,
            tag_counts=TagCounts(
                np.stack([ints(aux[t]) for t in HELPFUL_TAGS], axis=1),
                np.stack([ints(aux[t]) for t in NOT_HELPFUL_TAGS], axis=1),
            ),
        ),
        fx.now,
        MetaConfig(),
    )


def mismatches(new: StatusHistory, expected: StatusHistory, mask: NDArray[np.bool_]) -> list[str]:
    bad = []
    for f in fields(new):
        a, b = getattr(new, f.name), getattr(expected, f.name)
        same = (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b
        if not same[mask].all():
            bad.append(f"{f.name}: {int((~same & mask).sum())} rows differ")
    return bad


@pytest.mark.parametrize(("fixture", "run"), CASES)
def test_meta_scoring_reproduces_core_path_decisions(fixture: str, run: str) -> None:
    fx = load(fixture, run)
    result = meta_scoring(fx)
    sn, aux, core = fx.scored, fx.aux, fx.core_path
    assert core.sum() > 1000
    final = status_codes(sn["finalRatingStatus"])
    agree = {
        "final": (result.final_status == final)[core].mean(),
        "decidedBy": (result.decided_by_labels() == np.array(sn["decidedBy"].to_list()))[
            core
        ].mean(),
        "activeRules": (
            np.array(result.active_rules_labels()) == np.array(sn["metaScorerActiveRules"])
        )[core].mean(),
        "preStabilization": (
            result.pre_stabilization_status == status_codes(aux["preStabilizationRatingStatus"])
        )[core].mean(),
        "unlocked": (result.unlocked_status == status_codes(aux["unlockedRatingStatus"]))[
            core
        ].mean(),
    }
    first, second = result.tag_labels()
    ref_first = sn["firstTag"].fill_null("").to_list()
    ref_second = sn["secondTag"].fill_null("").to_list()
    agree["tags"] = np.mean(
        [
            (a or "") == x and (b or "") == y
            for a, b, x, y, c in zip(first, second, ref_first, ref_second, core, strict=True)
            if c
        ]
    )
    assert agree == dict.fromkeys(agree, 1.0)
    # Notes decided by the scorer-model rules we feed (Expansion, ExpansionPlus,
    # CoreWithTopics statuses copied from the reference) agree as well.
    fed = fx.fed_path
    assert fed.sum() > core.sum()
    assert (result.final_status == final)[fed].all()
    assert (result.decided_by_labels() == np.array(sn["decidedBy"].to_list()))[fed].all()


@pytest.mark.parametrize(("fixture", "run"), CASES)
def test_nsh_update_reproduces_every_column(fixture: str, run: str) -> None:
    fx = load(fixture, run)
    sn = fx.scored
    # 1. All notes, with the reference's final statuses: every one of the 24 columns.
    reference_run = RunStatuses(
        final_status=status_codes(sn["finalRatingStatus"]),
        core_status=status_codes(sn["coreRatingStatus"]),
        decided_by=np.array(sn["decidedBy"].to_list()),
        stabilization_ts=floats(sn["timestampMillisOfNmrDueToMinStableCrhTime"]),
        expansion_status=status_codes(sn["expansionRatingStatus"]),
        group_status=status_codes(sn["groupRatingStatus"]),
        multi_group_status=status_codes(sn["multiGroupRatingStatus"]),
        modeling_group=floats(sn["modelingGroup"]),
        modeling_multi_group=floats(sn["modelingMultiGroup"]),
    )
    every = np.ones(fx.nsh_in.n_notes, dtype=np.bool_)
    new = update_status_history(fx.nsh_in, reference_run, fx.now)
    assert mismatches(new, fx.nsh_out, every) == []
    # 2. Core-path notes, with our own meta scoring feeding the update.
    result = meta_scoring(fx)
    ours = RunStatuses(
        final_status=result.final_status,
        core_status=reference_run.core_status,
        decided_by=result.decided_by_labels(),
        stabilization_ts=result.stabilization_ts,
        expansion_status=reference_run.expansion_status,
        group_status=reference_run.group_status,
        multi_group_status=reference_run.multi_group_status,
        modeling_group=reference_run.modeling_group,
        modeling_multi_group=reference_run.modeling_multi_group,
    )
    new = update_status_history(fx.nsh_in, ours, fx.now)
    assert mismatches(new, fx.nsh_out, fx.core_path) == []
    # scored_notes shows the post-update stabilization timestamp.
    np.testing.assert_array_equal(
        new.nmr_due_to_min_stable_crh_ts[fx.core_path],
        floats(sn["timestampMillisOfNmrDueToMinStableCrhTime"])[fx.core_path],
    )

"""Replay of the full multi-model meta chain and the NSH update on the reference's own columns.

scoring-multimodel.md §13: every input of the meta chain is in ``scored_notes.tsv`` (each
scorer's status, intercepts, modeling groups, topic columns) plus ``aux_note_info.tsv`` (tag
and population-sampled counts over the post-PSS ratings) and the run's input NSH (run 1:
``input/noteStatusHistory-00000.tsv``, run 2: ``reference/run1/note_status_history.tsv``).
Feeding those to ``apply_meta_chain`` must reproduce ``finalRatingStatus``, ``decidedBy``,
``metaScorerActiveRules``, the explanation tags and the aux status columns on every note, and
the NSH update on top must reproduce every column of the reference NSH. pflip made no
predictions in the fixtures, so no pflip input is given (every note counts as "may flip").
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.typing import NDArray

from bridgewatch.model.columns import HELPFUL_TAGS, NOT_HELPFUL_TAGS
from bridgewatch.scoring.history import StatusHistory, status_codes, update_status_history
from bridgewatch.scoring.meta import MetaChainInputs, MetaConfig, apply_meta_chain, run_statuses
from bridgewatch.scoring.status import TagCounts
from bridgewatch.scoring.topics.config import x_topic_seeds
from tests.fidelity.reference import FIXTURES, floats, ints, read

NOW = {"run1": 1793494800000, "run2": 1793502000000}
CASES = [(f, r) for f in ("S-core", "S-full", "S-groups") for r in ("run1", "run2")]
TOPIC_IDS = {t.name: t.topic_id for t in x_topic_seeds()}


@dataclass(frozen=True)
class Replay:
    scored: pl.DataFrame
    aux: pl.DataFrame
    nsh_in: StatusHistory
    nsh_out: StatusHistory
    inputs: MetaChainInputs
    now: int


def _aligned(order: pl.DataFrame, path: Path) -> pl.DataFrame:
    return order.join(read(path), on="noteId", how="left", maintain_order="left")


def _topic_ids(series: pl.Series) -> NDArray[np.int8]:
    names = series.fill_null("").to_list()
    unknown = {t for t in names if t and t not in TOPIC_IDS}
    assert not unknown, f"unknown noteTopic values {unknown}"
    return np.array([TOPIC_IDS.get(t, -1) for t in names], dtype=np.int8)


def load(fixture: str, run: str) -> Replay:
    root = FIXTURES / fixture
    scored = read(root / "reference" / run / "scored_notes.tsv")
    order = scored.select("noteId")
    aux = _aligned(order, root / "reference" / run / "aux_note_info.tsv")
    nsh_path = (
        root / "input" / "noteStatusHistory-00000.tsv"
        if run == "run1"
        else root / "reference" / "run1" / "note_status_history.tsv"
    )
    nsh_in = StatusHistory.from_frame(_aligned(order, nsh_path))
    nsh_out = StatusHistory.from_frame(
        _aligned(order, root / "reference" / run / "note_status_history.tsv")
    )
    sn = scored
    inputs = MetaChainInputs(
        previous_status=nsh_in.current_status,
        stabilization_ts=nsh_in.nmr_due_to_min_stable_crh_ts,
        first_non_nmr_status=nsh_in.first_non_nmr_status,
        locked_status=nsh_in.locked_status,
        tag_counts=TagCounts(
            np.stack([ints(aux[t]) for t in HELPFUL_TAGS], axis=1),
            np.stack([ints(aux[t]) for t in NOT_HELPFUL_TAGS], axis=1),
        ),
        core_status=status_codes(sn["coreRatingStatus"]),
        core_intercept=floats(sn["coreNoteIntercept"]),
        core_intercept_population_sampled=floats(sn["coreNoteInterceptPopulationSampled"]),
        population_sampled_neg_count=ints(aux["coreNegFactor_populationSampledRatingCount"]),
        population_sampled_pos_count=ints(aux["corePosFactor_populationSampledRatingCount"]),
        core_with_topics_status=status_codes(sn["coreWithTopicsRatingStatus"]),
        expansion_status=status_codes(sn["expansionRatingStatus"]),
        expansion_intercept=floats(sn["expansionNoteIntercept"]),
        expansion_plus_status=status_codes(sn["expansionPlusRatingStatus"]),
        multi_group_status=status_codes(sn["multiGroupRatingStatus"]),
        modeling_multi_group=floats(sn["modelingMultiGroup"]),
        group_status=status_codes(sn["groupRatingStatus"]),
        modeling_group=floats(sn["modelingGroup"]),
        gaussian_status=status_codes(sn["gaussianRatingStatus"]),
        gaussian_core_with_topics_status=status_codes(sn["gaussianCoreWithTopicsRatingStatus"]),
        note_topic=_topic_ids(sn["noteTopic"]),
        topic_intercept=floats(sn["topicNoteIntercept"]),
        topic_factor=floats(sn["topicNoteFactor1"]),
        topic_confident=(sn["topicNoteConfident"] == "True").fill_null(False).to_numpy(),
    )
    return Replay(scored, aux, nsh_in, nsh_out, inputs, NOW[run])


@pytest.mark.parametrize(("fixture", "run"), CASES)
def test_meta_chain_reproduces_every_note(fixture: str, run: str) -> None:
    fx = load(fixture, run)
    sn, aux = fx.scored, fx.aux
    result = apply_meta_chain(fx.inputs, fx.now, MetaConfig())

    def differing(ours: NDArray[np.generic] | list[str], column: str) -> int:
        theirs = np.array(sn[column].fill_null("").to_list())
        return int((np.array(ours) != theirs).sum())

    first, second = result.tag_labels()
    assert {
        "finalRatingStatus": int(
            (result.final_status != status_codes(sn["finalRatingStatus"])).sum()
        ),
        "decidedBy": differing(result.decided_by_labels(), "decidedBy"),
        "metaScorerActiveRules": differing(result.active_rules_labels(), "metaScorerActiveRules"),
        "firstTag": differing([t or "" for t in first], "firstTag"),
        "secondTag": differing([t or "" for t in second], "secondTag"),
        "preStabilizationRatingStatus": int(
            (
                result.pre_stabilization_status != status_codes(aux["preStabilizationRatingStatus"])
            ).sum()
        ),
        "unlockedRatingStatus": int(
            (result.unlocked_status != status_codes(aux["unlockedRatingStatus"])).sum()
        ),
    } == dict.fromkeys(
        (
            "finalRatingStatus",
            "decidedBy",
            "metaScorerActiveRules",
            "firstTag",
            "secondTag",
            "preStabilizationRatingStatus",
            "unlockedRatingStatus",
        ),
        0,
    )


@pytest.mark.parametrize(("fixture", "run"), CASES)
def test_nsh_update_after_the_chain_reproduces_every_column(fixture: str, run: str) -> None:
    fx = load(fixture, run)
    result = apply_meta_chain(fx.inputs, fx.now, MetaConfig())
    new = update_status_history(fx.nsh_in, run_statuses(fx.inputs, result), fx.now)
    bad = {}
    for f in fields(StatusHistory):
        a, b = getattr(new, f.name), getattr(fx.nsh_out, f.name)
        same = (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype.kind == "f" else a == b
        if not same.all():
            bad[f.name] = int((~same).sum())
    assert bad == {}
    # scored_notes shows the post-update stabilization timestamp.
    np.testing.assert_array_equal(
        new.nmr_due_to_min_stable_crh_ts,
        floats(fx.scored["timestampMillisOfNmrDueToMinStableCrhTime"]),
    )

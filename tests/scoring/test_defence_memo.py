"""The run's defence memo: scorers whose views are the same share one decision, which is the
decision each would have computed alone; a memo never travels to another process."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from bridgewatch.scoring._defence_memo import DefenceMemo, digest
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import apply_defences, screen_bursts, with_defences
from bridgewatch.scoring.run import default_as_of_ms, score
from bridgewatch.scoring.scorers import scorer_inputs
from tests.scoring.community import load_small_community


def test_digest_tells_dtype_shape_order_and_scalars_apart() -> None:
    a = np.arange(6, dtype=np.int32)
    assert digest(a) == digest(a.copy())
    assert digest(a) != digest(a.astype(np.int64))
    assert digest(a) != digest(a.reshape(2, 3))
    assert digest(a) != digest(a[::-1])
    assert digest(a, 1.0) != digest(a, 2.0) != digest(a, None)


def test_memo_computes_once_and_arrives_empty_in_another_process() -> None:
    memo = DefenceMemo()
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    first = memo.get(("k",), compute)
    assert memo.get(("k",), compute) is first and len(calls) == 1 and memo.hits == 1
    copy = pickle.loads(pickle.dumps(memo))
    assert copy.get(("k",), compute) == [2]  # computed again: nothing was carried


def test_scorers_with_the_same_view_share_decisions_equal_to_their_own(tmp_path: Path) -> None:
    dataset = load_small_community(tmp_path)
    config = with_defences(ScoringConfig(topics=None))
    result = score(dataset, config, as_of_ms=default_as_of_ms(dataset), seed=7)
    assert result.roster is not None
    core, gauss = result.roster["MFCoreScorer"], result.roster["GaussianScorer"]
    shared = result.inputs
    # The Gaussian scorer scores Core's ratings with Core's prescoring ...
    core_view = scorer_inputs(shared, core.spec).scoped
    gauss_view = scorer_inputs(shared, gauss.spec).scoped
    np.testing.assert_array_equal(core_view.rater_idx, gauss_view.rater_idx)
    assert core.screening is not None and gauss.screening is not None
    assert core.defences is not None and gauss.defences is not None
    # ... so it took Core's burst decisions (the same objects) ...
    assert gauss.screening.bursts is core.screening.bursts
    assert gauss.defences.bursts is core.defences.bursts
    # ... and they are what it computes alone, without a memo.
    assert gauss.prescoring is not None
    alone = screen_bursts(scorer_inputs(shared, gauss.spec), gauss.spec.config)
    assert alone.bursts is not None and gauss.screening.bursts is not None
    np.testing.assert_array_equal(alone.bursts.flagged, gauss.screening.bursts.flagged)
    np.testing.assert_array_equal(alone.bursts.in_burst, gauss.screening.bursts.in_burst)
    defended = apply_defences(alone.inputs, gauss.prescoring, gauss.spec.config)
    assert defended.unexplained is not None and gauss.defences.unexplained is not None
    np.testing.assert_array_equal(defended.unexplained.flagged, gauss.defences.unexplained.flagged)

"""Low-diligence prescoring and final fits: hand-checked cases and properties."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import numpy as np
import pytest

from bridgewatch.errors import InputError
from bridgewatch.model.columns import NOT_HELPFUL_TAGS
from bridgewatch.scoring.diligence import (
    DiligenceConfig,
    DiligencePrescoringResult,
    fit_low_diligence_final,
    fit_low_diligence_prescoring,
    low_diligence_targets,
    train_round_reference,
)
from tests.scoring.diligence.conftest import Toy, make_toy

CFG = DiligenceConfig()


def _pre(toy: Toy, seed: int = 0, order: np.ndarray | None = None) -> DiligencePrescoringResult:
    idx = np.arange(toy.targets.shape[0]) if order is None else order
    return fit_low_diligence_prescoring(
        toy.note_idx[idx], toy.rater_idx[idx], toy.targets[idx],
        n_notes=toy.n_notes, n_raters=toy.n_raters,
        init_rater_factors=toy.rater_factors, config=CFG, rng=np.random.default_rng(seed),
    )  # fmt: skip


def test_targets_are_any_of_the_three_sourcing_tags() -> None:
    bit = {t: np.uint16(1 << NOT_HELPFUL_TAGS.index(t)) for t in NOT_HELPFUL_TAGS}
    tags = np.array(
        [
            0,
            bit["notHelpfulIncorrect"],
            bit["notHelpfulIrrelevantSources"],
            bit["notHelpfulSourcesMissingOrUnreliable"] | bit["notHelpfulOther"],
            bit["notHelpfulOther"] | bit["notHelpfulSpamHarassmentOrAbuse"],
        ],
        dtype=np.uint16,
    )
    assert low_diligence_targets(tags).tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_same_seed_is_bit_identical_and_seeds_differ() -> None:
    toy = make_toy(1)
    a, b, c = _pre(toy, 5), _pre(toy, 5), _pre(toy, 6)
    assert a.state.note_intercepts.tobytes() == b.state.note_intercepts.tobytes()
    assert a.state.rater_reputations.tobytes() == b.state.rater_reputations.tobytes()
    assert a.state.global_round3 == b.state.global_round3
    assert not np.array_equal(a.state.note_intercepts, c.state.note_intercepts)


@pytest.mark.parametrize("seed", [0, 1])
def test_shuffling_rating_rows_changes_nothing(seed: int) -> None:
    toy = make_toy(2)
    order = np.random.default_rng(seed).permutation(toy.targets.shape[0])
    a, b = _pre(toy), _pre(toy, order=order)
    assert a.state.note_intercepts.tobytes() == b.state.note_intercepts.tobytes()
    assert a.state.rater_intercepts.tobytes() == b.state.rater_intercepts.tobytes()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prescoring_outputs_are_finite_and_nan_outside_the_data(seed: int) -> None:
    toy = make_toy(seed)
    keep = toy.note_idx != 0
    res = fit_low_diligence_prescoring(
        toy.note_idx[keep], toy.rater_idx[keep], toy.targets[keep],
        n_notes=toy.n_notes, n_raters=toy.n_raters + 2,
        init_rater_factors=None, config=CFG, rng=np.random.default_rng(seed),
    )  # fmt: skip
    s = res.state
    assert np.isnan(s.note_intercepts[0]) and np.isnan(s.rater_factors[-1])
    assert np.isfinite(s.note_intercepts[1:]).all() and np.isfinite(s.rater_reputations[:-2]).all()
    assert len(res.rounds) == 3 and all(r.n_steps <= CFG.max_epochs + 1 for r in res.rounds)
    # round 2 freezes b_n, round 3 trains it
    assert not np.array_equal(s.note_intercepts_round2[1:], s.note_intercepts[1:])


@pytest.mark.parametrize(("dtype", "atol"), [("float64", 1e-8), ("float32", 1e-3)])
def test_fast_rounds_match_the_numpy_reference_end_to_end(
    dtype: Literal["float32", "float64"], atol: float
) -> None:
    toy = make_toy(4, n_notes=15, n_raters=20)
    config = dataclasses.replace(CFG, dtype=dtype)
    fast = fit_low_diligence_prescoring(
        toy.note_idx, toy.rater_idx, toy.targets, n_notes=toy.n_notes, n_raters=toy.n_raters,
        init_rater_factors=toy.rater_factors, config=config, rng=np.random.default_rng(3),
    )  # fmt: skip
    ref = fit_low_diligence_prescoring(
        toy.note_idx, toy.rater_idx, toy.targets, n_notes=toy.n_notes, n_raters=toy.n_raters,
        init_rater_factors=toy.rater_factors, config=config, rng=np.random.default_rng(3),
        round_fn=train_round_reference,
    )  # fmt: skip
    np.testing.assert_allclose(fast.state.note_intercepts, ref.state.note_intercepts, atol=atol)
    np.testing.assert_allclose(fast.state.rater_reputations, ref.state.rater_reputations, atol=atol)


def _final(toy: Toy, pre: DiligencePrescoringResult, config: DiligenceConfig = CFG):  # type: ignore[no-untyped-def]
    return fit_low_diligence_final(
        toy.note_idx, toy.rater_idx, toy.targets, n_notes=toy.n_notes, n_raters=toy.n_raters,
        state=pre.state, ratings_per_note=12.0, ratings_per_rater=9.0, config=config,
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_sloppy_notes_get_higher_final_intercepts(seed: int) -> None:
    toy = make_toy(seed)
    final = _final(toy, _pre(toy, seed))
    b = final.note_intercepts
    assert np.isfinite(b).all()
    assert b[toy.sloppy].mean() > b[~toy.sloppy].mean() + 0.5
    np.testing.assert_array_equal(final.above_threshold, b > CFG.low_diligence_threshold)


def test_note_everyone_tags_gets_flagged_and_untagged_note_does_not() -> None:
    toy = make_toy(0)
    targets = toy.targets.copy()
    targets[toy.note_idx == 1] = 1.0
    targets[toy.note_idx == 2] = 0.0
    tagged = Toy(
        toy.note_idx,
        toy.rater_idx,
        targets,
        toy.n_notes,
        toy.n_raters,
        toy.rater_factors,
        toy.sloppy,
    )
    final = _final(tagged, _pre(tagged))
    assert final.above_threshold[1] and not final.above_threshold[2]


def test_final_is_deterministic_and_uses_zero_for_missing_state() -> None:
    toy = make_toy(5)
    pre = _pre(toy)
    a, b = _final(toy, pre), _final(toy, pre)
    assert a.note_intercepts.tobytes() == b.note_intercepts.tobytes()
    # a new rater (absent from the state) counts with reputation 0: weight α/(1+α) in step B
    extra = fit_low_diligence_final(
        np.append(toy.note_idx, 0).astype(np.int32),
        np.append(toy.rater_idx, toy.n_raters).astype(np.int32),
        np.append(toy.targets, 1.0),
        n_notes=toy.n_notes, n_raters=toy.n_raters + 1,
        state=_pad_state(pre), ratings_per_note=12.0, ratings_per_rater=9.0, config=CFG,
    )  # fmt: skip
    assert np.isfinite(extra.note_intercepts).all()
    assert extra.note_intercepts[0] > a.note_intercepts[0]


def _pad_state(pre: DiligencePrescoringResult):  # type: ignore[no-untyped-def]
    import dataclasses

    s = pre.state
    pad: dict[str, Any] = {
        f.name: np.append(getattr(s, f.name), np.nan)
        for f in dataclasses.fields(s)
        if f.name.startswith("rater")
    }
    return dataclasses.replace(s, **pad)


def test_higher_positive_weight_raises_intercepts() -> None:
    toy = make_toy(6)
    pre = _pre(toy)
    base = _final(toy, pre)
    heavier = _final(toy, pre, DiligenceConfig(pos_weight_round3=2000.0))
    assert np.mean(heavier.note_intercepts) > np.mean(base.note_intercepts)


def test_bad_inputs_raise_input_error() -> None:
    toy = make_toy(0)
    with pytest.raises(InputError, match="targets"):
        fit_low_diligence_prescoring(
            toy.note_idx, toy.rater_idx, toy.targets * 2, n_notes=toy.n_notes,
            n_raters=toy.n_raters, init_rater_factors=None, config=CFG,
            rng=np.random.default_rng(0),
        )  # fmt: skip
    with pytest.raises(InputError, match="ratings_per_note"):
        fit_low_diligence_final(
            toy.note_idx, toy.rater_idx, toy.targets, n_notes=toy.n_notes, n_raters=toy.n_raters,
            state=_pre(toy).state, ratings_per_note=0.0, ratings_per_rater=1.0, config=CFG,
        )  # fmt: skip

"""Note-major passes (raters frozen) against the numpy reference gradient; thread invariance."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.scoring._note_passes import NoteMajorPasses
from bridgewatch.scoring.diligence.kernels import data_loss_and_grad_reference
from tests.scoring.test_logit_passes import _problem, _theta


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("t_fn", "t_bn"), [(True, False), (False, True), (True, True)])
def test_note_gradients_equal_the_reference(seed: int, t_fn: bool, t_bn: bool) -> None:
    p, note, rater, y, w = _problem(seed)
    ref = data_loss_and_grad_reference(note, rater, y, w, p)
    theta = _theta(p)
    grad = np.full_like(theta, 7.0)
    with NoteMajorPasses(note, rater, y, w, theta, 40, 60) as passes:
        loss = passes.run(theta, grad, note_factors=t_fn, note_intercepts=t_bn, with_loss=True)
    assert loss == pytest.approx(ref.loss_sum, rel=1e-12)
    want_fn = ref.note_factors if t_fn else np.zeros(40)
    want_bn = ref.note_intercepts if t_bn else np.zeros(40)
    np.testing.assert_allclose(grad[:40], want_fn, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(grad[40:80], want_bn, rtol=1e-11, atol=1e-12)
    assert not grad[80:].any()  # the frozen rater side and μ get no gradient


def test_note_passes_follow_theta_and_threads_do_not_change_bits() -> None:
    p, note, rater, y, w = _problem(4)
    theta = _theta(p)
    out = []
    for workers in (1, 2):
        grad = np.zeros_like(theta)
        with NoteMajorPasses(note, rater, y, w, theta, 40, 60, workers=workers) as passes:
            passes.run(theta, grad, note_factors=True, note_intercepts=True, with_loss=False)
            moved = theta.copy()
            moved[:80] += 0.25  # note parameters change between epochs; raters may not
            loss = passes.run(moved, grad, note_factors=True, note_intercepts=True, with_loss=True)
        out.append((loss, grad.copy()))
    assert out[0][0] == out[1][0] and np.array_equal(out[0][1], out[1][1])
    p.note_factors += 0.25
    p.note_intercepts += 0.25
    ref = data_loss_and_grad_reference(note, rater, y, w, p)
    assert out[0][0] == pytest.approx(ref.loss_sum, rel=1e-12)
    np.testing.assert_allclose(out[0][1][:40], ref.note_factors, rtol=1e-11, atol=1e-12)

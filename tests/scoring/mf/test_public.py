"""The public surface of bridgewatch.scoring.mf."""

from __future__ import annotations

import bridgewatch.scoring.mf as mf


def test_every_public_name_imports() -> None:
    for name in mf.__all__:
        assert getattr(mf, name) is not None
    for name in (
        "MFConfig",
        "MFParams",
        "MFResult",
        "fit_mf",
        "fit_note_params",
        "pseudo_rater_bounds",
        "NormalizedLossConfig",
        "fit_note_params_normalized",
        "normalized_loss_weights",
    ):
        assert name in mf.__all__

"""The scorer views' JSON encoder (made once) writes what ``json.dumps`` wrote."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bridgewatch.pipeline import views


def test_the_shared_encoder_writes_the_same_text_as_json_dumps() -> None:
    doc = {
        "decidedBy": "CoreModel (v1.1)",
        "metaActiveRules": None,
        "scorers": [
            {"scorer": "MFCoreScorer", "intercept": 0.41234567890123, "factor": -1e-05},
            {"scorer": "GaussianScorer", "intercept": np.float32(0.25), "held": "why"},
        ],
        "columns": {"a": np.int64(3), "b": [1, 2.5, None, "x"], "c": True, "é": "ü"},
    }
    want = json.dumps(doc, allow_nan=False, default=views._plain)
    assert views._ENCODER.encode(doc) == want
    for bad in ({"x": float("nan")}, {"x": object()}):
        with pytest.raises((ValueError, TypeError)):
            json.dumps(bad, allow_nan=False, default=views._plain)
        with pytest.raises((ValueError, TypeError)):
            views._ENCODER.encode(bad)

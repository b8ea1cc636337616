"""Every row of the stabilization case table (scoring-core.md §9.4)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.meta import MetaConfig, apply_stabilization

NMR = NoteStatus.NEEDS_MORE_RATINGS
CRH = NoteStatus.CURRENTLY_RATED_HELPFUL
CRNH = NoteStatus.CURRENTLY_RATED_NOT_HELPFUL
NYH = NoteStatus.NEEDS_YOUR_HELP
NAN = float("nan")
NOW = 1_800_000_000_000
MIN = 60_000


def held(minutes: float) -> float:
    """A stabilization timestamp entered ``minutes`` before NOW."""
    return float(NOW - minutes * MIN)


# (label, s, prev, T, first non-NMR, pflip CRH, topic, topic confident) -> (status, T, emitted)
CASES: list[tuple[str, tuple[Any, ...], tuple[int, float, bool]]] = [
    ("prev CRH keeps CRH over NYH", (NYH, CRH, NAN, -1, False, False, False), (CRH, NAN, True)),
    ("prev CRH, T untouched", (NYH, CRH, held(5), -1, False, False, False), (CRH, held(5), True)),
    ("prev CRH, CRH passes", (CRH, CRH, NAN, CRH, False, False, False), (CRH, NAN, False)),
    ("never held CRH enters", (CRH, NMR, NAN, -1, True, False, False), (NMR, NOW, True)),
    ("never held NYH enters", (NYH, NMR, NAN, -1, True, False, False), (NMR, NOW, True)),
    ("left, CRH re-enters", (CRH, NMR, -1.0, -1, True, False, False), (NMR, NOW, True)),
    ("left, NYH stays NMR", (NYH, CRNH, -1.0, -1, True, False, False), (NMR, -1.0, True)),
    ("held CRH > 60 min releases", (CRH, NMR, held(61), CRH, False, False, False),
     (CRH, -1.0, False)),
    ("held NYH > 360 min expires", (NYH, NMR, held(361), -1, True, False, False),
     (NMR, -1.0, True)),
    ("held NYH at 360 min waits", (NYH, NMR, held(360), -1, True, False, False),
     (NMR, held(360), True)),
    ("held < 30 min waits", (CRH, NMR, held(29.9), -1, True, False, False),
     (NMR, held(29.9), True)),
    ("unconfident topic waits", (CRH, NMR, held(45), -1, True, True, False),
     (NMR, held(45), True)),
    ("confident topic releases", (CRH, NMR, held(45), -1, True, True, True), (CRH, -1.0, False)),
    ("was CRH before waits", (CRH, NMR, held(45), CRH, True, False, False),
     (NMR, held(45), True)),
    ("no pflip CRH prediction waits", (CRH, NMR, held(45), -1, False, False, False),
     (NMR, held(45), True)),
    ("held NYH in window waits", (NYH, NMR, held(45), -1, True, False, False),
     (NMR, held(45), True)),
    ("CRH in window with pflip releases", (CRH, NMR, held(30), -1, True, False, False),
     (CRH, -1.0, False)),
    ("CRH at 60 min with pflip releases", (CRH, NMR, held(60), -1, True, False, False),
     (CRH, -1.0, False)),
    ("held, now NMR leaves", (NMR, NMR, held(10), -1, False, False, False), (NMR, -1.0, False)),
    ("held, now CRNH leaves", (CRNH, NMR, held(10), -1, False, False, False),
     (CRNH, -1.0, False)),
    ("not held NMR untouched", (NMR, NMR, NAN, -1, False, False, False), (NMR, NAN, False)),
    ("left CRNH untouched", (CRNH, CRH, -1.0, CRH, False, False, False), (CRNH, -1.0, False)),
]  # fmt: skip


@pytest.mark.parametrize(("label", "given", "expected"), CASES, ids=[c[0] for c in CASES])
def test_case_table_row(
    label: str, given: tuple[Any, ...], expected: tuple[int, float, bool]
) -> None:
    s, prev, t, first, pflip, topic, confident = given
    result = apply_stabilization(
        np.array([s], np.int8),
        np.array([prev], np.int8),
        np.array([t]),
        np.array([first], np.int8),
        NOW,
        MetaConfig(),
        has_topic=np.array([topic]),
        topic_confident=np.array([confident]),
        pflip_predicts_crh=np.array([pflip]),
    )
    status, ts, emitted = expected
    assert result.status[0] == status
    np.testing.assert_equal(result.stabilization_ts[0], ts)
    assert bool(result.emitted[0]) == emitted


def test_missing_pflip_means_release_only_after_the_maximum_hold() -> None:
    result = apply_stabilization(
        np.array([CRH, CRH], np.int8),
        np.array([NMR, NMR], np.int8),
        np.array([held(59), held(61)]),
        np.array([-1, -1], np.int8),
        NOW,
        MetaConfig(),
    )
    assert result.status.tolist() == [NMR, CRH]
    assert result.stabilization_ts.tolist() == [held(59), -1.0]


def test_inputs_are_not_modified() -> None:
    status, ts = np.array([CRH], np.int8), np.array([NAN])
    apply_stabilization(status, np.array([NMR], np.int8), ts, np.array([-1], np.int8), NOW,
                        MetaConfig())  # fmt: skip
    assert status[0] == CRH and np.isnan(ts[0])

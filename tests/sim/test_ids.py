"""Participant and snowflake ids."""

from __future__ import annotations

import re

import numpy as np

from bridgewatch.sim.ids import SNOWFLAKE_EPOCH_MS, participant_ids, snowflake_ids


def test_participant_ids_are_64_hex_digits_and_distinct() -> None:
    ids = participant_ids(np.random.default_rng(0), 500)
    assert ids.shape == (500,)
    assert all(re.fullmatch(r"[0-9A-F]{64}", i) for i in ids)
    assert np.unique(ids).size == 500


def test_snowflake_ids_encode_the_time_and_are_unique() -> None:
    times = np.array([SNOWFLAKE_EPOCH_MS + 1, SNOWFLAKE_EPOCH_MS + 1, SNOWFLAKE_EPOCH_MS + 5])
    ids = snowflake_ids(times.astype(np.int64))
    assert ids.tolist() == [1 << 22, (1 << 22) | 1, (5 << 22) | 2]
    assert ((ids >> 22) + SNOWFLAKE_EPOCH_MS).tolist() == times.tolist()

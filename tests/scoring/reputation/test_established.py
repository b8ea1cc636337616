"""Established raters: proven enrollment state or account age."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.model import EnrollmentState
from bridgewatch.scoring.reputation import (
    PROVEN_STATES,
    EstablishmentConfig,
    established_raters,
)

_DAY = 86_400_000
NOW = 1_000 * _DAY


def test_proven_state_or_age_and_enrollment() -> None:
    states = np.array(
        [
            EnrollmentState.earnedIn,  # proven, young
            EnrollmentState.newUser,  # young new account
            EnrollmentState.newUser,  # old new account
            EnrollmentState.atRisk,  # proven
            EnrollmentState.earnedIn,  # not enrolled
            EnrollmentState.removed,  # young, not proven
        ],
        dtype=np.int8,
    )
    changed = NOW - np.array([1, 14, 120, 5, 500, 3], dtype=np.int64) * _DAY
    enrolled = np.array([True, True, True, True, False, True])
    # By default only time counts: a recently earned-in rater is unproven.
    got = established_raters(enrolled, states, changed, NOW, EstablishmentConfig())
    np.testing.assert_array_equal(got, [False, False, True, False, False, False])
    young = established_raters(
        enrolled, states, changed, NOW, EstablishmentConfig(min_age_days=10.0)
    )
    np.testing.assert_array_equal(young, [False, True, True, False, False, False])
    # Trusting earning in by itself.
    proven = established_raters(
        enrolled, states, changed, NOW, EstablishmentConfig(proven_states=PROVEN_STATES)
    )
    np.testing.assert_array_equal(proven, [True, False, True, True, False, False])


def test_checks() -> None:
    with pytest.raises(ConfigError, match="min_age_days"):
        EstablishmentConfig(min_age_days=-1.0)
    with pytest.raises(ConfigError, match="state"):
        established_raters(
            np.ones(2, np.bool_),
            np.zeros(3, np.int8),
            np.zeros(2, np.int64),
            0,
            EstablishmentConfig(),
        )

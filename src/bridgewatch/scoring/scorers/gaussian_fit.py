"""The note fit of the Gaussian scorers (scoring-multimodel.md §6)."""

from __future__ import annotations

from bridgewatch.errors import BridgewatchError
from bridgewatch.scoring.final import NoteFitter
from bridgewatch.scoring.inputs import CoreInputs
from bridgewatch.scoring.scorers.spec import ScorerSpec

__all__ = ["gaussian_note_fitter"]


def gaussian_note_fitter(spec: ScorerSpec, borrowed: CoreInputs) -> NoteFitter:
    """The Gaussian note fit of ``spec`` (borrowing ``borrowed``'s prescoring)."""
    raise BridgewatchError(f"{spec.name}: Gaussian scoring is not available yet")

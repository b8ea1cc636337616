"""The outcome of meta scoring and the bookkeeping of rule emissions (scoring-core.md §9.1).

Each meta rule emits (note, status) updates computed from the current label; the latest
update wins. ``decidedBy`` is the last rule that emitted for a note, ``metaScorerActiveRules``
every rule that emitted, in chain order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.errors import InputError
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.meta.explanation import ALL_TAGS
from bridgewatch.scoring.status.rules import labels_from_bitmask

__all__ = ["MAX_META_RULES", "MetaResult", "RuleChain"]

# ``MetaResult.active_rules`` is a uint64 bitmask: one bit per rule of the chain.
MAX_META_RULES = 64


@dataclass(frozen=True)
class MetaResult:
    """Outcome of meta scoring; arrays of shape (n_notes,).

    Attributes
    ----------
    final_status : int8
        ``finalRatingStatus``: NMR, CRH or CRNH.
    decided_by : int8
        Index into ``rule_names`` of the last rule that emitted for the note.
    active_rules : uint64
        Bit k set when ``rule_names[k]`` emitted for the note.
    rule_names : tuple of str
        The meta rules in order, as ``Name (vX.Y)`` (at most ``MAX_META_RULES``).
    pre_stabilization_status : int8
        ``preStabilizationRatingStatus``: the label before NmrDueToMinStableCrhTime.
    unlocked_status : int8
        ``unlockedRatingStatus``: the label ScoringDriftGuard replaced; -1 elsewhere.
    stabilization_ts : float64
        New ``timestampMillisOfNmrDueToMinStableCrhTime`` before the NSH lock reset (§10).
    first_tag, second_tag : int8
        Explanation tags as indexes into ``ALL_TAGS``; -1 when none.
    """

    final_status: NDArray[np.int8]
    decided_by: NDArray[np.int8]
    active_rules: NDArray[np.uint64]
    rule_names: tuple[str, ...]
    pre_stabilization_status: NDArray[np.int8]
    unlocked_status: NDArray[np.int8]
    stabilization_ts: NDArray[np.float64]
    first_tag: NDArray[np.int8]
    second_tag: NDArray[np.int8]

    def decided_by_labels(self) -> NDArray[np.str_]:
        """``decidedBy`` strings per note."""
        return np.asarray(self.rule_names)[self.decided_by]

    def active_rules_labels(self) -> list[str]:
        """``metaScorerActiveRules`` strings per note."""
        return labels_from_bitmask(self.active_rules, self.rule_names)

    def tag_labels(self) -> tuple[list[str | None], list[str | None]]:
        """``firstTag`` and ``secondTag`` strings per note (None when empty)."""

        def names(codes: NDArray[np.int8]) -> list[str | None]:
            return [ALL_TAGS[c] if c >= 0 else None for c in codes.tolist()]

        return names(self.first_tag), names(self.second_tag)


class RuleChain:
    """The label of every note and which rules emitted for it, while the chain runs.

    Parameters
    ----------
    n : int
        Number of notes.
    rule_names : tuple of str
        Every rule of the chain in order (distinct, at most ``MAX_META_RULES``); a rule
        emits by its name.
    """

    def __init__(self, n: int, rule_names: tuple[str, ...]) -> None:
        if len(rule_names) > MAX_META_RULES:
            raise InputError(
                f"at most {MAX_META_RULES} meta rules, got {len(rule_names)}", field="rule_names"
            )
        if len(set(rule_names)) != len(rule_names):
            raise InputError("meta rule names must be distinct", field="rule_names")
        self.rule_names = rule_names
        self._index = {name: k for k, name in enumerate(rule_names)}
        self.status = np.full(n, NoteStatus.NEEDS_MORE_RATINGS, dtype=np.int8)
        self.active = np.zeros(n, dtype=np.uint64)
        self.decided = np.zeros(n, dtype=np.int8)

    def emit(self, rule: str, mask: NDArray[np.bool_], status: NDArray[np.int8] | np.int8) -> None:
        """Rule ``rule`` updates the notes in ``mask`` to ``status`` (array or scalar)."""
        k = self._index[rule]
        rows = np.flatnonzero(mask)
        if rows.size == 0:
            return
        self.status[rows] = status[rows] if isinstance(status, np.ndarray) else status
        self.active[rows] |= np.uint64(1 << k)
        self.decided[rows] = k

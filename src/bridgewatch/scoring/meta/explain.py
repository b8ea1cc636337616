"""Human-readable trace of meta scoring for one note (scoring-core.md §9)."""

from __future__ import annotations

import math

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.meta.explanation import ALL_TAGS
from bridgewatch.scoring.meta.rules import MetaInputs, MetaResult

__all__ = ["explain_meta"]


def _status(code: int) -> str:
    return "none" if code < 0 else NoteStatus(code).name


def _ts(value: float, now_ms: int) -> str:
    if math.isnan(value):
        return "never held"
    if value <= 0:
        return "left the hold"
    return f"held since {int(value)} ({(now_ms - value) / 60_000:.0f} min ago)"


def explain_meta(inputs: MetaInputs, result: MetaResult, note: int, now_ms: int) -> list[str]:
    """Lines describing how the final status of ``note`` came about.

    Parameters
    ----------
    inputs, result : the arguments and result of ``apply_meta_rules``.
    note : int
        Row index of the note.
    now_ms : int
        The ``now_ms`` given to ``apply_meta_rules``.

    Returns
    -------
    list of str
    """
    bits = int(result.active_rules[note])
    emitted = [name for k, name in enumerate(result.rule_names) if (bits >> k) & 1]
    lines = [
        f"final {_status(int(result.final_status[note]))}, decided by "
        f"{result.rule_names[int(result.decided_by[note])]}",
        "rules that acted: " + ", ".join(emitted),
    ]
    for scorer in inputs.scorers:
        lines.append(f"{scorer.label} status: {_status(int(scorer.status[note]))}")
    lines.append(
        f"previous status {_status(int(inputs.previous_status[note]))}; before the "
        f"stabilization delay {_status(int(result.pre_stabilization_status[note]))}"
    )
    before = float(inputs.stabilization_ts[note])
    after = float(result.stabilization_ts[note])
    lines.append(f"stabilization: {_ts(before, now_ms)} -> {_ts(after, now_ms)}")
    if int(inputs.locked_status[note]) >= 0:
        lines.append(
            f"locked at {_status(int(inputs.locked_status[note]))}; unlocked status "
            f"{_status(int(result.unlocked_status[note]))}"
        )
    first, second = int(result.first_tag[note]), int(result.second_tag[note])
    if first >= 0:
        tags = ALL_TAGS[first] + (f", {ALL_TAGS[second]}" if second >= 0 else "")
        lines.append(f"explanation tags: {tags}")
    return lines

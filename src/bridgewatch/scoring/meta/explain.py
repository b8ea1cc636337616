"""Human-readable trace of meta scoring for one note (scoring-core.md §9, multimodel §10)."""

from __future__ import annotations

import math

from bridgewatch.model import NoteStatus
from bridgewatch.scoring.meta.chain import MetaChainInputs
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


# MetaChainInputs status fields and their labels, in chain order.
_CHAIN_SCORERS = (
    ("expansion_plus_status", "ExpansionPlus"),
    ("expansion_status", "Expansion"),
    ("core_with_topics_status", "CoreWithTopics"),
    ("core_status", "Core"),
    ("multi_group_status", "MultiGroup"),
    ("group_status", "Group"),
    ("gaussian_status", "Gaussian"),
    ("gaussian_core_with_topics_status", "GaussianCoreWithTopics"),
)


def _chain_scorer_lines(inputs: MetaChainInputs, note: int) -> list[str]:
    lines = []
    for name, label in _CHAIN_SCORERS:
        values = getattr(inputs, name)
        if values is None or int(values[note]) < 0:
            continue
        line = f"{label} status: {_status(int(values[note]))}"
        if name == "group_status" and inputs.modeling_group is not None:
            line += f" (modeling group {float(inputs.modeling_group[note]):g})"
        lines.append(line)
    if inputs.note_topic is not None and int(inputs.note_topic[note]) >= 0:
        confident = inputs.topic_confident is not None and bool(inputs.topic_confident[note])
        lines.append(
            f"topic {int(inputs.note_topic[note])}: "
            + ("confident" if confident else "not confident")
        )
    return lines


def explain_meta(
    inputs: MetaInputs | MetaChainInputs, result: MetaResult, note: int, now_ms: int
) -> list[str]:
    """Lines describing how the final status of ``note`` came about.

    Parameters
    ----------
    inputs, result : the arguments and result of ``apply_meta_rules`` or
        ``apply_meta_chain``.
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
    if isinstance(inputs, MetaChainInputs):
        lines.extend(_chain_scorer_lines(inputs, note))
    else:
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

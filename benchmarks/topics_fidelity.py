"""Compare bridgewatch topic assignment with the reference's ``noteTopic`` on the fixtures.

Usage: .venv/bin/python benchmarks/topics_fidelity.py [FIXTURES_DIR]

For each fixture prints the agreement of ``assign_topics`` with ``noteTopic`` of the
reference's run-2 ``scored_notes.tsv``, the confusion table, and how the notes the reference
decided by CoreWithTopics (the topic notes removed from Core) fall in our assignment.
"""

from __future__ import annotations

import platform
import sys
import time
from collections import Counter
from pathlib import Path

import polars as pl

from bridgewatch.scoring.topics import TopicConfig, assign_topics


def _read_tsv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", infer_schema_length=0, quote_char=None)


def compare(fixture: Path) -> None:
    notes = _read_tsv(fixture / "input" / "notes-00000.tsv")
    reference = _read_tsv(fixture / "reference" / "run2" / "scored_notes.tsv")
    config = TopicConfig()
    start = time.perf_counter()
    result = assign_topics(
        notes["tweetId"].cast(pl.Int64).to_numpy(), notes["summary"].to_list(), config
    )
    elapsed = time.perf_counter() - start
    ours = dict(
        zip(
            notes["noteId"].to_list(),
            [config.topic_name(int(t)) if t > 0 else "" for t in result.note_topics],
            strict=True,
        )
    )
    ref_topic = dict(
        zip(
            reference["noteId"].to_list(),
            reference["noteTopic"].fill_null("").to_list(),
            strict=True,
        )
    )
    decided = dict(
        zip(reference["noteId"].to_list(), reference["decidedBy"].to_list(), strict=True)
    )
    note_ids = sorted(set(ours) | set(ref_topic))
    pairs = Counter((ref_topic.get(n, "<absent>"), ours.get(n, "<absent>")) for n in note_ids)
    agree = sum(v for (r, o), v in pairs.items() if r == o)
    ref_set = {n for n in note_ids if ref_topic.get(n, "")}
    our_set = {n for n in note_ids if ours.get(n, "")}
    jaccard = len(ref_set & our_set) / max(1, len(ref_set | our_set))
    assert result.classifier is not None
    print(
        f"== {fixture.name}: {len(notes)} notes on {len(result.post_ids)} posts ({elapsed:.2f} s)"
    )
    print(
        f"   classifier: {len(result.classifier.vocabulary)} features, "
        f"{result.classifier.model.n_iter} L-BFGS iterations, "
        f"balanced accuracy on seeds {result.balanced_accuracy:.4f}"
    )
    print(f"   same noteTopic: {agree} / {len(note_ids)} ({100 * agree / len(note_ids):.2f}%)")
    print(
        f"   topic-assigned set: reference {len(ref_set)}, ours {len(our_set)}, "
        f"common {len(ref_set & our_set)}, Jaccard {jaccard:.4f}"
    )
    for (r, o), v in sorted(pairs.items()):
        print(f"   reference {r or '-':<16} ours {o or '-':<16} {v:5d}")
    by_rule = Counter((decided.get(n, "<absent>"), n in our_set) for n in note_ids)
    print("   decidedBy x our topic assignment:")
    for (rule, has), v in sorted(by_rule.items()):
        print(f"     {rule:<40} {'topic' if has else 'none ':<6} {v:5d}")


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/fixtures")
    print(f"python {platform.python_version()} on {platform.machine()} ({platform.processor()})")
    for fixture in sorted(p for p in root.iterdir() if (p / "input").is_dir()):
        compare(fixture)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

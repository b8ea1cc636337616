"""Topic assignment against the reference's ``noteTopic`` on the shared fixtures.

The reference removes every topic-assigned note from the Core fit (scoring-core.md §2.4), so
the Core scorer needs the same set of topic notes. Both fixtures agree on every note.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.scoring.topics import TopicConfig, assign_topics

FIXTURES = Path(os.environ.get("BRIDGEWATCH_FIXTURES", "/work/shared/fixtures"))


def _read_tsv(path: Path) -> pl.DataFrame:
    if not path.exists():
        pytest.skip(f"fixture file {path} is not available")
    return pl.read_csv(path, separator="\t", infer_schema_length=0, quote_char=None)


@pytest.mark.parametrize("fixture", ["S-core", "S-full"])
def test_topic_of_every_note_matches_the_reference(fixture: str) -> None:
    notes = _read_tsv(FIXTURES / fixture / "input" / "notes-00000.tsv")
    reference = _read_tsv(FIXTURES / fixture / "reference" / "run2" / "scored_notes.tsv")
    config = TopicConfig()
    result = assign_topics(
        notes["tweetId"].cast(pl.Int64).to_numpy(), notes["summary"].to_list(), config
    )
    ours = pl.DataFrame(
        {
            "noteId": notes["noteId"],
            "ours": [config.topic_name(int(t)) if t > 0 else "" for t in result.note_topics],
        }
    )
    joined = reference.select("noteId", "noteTopic", "decidedBy").join(
        ours, on="noteId", how="full", coalesce=True
    )
    theirs = joined["noteTopic"].fill_null("")
    mine = joined["ours"].fill_null("")
    assert joined.height == 2000
    assert int((theirs != mine).sum()) == 0
    # Every note the reference decided by CoreWithTopics is a topic note of ours.
    core_with_topics = joined["decidedBy"].str.starts_with("CoreWithTopicsModel")
    assert bool((mine.filter(core_with_topics) != "").all())
    assert bool((mine.filter(joined["decidedBy"].str.starts_with("CoreModel")) == "").all())

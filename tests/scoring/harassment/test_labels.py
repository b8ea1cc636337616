"""Selection and labelling of the harassment-model ratings (§4.6 steps 2-4)."""

from __future__ import annotations

import numpy as np

from bridgewatch.model import HelpfulnessLevel
from bridgewatch.model.columns import NOT_HELPFUL_TAGS
from bridgewatch.scoring.harassment import HarassmentConfig, label_harassment_ratings

ABUSE = 1 << NOT_HELPFUL_TAGS.index("notHelpfulSpamHarassmentOrAbuse")
OTHER = 1 << NOT_HELPFUL_TAGS.index("notHelpfulOther")
INCORRECT = 1 << NOT_HELPFUL_TAGS.index("notHelpfulIncorrect")
LATE = 1700000000000
H, S, N = HelpfulnessLevel.HELPFUL, HelpfulnessLevel.SOMEWHAT_HELPFUL, HelpfulnessLevel.NOT_HELPFUL


def _label(
    tags: list[int], levels: list[int], created: list[int], config: HarassmentConfig
) -> tuple[list[int], list[float]]:
    m = len(tags)
    out = label_harassment_ratings(
        np.zeros(m, dtype=np.int32),
        np.arange(m, dtype=np.int32),
        np.array(created, dtype=np.int64),
        np.array(tags, dtype=np.uint16),
        np.array(levels, dtype=np.int8),
        n_notes=1,
        n_raters=m,
        config=config,
    )
    return out.rows.tolist(), out.labels.tolist()


def test_labels_follow_the_rules_and_abuse_wins() -> None:
    cfg = HarassmentConfig(min_ratings_per_note=1, min_ratings_per_rater=1)
    tags = [ABUSE, ABUSE | OTHER, 0, OTHER, INCORRECT, 0, 0]
    levels = [N, H, H, N, N, S, -1]
    rows, labels = _label(tags, levels, [LATE] * 7, cfg)
    # abuse -> 1 (even when helpful or tagged other); helpful -> 0; other -> 0; rest dropped
    assert rows == [0, 1, 2, 3]
    assert labels == [1.0, 1.0, 0.0, 0.0]


def test_ratings_before_the_cutoff_are_dropped() -> None:
    cfg = HarassmentConfig(min_ratings_per_note=1, min_ratings_per_rater=1)
    cutoff = cfg.min_created_at_ms
    rows, _ = _label([ABUSE, ABUSE], [N, N], [cutoff - 1, cutoff], cfg)
    assert rows == [1]


def test_minimum_counts_are_applied_note_then_rater_then_note() -> None:
    cfg = HarassmentConfig(min_ratings_per_note=2, min_ratings_per_rater=2)
    # note 0 rated by raters 0, 1; note 1 rated by rater 0 only; note 2 by 0 and 1
    note = np.array([0, 0, 1, 2, 2], dtype=np.int32)
    rater = np.array([0, 1, 0, 0, 1], dtype=np.int32)
    m = note.shape[0]
    out = label_harassment_ratings(
        note,
        rater,
        np.full(m, LATE, dtype=np.int64),
        np.full(m, ABUSE, dtype=np.uint16),
        np.full(m, N, dtype=np.int8),
        n_notes=3,
        n_raters=2,
        config=cfg,
    )
    assert out.rows.tolist() == [0, 1, 3, 4]
    assert out.positive_rate == 1.0


def test_no_labelled_rating_gives_nan_rate() -> None:
    cfg = HarassmentConfig()
    rows, labels = _label([INCORRECT], [N], [LATE], cfg)
    assert rows == [] and labels == []

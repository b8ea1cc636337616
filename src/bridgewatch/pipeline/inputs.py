"""The note-level half of a pass's inputs, built from the worker's frames.

The rating-level half and the composition live in scoring
(:func:`bridgewatch.scoring.incremental.live_inputs`); this module only turns the worker's
frames (notes, status history, enrollment) into the ``Dataset`` that
``prepare_core_inputs`` reads, with no ratings, once per set of notes.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from bridgewatch.io import schemas
from bridgewatch.io.dataset import Dataset
from bridgewatch.model import IdIndex
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.history import StatusHistory
from bridgewatch.scoring.incremental import NoteContext, empty_ratings
from bridgewatch.scoring.inputs import prepare_core_inputs

__all__ = ["build_note_context", "history_frame"]


def history_frame(history: StatusHistory) -> pl.DataFrame:
    """``history`` as a frame with the public NSH schema."""
    frame = history.to_frame()
    if not frame.height:
        return pl.DataFrame(schema=schemas.NOTE_STATUS_HISTORY.polars_schema)
    schema = schemas.NOTE_STATUS_HISTORY.polars_schema
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


def build_note_context(
    notes: pl.DataFrame,
    history: StatusHistory,
    enrollment: pl.DataFrame,
    participant_ids: IdIndex,
    config: ScoringConfig,
) -> NoteContext:
    """Run the note-level preprocessing on ``notes`` and the input ``history``."""
    nsh = history_frame(history)
    note_ids = IdIndex.from_values(
        np.asarray(notes["noteId"].cast(pl.String).to_list(), dtype=np.str_),
        history.note_id,
    )
    dataset = Dataset(
        notes=notes,
        status_history=nsh,
        enrollment=enrollment,
        ratings=empty_ratings(note_ids, participant_ids),
        note_ids=note_ids,
        participant_ids=participant_ids,
    )
    base = prepare_core_inputs(dataset, config)
    return NoteContext(
        base=base,
        in_input_nsh=np.isin(base.note_ids.ids, history.note_id),
        n_notes_in_table=int(notes.height),
    )

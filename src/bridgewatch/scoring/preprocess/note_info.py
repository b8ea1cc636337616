"""Merge of note info into the note status history, and the misleading/deleted filter.

scoring-core.md §2.3 steps 3 and 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from bridgewatch.model import Classification
from bridgewatch.scoring.preprocess.config import PreprocessConfig

__all__ = ["NoteInfo", "filter_misleading_or_deleted", "merge_note_info"]


@dataclass(frozen=True)
class NoteInfo:
    """Per-note facts after merging the notes file into NSH; all arrays have shape (n_notes,).

    Attributes
    ----------
    in_nsh : bool, the note has an NSH row after the merge (the union of NSH and notes).
    in_notes : bool, the note is in the notes file (false for deleted notes).
    created_at_ms : int64, creation time (from NSH when present there, else from the notes
        file); -1 for notes in neither file.
    author_idx : int32, participant row of the author; -1 when unknown.
    classification : int8 ``Classification`` code from the notes file; -1 for deleted notes.
    """

    in_nsh: NDArray[np.bool_]
    in_notes: NDArray[np.bool_]
    created_at_ms: NDArray[np.int64]
    author_idx: NDArray[np.int32]
    classification: NDArray[np.int8]


def merge_note_info(
    n_notes: int,
    nsh_note_idx: NDArray[np.int32],
    nsh_created_at_ms: NDArray[np.int64],
    nsh_author_idx: NDArray[np.int32],
    notes_note_idx: NDArray[np.int32],
    notes_created_at_ms: NDArray[np.int64],
    notes_author_idx: NDArray[np.int32],
    notes_classification: NDArray[np.int8],
) -> NoteInfo:
    """Outer union of NSH with the notes file (scoring-core.md §2.3 step 3).

    New notes take creation time and author from the notes file; NSH rows of deleted notes
    stay; classification always comes from the notes file.

    Parameters
    ----------
    n_notes : size of the note index
    nsh_note_idx, nsh_created_at_ms, nsh_author_idx : arrays of shape (n_nsh,), NSH rows
    notes_note_idx, notes_created_at_ms, notes_author_idx, notes_classification : arrays of
        shape (n_notes_file,), rows of the notes file

    Returns
    -------
    NoteInfo
    """
    in_nsh = np.zeros(n_notes, dtype=np.bool_)
    in_notes = np.zeros(n_notes, dtype=np.bool_)
    created = np.full(n_notes, -1, dtype=np.int64)
    author = np.full(n_notes, -1, dtype=np.int32)
    classification = np.full(n_notes, -1, dtype=np.int8)
    in_notes[notes_note_idx] = True
    created[notes_note_idx] = notes_created_at_ms
    author[notes_note_idx] = notes_author_idx
    classification[notes_note_idx] = notes_classification
    # NSH values win for notes in both files (the reference keeps NSH's columns on the merge).
    in_nsh[nsh_note_idx] = True
    created[nsh_note_idx] = nsh_created_at_ms
    author[nsh_note_idx] = nsh_author_idx
    in_nsh |= in_notes
    return NoteInfo(
        in_nsh=in_nsh,
        in_notes=in_notes,
        created_at_ms=created,
        author_idx=author,
        classification=classification,
    )


def filter_misleading_or_deleted(
    note_idx: NDArray[np.int32],
    info: NoteInfo,
    nsh_before_merge: NDArray[np.bool_],
    config: PreprocessConfig,
) -> NDArray[np.bool_]:
    """Which ratings survive the misleading/deleted filter (scoring-core.md §2.3 step 4).

    A rating is kept when its note is classified misleading; or deleted (absent from the notes
    file) but present in the input NSH; or NOT_MISLEADING and created after
    ``config.not_misleading_cutoff_ms``.

    Parameters
    ----------
    note_idx : int32 array of shape (n_ratings,)
    info : NoteInfo of the merged notes
    nsh_before_merge : bool array of shape (n_notes,), the note has a row in the input NSH
    config : PreprocessConfig

    Returns
    -------
    bool array of shape (n_ratings,), true for ratings to keep.
    """
    misleading = info.classification == Classification.MISINFORMED_OR_POTENTIALLY_MISLEADING
    deleted_in_nsh = ~info.in_notes & nsh_before_merge
    recent_not_misleading = (info.classification == Classification.NOT_MISLEADING) & (
        info.created_at_ms > config.not_misleading_cutoff_ms
    )
    keep_note = misleading | deleted_in_nsh | recent_not_misleading
    result: NDArray[np.bool_] = keep_note[note_idx]
    return result

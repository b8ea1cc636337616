"""Preprocessing of ratings before any scorer: filters, safeguards and Core scope (§2.3-§2.4)."""

from bridgewatch.scoring.preprocess.config import (
    CORE_MODELING_GROUPS,
    CoreScopeConfig,
    PreprocessConfig,
)
from bridgewatch.scoring.preprocess.high_volume import flag_high_volume_raters
from bridgewatch.scoring.preprocess.note_info import (
    NoteInfo,
    filter_misleading_or_deleted,
    merge_note_info,
)
from bridgewatch.scoring.preprocess.pss import PSSResult, apply_pss
from bridgewatch.scoring.preprocess.scope import capture_mask, raters_in_scope

__all__ = [
    "CORE_MODELING_GROUPS",
    "CoreScopeConfig",
    "NoteInfo",
    "PSSResult",
    "PreprocessConfig",
    "apply_pss",
    "capture_mask",
    "filter_misleading_or_deleted",
    "flag_high_volume_raters",
    "merge_note_info",
    "raters_in_scope",
]

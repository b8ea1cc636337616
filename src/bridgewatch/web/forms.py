"""The note-writing form's checks, with errors a contributor can act on, keyed by the form
field they concern (shown next to that field and in a summary at the top of the form).

The rules are the API's (:class:`bridgewatch.service.schemas.NoteCreate` and the summary
length and source rules); only the wording differs: no pydantic locations or enum lists.
"""

from __future__ import annotations

from pydantic import ValidationError

from bridgewatch.store.tables import MISLEADING_REASONS, NOT_MISLEADING_REASONS

__all__ = [
    "FIELD_LABELS",
    "MISLEADING_CHOICES",
    "NOT_MISLEADING_CHOICES",
    "friendly_note_errors",
]

# Form field -> what the error summary calls it (also the summary's order).
FIELD_LABELS: dict[str, str] = {
    "classification": "Is this post misleading?",
    "misleading_reasons": "Why is it misleading?",
    "not_misleading_reasons": "Why is it not misleading?",
    "summary": "Your note",
    "source_link": "Source link",
    "form": "The note",
}

_MISLEADING_LABELS = {
    "misleadingFactualError": "It contains a factual error",
    "misleadingManipulatedMedia": "It is a manipulated or AI-generated photo or video",
    "misleadingOutdatedInformation": "It contains outdated information that may be misleading",
    "misleadingMissingImportantContext": "It is a misrepresentation or missing important context",
    "misleadingUnverifiedClaimAsFact": "It presents an unverified claim as a fact",
    "misleadingSatire": "It is a joke or satire that might be misinterpreted as a fact",
    "misleadingOther": "Other reason",
}
_NOT_MISLEADING_LABELS = {
    "notMisleadingFactuallyCorrect": "It expresses a factually correct claim",
    "notMisleadingOutdatedButNotWhenWritten": "It was correct when written, but is out of date now",
    "notMisleadingClearlySatire": "It is clearly satirical or a joke",
    "notMisleadingPersonalOpinion": "It expresses a personal opinion",
    "notMisleadingOther": "Other reason",
}


def _choices(
    columns: tuple[str, ...], labels: dict[str, str], prefix: str
) -> list[tuple[str, str]]:
    """(form value, label) per reason: the specific reasons in the reference's order, then
    "Other" last (first in a list invites picking it without reading on)."""
    if set(columns) != set(labels):
        raise ValueError(f"reason columns and labels differ: {sorted(set(columns) ^ set(labels))}")
    ordered = [c for c in columns if not c.endswith("Other")] + [
        c for c in columns if c.endswith("Other")
    ]
    return [(c.removeprefix(prefix), labels[c]) for c in ordered]


MISLEADING_CHOICES = _choices(MISLEADING_REASONS, _MISLEADING_LABELS, "misleading")
NOT_MISLEADING_CHOICES = _choices(NOT_MISLEADING_REASONS, _NOT_MISLEADING_LABELS, "notMisleading")


def _reason_message(kind: str, err_type: str, text: str) -> str:
    if "at least one" in text:
        return f"Choose at least one reason why the post is {kind}."
    if "twice" in text:
        return "Choose each reason only once."
    if err_type == "too_long":
        return "Choose fewer reasons."
    return "Choose reasons from the list."


def friendly_note_errors(exc: ValidationError) -> dict[str, str]:
    """Form field -> one plain message, from the API's note model's validation errors.

    Parameters
    ----------
    exc : the error raised by ``NoteCreate(...)``.

    Returns
    -------
    At most one message per field (the first), keys from :data:`FIELD_LABELS`.
    """
    out: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "form"
        err_type = str(err["type"])
        text = str(err.get("msg", ""))
        if field == "classification":
            message = "Choose Yes or No: is the post misleading?"
        elif field == "misleading_reasons":
            message = _reason_message("misleading", err_type, text)
        elif field == "not_misleading_reasons":
            message = _reason_message("not misleading", err_type, text)
        elif field == "summary":
            if err_type == "string_too_short":
                message = "Write the text of your note."
            elif err_type == "string_too_long":
                limit = (err.get("ctx") or {}).get("max_length", 2000)
                message = f"The note is too long: at most {limit:,} characters, links included."
            elif "NUL" in text:
                message = "The note contains a character that cannot be stored (NUL)."
            else:
                message = "Check the text of your note."
        else:
            field = "form"
            message = "This note cannot be stored as written; check each field."
        out.setdefault(field, message)
    return out

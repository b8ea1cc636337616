"""Note text rules: URLs in a summary and its length with URLs excluded (spec-extended §7.2)."""

from __future__ import annotations

import re

__all__ = ["find_urls", "summary_length"]

# A URL is a run of non-space characters starting with a scheme; trailing sentence
# punctuation is not part of it.
_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]", re.IGNORECASE)


def find_urls(text: str) -> list[str]:
    """The http(s) URLs in ``text``, in order of appearance."""
    return _URL.findall(text)


def summary_length(text: str) -> int:
    """Characters of ``text`` that count toward the summary limit: URLs count zero.

    The spec targets at most 280 characters *excluding URLs* (spec-extended §7.2); the
    whitespace around a removed URL still counts.
    """
    return len(_URL.sub("", text))

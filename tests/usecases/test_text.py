"""Summary length with URLs excluded, and URL detection."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bridgewatch.usecases.text import find_urls, summary_length


def test_urls_count_zero_characters() -> None:
    assert summary_length("see https://a.example/x?y=1 now") == len("see  now")
    assert find_urls("see https://a.example/x?y=1, and http://b.example.") == [
        "https://a.example/x?y=1",
        "http://b.example",
    ]


def test_text_without_urls_counts_every_character() -> None:
    assert summary_length("héllo wörld") == 11
    assert find_urls("www.example.com is not a link here") == []


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=50))
def test_appending_a_url_does_not_change_the_length(text: str) -> None:
    assert summary_length(text + " https://example.org/path") == summary_length(text + " ")

"""One slip of the keyboard in a Latin word: the edit test, and its use in relevance."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.library import Library
from indexing.spelling import may_be_misspelled, near_words, one_edit
from qwenrag.citations import Passage
from qwenrag.evidence import is_relevant
from tests.helpers import write_text


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("septicemia", "septicemic", True),  # substitution
        ("password", "pasword", True),  # deletion
        ("pasword", "password", True),  # insertion
        ("encryption", "encrpytion", True),  # neighbours swapped
        ("gandhi", "ghandi", False),  # a letter moved two places: two edits
        ("kitten", "sitting", False),
        ("abcde", "abxye", False),
        ("same", "same", False),
        ("abc", "bca", False),
    ],
)
def test_one_edit(a: str, b: str, expected: bool) -> None:
    assert one_edit(a, b) is expected


def test_only_latin_words_of_five_letters_or_more_are_widened() -> None:
    assert may_be_misspelled("pasword")
    assert not may_be_misspelled("form")  # "from", "farm", "fork": too many neighbours
    assert not may_be_misspelled("年假规定")
    assert not may_be_misspelled("iso27001")
    assert near_words("pasword", {"password", "passwords", "policy"}) == ["password"]
    assert near_words("password", {"password", "passwords"}) == []  # known words are not widened


POLICY = "Passwords must be at least 12 characters long and rotated every 90 days."


def _probe(tmp_path: Path, question: str) -> tuple[list[Passage], frozenset[str]]:
    """The real path: a library holding the policy, searched with the question."""
    write_text(tmp_path / "docs", "policy.txt", POLICY)
    with Library.open(tmp_path / "lib") as lib:
        if lib.is_empty():
            list(lib.add([tmp_path / "docs"], workers=0))
        hits = lib.search(question, k=5)
        return hits, lib.unknown_words(question)


def test_a_misspelled_question_is_still_answered_from_the_passage(tmp_path: Path) -> None:
    assert is_relevant("How often are passwords rotated?", *_probe(tmp_path, "How often are passwords rotated?"))
    passages, unknown = _probe(tmp_path, "How often are paswords rotatd?")
    assert {"pasword", "rotatd", "often"} == unknown  # "often" is in no document either
    assert passages and is_relevant("How often are paswords rotatd?", passages, unknown)
    # without knowing that the words are unknown to the library, they are simply absent
    assert not is_relevant("How often are paswords rotatd?", passages)


def test_near_spellings_never_count_as_strong_matches(tmp_path: Path) -> None:
    # "charakter" and "rotatd" are one edit from "character" and "rotated"; counted as strong matches, each of
    # these off-topic questions would pass the bar
    for question in ["Which charakter in the novel is rotaing the plot?", "novel plot villain characters rotatd twist"]:
        passages, unknown = _probe(tmp_path, question)
        assert passages and unknown
        assert not is_relevant(question, passages, unknown)

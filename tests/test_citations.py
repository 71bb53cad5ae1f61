"""Citation markers: every way a small model writes them, mapped to passages; unknown numbers dropped."""

from __future__ import annotations

import pytest

from indexing.locations import Location
from qwenrag.citations import Passage, cited_numbers, extract_citations, find_markers, normalize_markers


def _passages(n: int) -> list[Passage]:
    return [Passage(n=i, file=f"/docs/f{i}.pdf", location=Location(page=i), text=f"text {i}") for i in range(1, n + 1)]


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("Probation lasts 3 months [1].", [1]),
        ("试用期为 3 个月【2】。", [2]),
        ("See ［3］ and [1].", [3, 1]),
        ("Both [1,2] say so.", [1, 2]),
        ("Both [1, 2] say so.", [1, 2]),
        ("两处 [1，2] 都提到。", [1, 2]),
        ("见 [1、3]。", [1, 3]),
        ("Adjacent [1][2].", [1, 2]),
        ("A range [2-4].", [2, 3, 4]),
        ("Mixed [1, 3-4].", [1, 3, 4]),
        ("Repeated [2] and again [2].", [2]),
        ("No markers here.", []),
        ("Not a citation [a] or [] or [1.5].", []),
        ("A list:\n[1] first passage", [1]),
    ],
)
def test_marker_forms(text: str, numbers: list[int]) -> None:
    assert cited_numbers(text) == numbers


def test_out_of_range_numbers_are_dropped() -> None:
    cites = extract_citations("Answer [1][7] and [0] and [3].", _passages(3))
    assert [c.n for c in cites] == [1, 3]
    assert cites[0].passage.file == "/docs/f1.pdf"


def test_citation_maps_to_passage_and_marker_position() -> None:
    text = "Sick leave needs a certificate [2]."
    (cite,) = extract_citations(text, _passages(3))
    assert cite.n == 2
    assert text[cite.start:cite.end] == "[2]"
    assert cite.to_json() == {"n": 2, "file": "/docs/f2.pdf", "location": {"page": 2}, "text": "text 2"}


def test_mapping_by_dict_of_numbers() -> None:
    passages = {6: Passage(n=6, file="/d/a.docx", location=Location(heading="A > B"), text="x")}
    assert [c.n for c in extract_citations("see [6] and [1]", passages)] == [6]


def test_absurd_ranges_are_not_citations() -> None:
    assert cited_numbers("[1-500]") == []


def test_normalize_markers() -> None:
    assert normalize_markers("a [1, 9] b【2】 c [7]", [1, 2]) == "a [1] b[2] c "


def test_find_markers_offsets() -> None:
    assert find_markers("x [1,2] y") == [(2, 7, [1, 2])]

"""Retrieval quality floors of the app's own search (Library.search) on the shared QA sets.

Each set is written as one text file per article (named by its title, as tests/bench/bench_retrieval.py
does), indexed by the real library and searched with every question; the answer is in one known article,
the others are distractors. Floors sit a little under what tests/bench/bench_retrieval.py measured, so a
change to the analyzer, the index or the library's search that loses quality fails here. Skips where
../shared is absent.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from indexing.library import Library

# set -> (measured recall@1, measured recall@5), tests/bench/bench_retrieval.py, all questions.
MEASURED = {
    "cmrc2018_trial": (0.992, 0.997),  # Simplified Chinese, 1002 questions, 256 articles
    "drcd_test": (0.957, 0.995),  # Traditional Chinese, 3493 questions, 1000 articles
    "xquad_en_a": (0.942, 0.990),  # English, 623 questions, 120 articles
}
MARGIN_AT_1 = 0.02
MARGIN_AT_5 = 0.01
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_recall_floor_of_library_search(shared_dir: Path, tmp_path: Path, name: str) -> None:
    qa = shared_dir / "qa"
    if not (qa / f"{name}.questions.jsonl").is_file():
        pytest.skip(f"{name} is not in ../shared/corpora/qa")
    docs = tmp_path / "docs"
    docs.mkdir()
    article: dict[str, str] = {}
    for p in _lines(qa / f"{name}.passages.jsonl"):
        path = docs / f"{_UNSAFE.sub('_', p['title'])[:60]}__{p['id'].replace(':', '_')}.txt"
        path.write_text(p["text"], encoding="utf-8")
        article[str(path.resolve())] = p["id"]
    questions = _lines(qa / f"{name}.questions.jsonl")
    at_1 = at_5 = 0
    with Library.open(tmp_path / "lib") as lib:
        list(lib.add([docs], workers=0))
        for q in questions:
            found = [article.get(h.file) for h in lib.search(q["question"], k=5)]
            at_1 += found[:1] == [q["passage_id"]]
            at_5 += q["passage_id"] in found
    measured_1, measured_5 = MEASURED[name]
    assert at_5 / len(questions) >= measured_5 - MARGIN_AT_5, (at_1, at_5, len(questions))
    assert at_1 / len(questions) >= measured_1 - MARGIN_AT_1, (at_1, at_5, len(questions))

"""Retrieval quality floors: the app's tokenizer through tantivy on the shared QA sets.

Each question's answer is in one known passage among all the set's passages (the others are distractors).
Floors sit a little under what tests/bench/bench_tokenizers.py measured, so a change to the tokenizer or
to how tantivy is fed that loses quality fails here. Skips where ../shared is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.analysis import tokenize, tokenize_query
from tests.bench.bench_tokenizers import TantivyBm25, evaluate, load_qa, simplified_questions

# set -> (measured recall@1, measured recall@5) with tantivy, all questions.
MEASURED = {
    "cmrc2018_trial": (0.987, 0.995),  # Simplified Chinese, 1002 questions, 256 passages
    "drcd_test": (0.952, 0.995),  # Traditional Chinese, 3493 questions, 1000 passages
    "xquad_en_a": (0.941, 0.989),  # English, 623 questions, 120 passages
}
MARGIN_AT_1 = 0.02
MARGIN_AT_5 = 0.01


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_recall_floor(shared_dir: Path, name: str) -> None:
    qa = load_qa(name, qa_dir=shared_dir / "qa")
    engine = TantivyBm25([tokenize(d) for d in qa.documents])
    metrics = evaluate(engine, qa, tokenize_query)
    at_1, at_5 = MEASURED[name]
    assert metrics.recall_at_5 >= at_5 - MARGIN_AT_5, metrics
    assert metrics.recall_at_1 >= at_1 - MARGIN_AT_1, metrics


def test_simplified_question_finds_traditional_passage(shared_dir: Path) -> None:
    pytest.importorskip("opencc_purepy", reason="opencc-purepy converts the questions (dev tool only)")
    qa = simplified_questions(load_qa("drcd_test", qa_dir=shared_dir / "qa", limit=1000))
    assert qa is not None
    engine = TantivyBm25([tokenize(d) for d in qa.documents])
    metrics = evaluate(engine, qa, tokenize_query)
    # Without folding Traditional -> Simplified this is ~0.82 at 1 and ~0.93 at 5.
    assert metrics.recall_at_5 >= 0.98, metrics
    assert metrics.recall_at_1 >= 0.93, metrics

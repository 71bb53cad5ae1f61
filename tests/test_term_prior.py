"""The general-text prior of "not found" (qwenrag/_term_prior.py, written by tests/bench/make_term_prior.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from indexing.records import TermStats
from qwenrag.evidence import _prior, pooled_idf, rarity_weights

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))


def test_the_shipped_prior_is_what_the_script_counts_from_the_calibration_articles() -> None:
    import make_term_prior as m

    passages = m.calibration_passages()
    if not passages:
        pytest.skip("the QA sets are not in ../shared/corpora/qa")
    df, _ = m.counts(passages)
    assert m.OUT.read_text(encoding="utf-8") == m.render(len(passages), df)  # else: run make_term_prior.py


def test_a_common_word_weighs_less_than_a_name_the_general_text_lacks() -> None:
    passages, table = _prior()
    assert passages > 500 and table["时间"] > 30 and "科瓦" not in table
    # a library of 40 chunks that holds neither: the general text tells them apart
    small = TermStats(40, {"时间": 0, "科瓦": 0})
    assert pooled_idf("时间", small) < 0.5 * pooled_idf("科瓦", small)
    # in a large library a word most chunks hold weighs little, however rare in general text; in a small
    # one the general text outweighs the library's few chunks
    assert pooled_idf("报销", TermStats(20000, {"报销": 12000})) < 0.2 * pooled_idf("报销", TermStats(40, {"报销": 40}))
    # without a library's statistics, rarity is the general text's
    assert rarity_weights(["时间", "科瓦"], None) == rarity_weights(["时间", "科瓦"], TermStats(0))

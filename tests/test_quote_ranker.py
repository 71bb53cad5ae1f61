"""qwenrag.quote_ranker: the fitted ranker (linear part + oblivious trees) scores candidates as written down,
and the shipped model matches the features evidence.py computes."""

from __future__ import annotations

import pytest

from qwenrag.evidence import QUOTE_FEATURES
from qwenrag.quote_model import QUOTE_MODEL
from qwenrag.quote_ranker import QuoteModel


def test_linear_weights_and_the_extra_weights_for_english() -> None:
    m = QuoteModel(("a", "b"), (1.0, 2.0, 0.5, -1.0))
    assert m.scores([[1.0, 1.0], [1.0, 1.0]], [False, True]).tolist() == [3.0, 2.5]


def test_a_tree_leaf_is_chosen_by_its_tests_level_by_level() -> None:
    # tree 0 tests a (level 0) then b (level 1); tree 1 tests "english" (the column after the features), then a
    m = QuoteModel(("a", "b"), (0.0, 0.0, 0.0, 0.0), ((0, 1), (2, 0)), ((0.5, 0.5), (0.5, 0.1)),
                   ((0.0, 1.0, 2.0, 3.0), (10.0, 20.0, 30.0, 40.0)))
    # [a=1, b=0], Chinese: tree 0 -> leaf 1 (a > 0.5); tree 1 -> leaf 2 (not English, a > 0.1) = 31
    # [a=0, b=1], English: tree 0 -> leaf 2 (b > 0.5); tree 1 -> leaf 1 (English, a <= 0.1) = 22
    assert m.scores([[1.0, 0.0], [0.0, 1.0]], [False, True]).tolist() == pytest.approx([31.0, 22.0])
    assert m.scores([], []).tolist() == []


def test_the_shipped_model_was_fitted_with_the_features_computed_now() -> None:
    assert QUOTE_MODEL.features == QUOTE_FEATURES
    assert len(QUOTE_MODEL.linear) == 2 * len(QUOTE_FEATURES)
    assert all(max(f) <= len(QUOTE_FEATURES) for f in QUOTE_MODEL.tree_features)  # the last: "english"
    depth = {len(f) for f in QUOTE_MODEL.tree_features}
    assert all(len(v) == 2 ** d for v in QUOTE_MODEL.tree_leaves for d in depth)


def test_trees_fitted_on_chinese_questions_leave_english_ones_to_the_linear_part() -> None:
    trees = (((0,),), ((0.5,),), ((0.0, 5.0),))
    both = QuoteModel(("a",), (1.0, 0.0), *trees)
    chinese = QuoteModel(("a",), (1.0, 0.0), *trees, trees_english=False)
    assert both.scores([[1.0], [1.0]], [False, True]).tolist() == [6.0, 6.0]
    assert chinese.scores([[1.0], [1.0]], [False, True]).tolist() == [6.0, 1.0]

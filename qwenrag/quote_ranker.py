"""The quote ranker's model: how a candidate quote's features (qwenrag.evidence.QUOTE_FEATURES) become a score.

A linear part (a weight per feature, and a second weight per feature for questions not in Chinese: term
statistics of English words and of Chinese character pairs behave differently) plus a sum of small
"oblivious" decision trees (every node of a level tests the same feature against the same threshold, so a
tree is its tests and a table of 2**depth leaf values) that corrects the linear score where features
interact ("a number, but only when the sentence also covers the terms next to the question word").
The trees read the features and, last, 1.0 for a question not in Chinese.

Both parts are fitted by tests/bench/fit_quotes.py on the calibration split of ../shared/corpora/qa, which
writes the data into qwenrag/quote_model.py (plain Python literals: nothing to load at run time, and the
packaged app carries it as code). Evaluated with numpy: a few array operations for all candidates at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class QuoteModel:
    features: tuple[str, ...]  # the names the model was fitted with (must be evidence.QUOTE_FEATURES)
    linear: tuple[float, ...]  # 2 * len(features): the weights, then the extra weights for non-Chinese
    tree_features: tuple[tuple[int, ...], ...] = ()  # per tree, per level: the feature tested
    tree_thresholds: tuple[tuple[float, ...], ...] = ()  # ... goes right when the feature is above this
    tree_leaves: tuple[tuple[float, ...], ...] = ()  # per tree: 2**depth values, leaf = sum of right << level
    trees_english: bool = True  # False: the trees correct Chinese questions only (fitted on those alone)

    def scores(self, rows: Sequence[Sequence[float]], english: Sequence[bool]) -> np.ndarray:
        """The ranker's logit of each candidate (`rows`: their features; `english`: the question is not in
        Chinese)."""
        if not len(rows):
            return np.zeros(0)
        x = np.asarray(rows, dtype=float)
        en = np.asarray(english, dtype=float)
        w, w_en, trees = self._arrays
        z = x @ w + en * (x @ w_en)
        if trees is not None:
            feats, thresholds, powers, leaves, tree_index = trees
            xe = np.column_stack([x, en])
            leaf = (xe[:, feats] > thresholds) @ powers  # (candidates, trees, levels) -> (candidates, trees)
            trees_z = leaves[tree_index, leaf].sum(axis=1)
            z += trees_z if self.trees_english else trees_z * (1.0 - en)
        return z

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...] | None]:
        """The model as arrays, built once."""
        n = len(self.features)
        w = np.asarray(self.linear, dtype=float)
        if not self.tree_leaves:
            return w[:n], w[n:], None
        feats = np.asarray(self.tree_features, dtype=np.int64)
        powers = 1 << np.arange(feats.shape[1], dtype=np.int64)
        leaves = np.asarray(self.tree_leaves, dtype=float)
        trees = (feats, np.asarray(self.tree_thresholds, dtype=float), powers, leaves, np.arange(len(leaves)))
        return w[:n], w[n:], trees

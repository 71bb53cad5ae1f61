"""Fit the quote ranker (qwenrag/quote_model.py, evaluated by qwenrag/quote_ranker.py) on the CALIBRATION split only.

What it fits: for every calibration question of ../shared/corpora/qa (articles whose id hashes even, as
bench_quotes.split_of; the evaluation split and samples/questions.json are never read), the set is indexed
by the real library (a file per article), the question goes through qwenrag.evidence.gather (k=5, as the
app), and every candidate quote of the passages found gets its features (evidence.quote_candidates) and a
label: 1 when it comes from the gold article's file and holds a gold answer (fold_text), as bench_quotes.py
counts a hit. Questions without a labelled candidate (the gold file not found, the answer beyond two
sentences) are left out of the fit.

The model, in two stages, both maximising the log-probability of the labelled candidates under a softmax
over each question's candidates (a conditional logit):
1. linear: a weight per feature and one more per feature for non-Chinese questions, L2 penalty --l2, by
   gradient descent (Adam) with numpy;
2. trees: --trees oblivious trees of depth --depth boosted on top of the linear score (Newton steps on the
   same softmax loss: gradient p - q, hessian p(1 - p); thresholds among --bins quantiles of each feature;
   leaf values shrunk by --lr and penalised by --lam).
With --chinese-trees the trees are fitted on the Chinese questions alone and the model applies them to those
only (English questions keep the linear score: trees on top of it made XQuAD worse when cross-validated).
Model size is chosen by --cv K: K-fold cross-validation INSIDE the calibration split (folds by article),
printing hit@1 / hit@3 of the held-out folds for each --grid setting (trees x depth), the linear model alone
included (0 trees). Then the chosen setting is fitted on the whole calibration split; --write stores it in
qwenrag/quote_model.py. It prints, on the calibration split, hit@1 / hit@3 of find_quotes with the fitted
model and with the model now in quote_model.py.

    .venv/bin/python tests/bench/fit_quotes.py [--cache /tmp/fit_quotes] [--limit 0] [--cv 4]
        [--grid 0x0,100x3,200x4] [--l2-en 0.001,1] [--trees 0 --depth 4] [--chinese-trees] [--write]

--cache keeps the search results per set (a pickle) so that refitting after a feature change does not
index the sets again (delete it when the library or search changes).
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bench_quotes import _hit, split_of
from bench_retrieval import build_files
from common import SHARED, load_jsonl, qa_sets, table

from indexing.analysis import fold_text
from indexing.library import Library
from qwenrag.evidence import QUOTE_FEATURES, find_quotes, gather, quote_candidates
from qwenrag.quote_model import QUOTE_MODEL
from qwenrag.quote_ranker import QuoteModel

MODEL_FILE = Path(__file__).resolve().parents[2] / "qwenrag" / "quote_model.py"


def searched(name: str, cache: Path | None) -> list[dict[str, Any]]:
    """The calibration questions of set `name` with what gather() found for them (cached)."""
    path = cache / f"{name}.pkl" if cache else None
    if path and path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        by_id = {v: k for k, v in build_files(name, folder).items()}
        with Library.open(Path(tmp) / "lib") as lib:
            list(lib.add([folder], workers=2))
            for q in load_jsonl(SHARED / "qa" / f"{name}.questions.jsonl"):
                if split_of(q["passage_id"]) != "calibration":
                    continue
                ev = gather(lib, q["question"], k=5)
                out.append({"q": q, "gold": by_id[q["passage_id"]], "found": ev.found, "passages": list(ev.passages)})
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            pickle.dump(out, fh)
    return out


@dataclass
class Question:
    x: np.ndarray  # candidates x features
    english: bool
    y: np.ndarray  # 1: from the gold file and holds the answer
    spans: list[tuple[Any, int, int]]  # (chunk id, start, end) per candidate: overlaps are not quoted twice
    fold: int
    found: bool  # relevant (a question found "not found" gets no quotes)


def design(rows: list[dict[str, Any]], folds: int) -> list[Question]:
    """The candidates of each question (also those without a labelled one: they count as misses)."""
    out = []
    for r in rows:
        cands = quote_candidates(r["q"]["question"], r["passages"])
        if not cands:
            continue
        answers = [fold_text(a) for a in r["q"]["answers"]]
        y = np.array([float(c.passage.file == r["gold"] and any(a in fold_text(c.passage.text[c.start:c.end])
                                                                 for a in answers)) for c in cands])
        out.append(Question(np.array([c.features for c in cands]), cands[0].english, y,
                            [(c.passage.chunk_id, c.start, c.end) for c in cands],
                            zlib.adler32(r["q"]["passage_id"].encode()) % max(1, folds), bool(r["found"])))
    return out


class Stacked:
    """All candidates of some questions as one matrix (the trees read the features and the language)."""

    def __init__(self, qs: list[Question]) -> None:
        self.x = np.concatenate([q.x for q in qs])
        self.en = np.concatenate([np.full(len(q.y), float(q.english)) for q in qs])
        self.xe = np.column_stack([self.x, self.en])
        self.y = np.concatenate([q.y for q in qs])
        self.group = np.concatenate([np.full(len(q.y), i) for i, q in enumerate(qs)])
        self.starts = np.r_[0, np.flatnonzero(np.diff(self.group)) + 1]
        self.n_q = len(qs)

    def probs(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(p, q): softmax over each question's candidates, and the same restricted to its positives."""
        z = z - np.maximum.reduceat(z, self.starts)[self.group]
        e = np.exp(z)
        p = e / np.bincount(self.group, e)[self.group]
        pos = p * self.y
        q = pos / np.maximum(np.bincount(self.group, pos)[self.group], 1e-300)
        return p, q


def fit_linear(d: Stacked, l2: float, l2_en: float, steps: int = 1500, lr: float = 0.05) -> np.ndarray:
    """Conditional logit by Adam: maximise sum over questions of log(sum of softmax over its positives).
    `l2_en`: the penalty on the extra weights for non-Chinese questions (large: one set of weights for all)."""
    # float32 and a contiguous transpose: the two products per step are most of the fitting time
    x2 = np.column_stack([d.x, d.x * d.en[:, None]]).astype(np.float32)
    x2t = np.ascontiguousarray(x2.T)
    w = np.zeros(x2.shape[1])
    penalty = np.r_[np.full(d.x.shape[1], l2), np.full(d.x.shape[1], l2_en)]
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        p, q = d.probs((x2 @ w.astype(np.float32)).astype(float))
        grad = x2t @ (p - q).astype(np.float32) / d.n_q + 2 * penalty * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w


def fit_trees(d: Stacked, base: np.ndarray, n_trees: int, depth: int, lr: float, lam: float,
              bins: int) -> tuple[list[list[int]], list[list[float]], list[list[float]]]:
    """Oblivious trees boosted on top of the logit `base` (Newton steps on the softmax loss)."""
    edges = [np.unique(np.quantile(col, np.linspace(0, 1, bins + 1)[1:-1])) for col in d.xe.T]
    binned = np.column_stack([np.searchsorted(e, col, side="left") for e, col in zip(edges, d.xe.T, strict=True)])
    n_bins = max(len(e) for e in edges) + 1
    z = base.copy()
    feats, thresholds, leaves = [], [], []
    for _ in range(n_trees):
        p, q = d.probs(z)
        g = p - q
        h = np.maximum(p * (1 - p), 1e-6)
        leaf = np.zeros(len(g), dtype=np.int64)
        tf, tt = [], []
        for level in range(depth):
            n_leaves = 1 << level
            best = (-np.inf, 0, 0)
            for f, e in enumerate(edges):
                if not len(e):
                    continue
                key = leaf * n_bins + binned[:, f]
                gs = np.bincount(key, g, n_leaves * n_bins).reshape(n_leaves, n_bins).cumsum(axis=1)
                hs = np.bincount(key, h, n_leaves * n_bins).reshape(n_leaves, n_bins).cumsum(axis=1)
                gl, hl = gs[:, :len(e)], hs[:, :len(e)]  # left: bin <= k, i.e. the feature <= e[k]
                gt, ht = gs[:, -1:], hs[:, -1:]
                gain = (gl**2 / (hl + lam) + (gt - gl) ** 2 / (ht - hl + lam)).sum(axis=0)
                k = int(np.argmax(gain))
                if gain[k] > best[0]:
                    best = (gain[k], f, k)
            _gain, f, k = best
            tf.append(f)
            tt.append(float(edges[f][k]))
            leaf |= (binned[:, f] > k).astype(np.int64) << level
        gsum = np.bincount(leaf, g, 1 << depth)
        hsum = np.bincount(leaf, h, 1 << depth)
        values = -lr * gsum / (hsum + lam)
        z += values[leaf]
        feats.append(tf)
        thresholds.append(tt)
        leaves.append([round(float(v), 4) for v in values])
    return feats, thresholds, leaves


def fit(qs: list[Question], l2: float, l2_en: float, n_trees: int, depth: int, lr: float, lam: float,
        bins: int, chinese_trees: bool = False) -> QuoteModel:
    """`chinese_trees`: the trees are fitted on the Chinese questions alone and correct only those."""
    labelled = [q for q in qs if q.y.any()]
    d = Stacked(labelled)
    w = fit_linear(d, l2, l2_en)
    model = QuoteModel(QUOTE_FEATURES, tuple(round(float(x), 4) for x in w))
    if not n_trees:
        return model
    if chinese_trees:
        d = Stacked([q for q in labelled if not q.english])
    base = model.scores(d.x, d.en.astype(bool))
    feats, thresholds, leaves = fit_trees(d, base, n_trees, depth, lr, lam, bins)
    return QuoteModel(QUOTE_FEATURES, model.linear, tuple(map(tuple, feats)), tuple(map(tuple, thresholds)),
                      tuple(map(tuple, leaves)), trees_english=not chinese_trees)


def quick_hits(qs: list[Question], model: QuoteModel) -> tuple[float, float]:
    """hit@1 / hit@3 from the candidates' scores, overlapping quotes skipped as find_quotes does."""
    h1 = h3 = 0
    for q in qs:
        if not q.found:
            continue
        z = model.scores(q.x, [q.english] * len(q.y))
        chosen: list[int] = []
        for i in np.argsort(-z, kind="stable"):
            cid, s, e = q.spans[i]
            if any(q.spans[j][0] == cid and q.spans[j][1] < e and s < q.spans[j][2] for j in chosen):
                continue
            chosen.append(int(i))
            if len(chosen) == 3:
                break
        h1 += bool(q.y[chosen[0]])
        h3 += bool(q.y[chosen].any())
    return h1 / len(qs), h3 / len(qs)


def hits(rows: list[dict[str, Any]], model: QuoteModel) -> tuple[float, float]:
    h1 = h3 = 0
    for r in rows:
        quotes = find_quotes(r["q"]["question"], r["passages"], model=model) if r["found"] else []
        h1 += bool(quotes) and _hit(quotes[0], r["gold"], r["q"]["answers"])
        h3 += any(_hit(x, r["gold"], r["q"]["answers"]) for x in quotes[:3])
    return h1 / len(rows), h3 / len(rows)


def write(model: QuoteModel, note: str) -> None:
    def wrapped(values: tuple[Any, ...], indent: str) -> str:
        """A tuple literal, ten values a line."""
        lines = [", ".join(map(repr, values[i:i + 10])) + "," for i in range(0, len(values), 10)]
        return "(\n" + "".join(f"{indent}    {line}\n" for line in lines) + f"{indent})"

    def nested(values: tuple[tuple[Any, ...], ...]) -> str:
        return "(\n" + "".join(f"        {wrapped(v, '        ')},\n" for v in values) + "    )"

    MODEL_FILE.write_text(
        '"""The quote ranker\'s fitted model (see qwenrag/quote_ranker.py): WRITTEN BY tests/bench/fit_quotes.py '
        f'--write,\ndo not edit by hand. {note}"""\n\nfrom qwenrag.quote_ranker import QuoteModel\n\n'
        f"QUOTE_MODEL = QuoteModel(\n    features={wrapped(model.features, '    ')},\n"
        f"    linear={wrapped(model.linear, '    ')},\n"
        f"    tree_features={nested(model.tree_features)},\n"
        f"    tree_thresholds={nested(model.tree_thresholds)},\n"
        f"    tree_leaves={nested(model.tree_leaves)},\n"
        f"    trees_english={model.trees_english!r},\n)\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=",".join(qa_sets()))
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--l2", type=float, default=0.001)
    ap.add_argument("--l2-en", default="0.001", help="penalty on the extra non-Chinese weights (with --cv: a "
                                                      "comma list to cross-validate; large: shared weights)")
    ap.add_argument("--limit", type=int, default=0, help="calibration questions per set (0: all; the first N "
                                                        "in file order)")
    ap.add_argument("--cv", type=int, default=0, help="folds of the cross-validation (0: none)")
    ap.add_argument("--grid", default="0x0,100x3,200x3,200x4", help="trees x depth settings to cross-validate")
    ap.add_argument("--trees", type=int, default=0)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--bins", type=int, default=32)
    ap.add_argument("--chinese-trees", action="store_true", help="fit the trees on the Chinese questions alone "
                                                                   "and apply them to those only")
    ap.add_argument("--write", action="store_true", help="store the fitted model in qwenrag/quote_model.py")
    args = ap.parse_args()
    per_set = {name: searched(name, args.cache)[:args.limit or None] for name in args.sets.split(",")}
    data = {name: design(rows, args.cv) for name, rows in per_set.items()}
    if args.cv:
        out = []
        for setting, l2_en in [(s, float(e)) for s in args.grid.split(",") for e in args.l2_en.split(",")]:
            n_trees, depth = map(int, setting.split("x"))
            held: dict[str, list[tuple[float, float, int]]] = {name: [] for name in data}
            for k in range(args.cv):
                train = [q for qs in data.values() for q in qs if q.fold != k]
                model = fit(train, args.l2, l2_en, n_trees, depth, args.lr, args.lam, args.bins,
                            args.chinese_trees)
                for name, qs in data.items():
                    test = [q for q in qs if q.fold == k]
                    held[name].append((*quick_hits(test, model), len(test)))
            row: list[object] = [f"{setting}, l2-en {l2_en}"]
            for res in held.values():
                n = sum(r[2] for r in res)
                row += [sum(r[0] * r[2] for r in res) / n, sum(r[1] * r[2] for r in res) / n]
            out.append(row)
            print(row, flush=True)
        print(table(["trees x depth, l2-en", *[f"{name} {h}" for name in data for h in ("hit@1", "hit@3")]], out))
        print("(held-out folds of the calibration split; hits over the questions with candidates)\n")
    l2_en = float(args.l2_en.split(",")[0])
    model = fit([q for qs in data.values() for q in qs], args.l2, l2_en, args.trees, args.depth, args.lr, args.lam,
                args.bins, args.chinese_trees)
    print(table(["feature", "weight", "non-Chinese"], [[f, f"{a:+.3f}", f"{b:+.3f}"] for f, a, b in
                zip(QUOTE_FEATURES, model.linear, model.linear[len(QUOTE_FEATURES):], strict=False)]))
    current = QUOTE_MODEL.features == QUOTE_FEATURES  # else the features changed: no current model to compare
    rows = [[name, len(qs), *hits(qs, model), *(hits(qs, QUOTE_MODEL) if current else ("-", "-"))]
            for name, qs in per_set.items()]
    print(table(["set (calibration split)", "questions", "fitted hit@1", "hit@3", "current hit@1", "hit@3"], rows))
    if args.write:
        trees = (f"{args.trees} trees of depth {args.depth} (lr {args.lr}, lam {args.lam}, {args.bins} bins"
                 f"{', Chinese questions only' if args.chinese_trees else ''})" if args.trees else "linear, no trees")
        write(model, f"Fitted on the calibration split: {trees}, l2 {args.l2}, l2-en {l2_en}.")
        print(f"written to {MODEL_FILE}")


if __name__ == "__main__":
    main()

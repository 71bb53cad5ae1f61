"""Fit the quote ranker's weights (QUOTE_WEIGHTS in qwenrag/evidence.py) on the CALIBRATION split only.

What it fits: for every calibration question of ../shared/corpora/qa (articles whose id hashes even, as
bench_quotes.split_of; the evaluation split and samples/questions.json are never read), the set is indexed
by the real library (a file per article), the question goes through qwenrag.evidence.gather (k=5, as the
app), and every candidate quote of the passages found gets its features (evidence.quote_candidates) and a
label: 1 when it comes from the gold article's file and holds a gold answer (fold_text), as bench_quotes.py
counts a hit. The weights maximise the log-probability of the labelled candidates under a softmax over each
question's candidates (a conditional logit, L2 penalty --l2), by gradient descent with numpy. Questions
without a labelled candidate (the gold file not found, the answer beyond two sentences) are left out of the
fit. It prints the weights to paste into evidence.py and, on the calibration split, hit@1 / hit@3 of
find_quotes with the fitted weights and with the weights now in evidence.py.

    .venv/bin/python tests/bench/fit_quotes.py [--cache /tmp/fit_quotes] [--l2 0.001] [--limit 600]

--cache keeps the search results per set (a pickle) so that refitting after a feature change does not
index the sets again (delete it when the library or search changes).
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from bench_quotes import _hit, split_of
from bench_retrieval import build_files
from common import SHARED, load_jsonl, qa_sets, table

from indexing.analysis import fold_text
from indexing.library import Library
from qwenrag.evidence import QUOTE_FEATURES, QUOTE_WEIGHTS, find_quotes, gather, quote_candidates


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


def design(rows: list[dict[str, Any]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(features, labels) per question that has at least one labelled candidate."""
    out = []
    for r in rows:
        cands = quote_candidates(r["q"]["question"], r["passages"])
        answers = [fold_text(a) for a in r["q"]["answers"]]
        y = np.array([float(c.passage.file == r["gold"] and any(a in fold_text(c.passage.text[c.start:c.end])
                                                                 for a in answers)) for c in cands])
        if y.any():
            out.append((np.array([c.features for c in cands]), y))
    return out


def fit(data: list[tuple[np.ndarray, np.ndarray]], l2: float, steps: int = 3000, lr: float = 0.05) -> np.ndarray:
    """Conditional logit by Adam: maximise sum over questions of log(sum of softmax over its positives)."""
    x = np.concatenate([d[0] for d in data])
    y = np.concatenate([d[1] for d in data])
    group = np.concatenate([np.full(len(d[1]), i) for i, d in enumerate(data)])
    n_q = len(data)
    w = np.array(QUOTE_WEIGHTS, dtype=float)
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        z = x @ w
        z -= np.maximum.reduceat(z, np.r_[0, np.flatnonzero(np.diff(group)) + 1])[group]
        e = np.exp(z)
        p = e / np.bincount(group, e)[group]
        pos = p * y
        q = pos / np.bincount(group, pos)[group]
        grad = x.T @ (p - q) / n_q + 2 * l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return w


def hits(rows: list[dict[str, Any]], weights: tuple[float, ...]) -> tuple[float, float]:
    h1 = h3 = 0
    for r in rows:
        quotes = find_quotes(r["q"]["question"], r["passages"], weights=weights) if r["found"] else []
        h1 += bool(quotes) and _hit(quotes[0], r["gold"], r["q"]["answers"])
        h3 += any(_hit(x, r["gold"], r["q"]["answers"]) for x in quotes[:3])
    return h1 / len(rows), h3 / len(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=",".join(qa_sets()))
    ap.add_argument("--cache", type=Path, default=None)
    ap.add_argument("--l2", type=float, default=0.001)
    ap.add_argument("--limit", type=int, default=600, help="calibration questions per set (0: all; the first N "
                                                          "in file order, so that no set outweighs the others)")
    args = ap.parse_args()
    per_set = {name: searched(name, args.cache)[:args.limit or None] for name in args.sets.split(",")}
    data = [d for rows in per_set.values() for d in design(rows)]
    w = tuple(round(float(x), 3) for x in fit(data, args.l2))
    print(table(["feature", "weight"], [[f, f"{x:+.3f}"] for f, x in zip(QUOTE_FEATURES, w, strict=True)]))
    print(f"\nQUOTE_WEIGHTS = {w}\n")
    rows = []
    for name, qs in per_set.items():
        rows.append([name, len(qs), *hits(qs, w), *hits(qs, QUOTE_WEIGHTS)])
    print(table(["set (calibration split)", "questions", "fitted hit@1", "hit@3", "current hit@1", "hit@3"], rows))


if __name__ == "__main__":
    main()

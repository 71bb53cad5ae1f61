"""Search latency (median, p95) and serving memory at 1k, 10k and 100k chunks, beside rank-bm25.

Each size is built through the real library path (text files -> parse -> chunk -> store + index), then
a fresh process opens the library and serves queries, so its RSS is what serving that library costs.

    .venv/bin/python tests/bench/bench_search.py [--sizes 1000,10000,100000] [--reference-max 100000]

Also: the same English questions spelled right and with one typo (the spelling-tolerant path).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, SHARED, load_jsonl, median, pct, rss_mb, table

PER_FILE = 500  # paragraphs per generated file


def _sentences() -> list[str]:
    out: list[str] = []
    qa = SHARED / "qa"
    if qa.is_dir():
        for p in sorted(qa.glob("*.passages.jsonl")):
            for row in load_jsonl(p):
                out.extend(s for s in row["text"].replace("。", "。\n").replace(". ", ".\n").splitlines() if s.strip())
    if not out:  # no shared corpus: a synthetic vocabulary keeps the benchmark runnable
        rng = random.Random(1)
        words = [f"w{i}" for i in range(20000)] + [chr(0x4E00 + i) * 2 for i in range(3000)]
        out = [" ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(20000)]
    return out


def _queries(n: int) -> list[str]:
    qs: list[str] = []
    qa = SHARED / "qa"
    for p in sorted(qa.glob("*.questions.jsonl")) if qa.is_dir() else []:
        qs.extend(r["question"] for r in load_jsonl(p))
    rng = random.Random(7)
    rng.shuffle(qs)
    return qs[:n] or ["w1 w2 w3", "一一 二二"] * (n // 2)


def _misspelled(queries: list[str]) -> list[tuple[str, str]]:
    """(question, the same with the neighbours in the middle of its longest word swapped) for English
    questions: the spelling-tolerant path (an unknown word is widened to indexed words one edit away)."""
    out = []
    for q in queries:
        words = [w for w in q.split() if w.isascii() and w.isalpha() and len(w) >= 6]
        if words:
            w = max(words, key=len)
            m = len(w) // 2
            out.append((q, q.replace(w, w[:m - 1] + w[m] + w[m - 1] + w[m + 1:], 1)))
    return out


def build(size: int, folder: Path) -> dict:
    """Generate files holding `size` paragraphs of about one chunk each and index them."""
    from indexing.library import Library

    rng = random.Random(size)
    sents = _sentences()
    docs = folder / "docs"
    docs.mkdir(parents=True)
    for f in range(0, size, PER_FILE):
        paras = []
        for _ in range(min(PER_FILE, size - f)):
            para = ""
            while len(para) < 330:
                para += rng.choice(sents)
            paras.append(para)
        (docs / f"doc{f // PER_FILE:05d}.txt").write_text("\n\n".join(paras), encoding="utf-8")
    t0 = time.perf_counter()
    with Library.open(folder / "lib") as lib:
        list(lib.add([docs]))
        chunks = lib.store.count_chunks()
    return {"chunks": chunks, "index_s": time.perf_counter() - t0}


def serve(folder: Path, nq: int) -> dict:
    """In a fresh process: open the library, run queries, report latency and RSS."""
    from indexing.library import Library

    base = rss_mb()
    queries = _queries(nq)
    with Library.open(folder / "lib") as lib:
        for q in queries[:20]:
            lib.search(q, k=10)  # warm up
        times = []
        for q in queries:
            t0 = time.perf_counter()
            lib.search(q, k=10)
            times.append((time.perf_counter() - t0) * 1000)
        exact, typos = [], []  # the same English questions, spelled right and with one typo, alternating
        for q, typo in _misspelled(queries):
            for text, out in ((q, exact), (typo, typos)):
                t0 = time.perf_counter()
                lib.search(text, k=10)
                out.append((time.perf_counter() - t0) * 1000)
        return {"median_ms": median(times), "p95_ms": pct(times, 0.95), "rss_mb": rss_mb(), "base_rss_mb": base,
                "en_median_ms": median(exact), "typo_median_ms": median(typos), "typo_p95_ms": pct(typos, 0.95)}


def reference(folder: Path, nq: int) -> dict:
    """rank-bm25 BM25Okapi over the same chunk texts and tokenizer (the design's named engine)."""
    from rank_bm25 import BM25Okapi

    from indexing.analysis import tokenize, tokenize_query
    from indexing.store import Store

    base = rss_mb()
    store = Store(folder / "lib" / "library.sqlite3")
    corpus = [tokenize(text) for batch in store.iter_all_chunks() for _cid, _d, text, _h, _t in batch]
    bm25 = BM25Okapi(corpus)
    del corpus
    queries = _queries(min(nq, 50))
    times = []
    for q in queries:
        t0 = time.perf_counter()
        scores = bm25.get_scores(tokenize_query(q))
        sorted(range(len(scores)), key=scores.__getitem__, reverse=True)[:10]
        times.append((time.perf_counter() - t0) * 1000)
    return {"median_ms": median(times), "p95_ms": pct(times, 0.95), "rss_mb": rss_mb() - base}


def _child(mode: str, folder: Path, nq: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(folder), str(nq)],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--reference-max", type=int, default=100000, help="largest size to run rank-bm25 on")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, folder, nq = args.child
        fn = {"build": lambda: build(int(nq), Path(folder)), "serve": lambda: serve(Path(folder), int(nq)),
              "reference": lambda: reference(Path(folder), int(nq))}[mode]
        print(json.dumps(fn()))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            built = _child("build", Path(tmp), size)
            ours = _child("serve", Path(tmp), args.queries)
            ref = _child("reference", Path(tmp), args.queries) if size <= args.reference_max else None
            disk = sum(f.stat().st_size for f in (Path(tmp) / "lib").rglob("*") if f.is_file()) / 1e6
            rows.append([
                built["chunks"], f"{built['index_s']:.1f}", ours["median_ms"], ours["p95_ms"],
                f"{ours['en_median_ms']:.2f} -> {ours['typo_median_ms']:.2f} / {ours['typo_p95_ms']:.2f}",
                f"{ours['rss_mb']:.0f}",
                f"{disk:.0f}", ref["median_ms"] if ref else "-", ref["p95_ms"] if ref else "-",
                f"{ref['rss_mb']:.0f}" if ref else "-",
                f"{ref['median_ms'] / ours['median_ms']:.0f}x" if ref else "-",
            ])
            print(table(["chunks", "index s", "median ms", "p95 ms", "English median -> typo median/p95 ms", "RSS MB", "disk MB", "bm25 median",
                         "bm25 p95", "bm25 +MB", "speed-up"], rows), flush=True)
            print()


if __name__ == "__main__":
    main()

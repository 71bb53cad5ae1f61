"""Retrieval quality on ../shared/corpora/qa through the real path: files built from the passages,
indexed by the library, searched with each question. Prints recall@1/5/10 and MRR per set.

    .venv/bin/python tests/bench/bench_retrieval.py [--sets cmrc2018_trial,...]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from common import SHARED, load_jsonl, qa_sets, table

from indexing.library import Library

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


@contextlib.contextmanager
def qa_library(name: str, workers: int = 2) -> Iterator[tuple[Library, dict[str, str]]]:
    """QA set `name` indexed by the real library in a temporary folder: (library, file -> passage id)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        files = build_files(name, folder)
        with Library.open(Path(tmp) / "lib") as lib:
            list(lib.add([folder], workers=workers))
            yield lib, files


def build_files(name: str, folder: Path) -> dict[str, str]:
    """One text file per passage, named by its title (the title is indexed with every chunk)."""
    files: dict[str, str] = {}
    for p in load_jsonl(SHARED / "qa" / f"{name}.passages.jsonl"):
        stem = f"{_UNSAFE.sub('_', p['title'])[:60]}__{p['id']}"
        path = folder / f"{stem}.txt"
        path.write_text(p["text"], encoding="utf-8")
        files[str(path.resolve())] = p["id"]
    return files


def evaluate(name: str, workers: int) -> list[object]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        files = build_files(name, folder)
        with Library.open(Path(tmp) / "lib") as lib:
            t0 = time.perf_counter()
            list(lib.add([folder], workers=workers))
            index_s = time.perf_counter() - t0
            questions = load_jsonl(SHARED / "qa" / f"{name}.questions.jsonl")
            ranks: list[int | None] = []
            t0 = time.perf_counter()
            for q in questions:
                hits = lib.search(q["question"], k=10)
                found = [files.get(h.file) for h in hits]
                ranks.append(found.index(q["passage_id"]) + 1 if q["passage_id"] in found else None)
            search_ms = (time.perf_counter() - t0) * 1000 / max(1, len(questions))
    n = len(ranks)

    def recall(k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n

    mrr = sum(1 / r for r in ranks if r is not None) / n
    return [name, n, len(files), recall(1), recall(5), recall(10), mrr, index_s, search_ms]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=",".join(qa_sets()))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if not args.sets:
        raise SystemExit("../shared/corpora/qa is absent: nothing to measure")
    rows = [evaluate(name, args.workers) for name in args.sets.split(",")]
    print(table(["set", "questions", "passages", "R@1", "R@5", "R@10", "MRR", "index s", "ms/query"], rows))


if __name__ == "__main__":
    main()

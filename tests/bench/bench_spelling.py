"""What the one-typo tolerance (indexing/spelling.py) buys and costs in quality, on XQuAD-en.

The library: one text file per passage of ../shared/corpora/qa/xquad_en_a (as bench_retrieval.py builds
it) for the articles whose name hashes even (crc32, as calibrate_not_found.py splits them); the other
articles are left out, so their questions are off-topic for this library. Nothing here is tuned: every
question of the set is used.

- typo'd questions: each question about an indexed article that has an ASCII word of 6+ letters, with the
  two letters in the middle of its longest such word swapped (as bench_search.py times them);
- for those questions spelled right and with the typo: recall@1/@5 of the gold passage (Library.search,
  k=10) and the share answered rather than "not found" (qwenrag.evidence.gather(...).found, the app's
  own decision, no model);
- off-topic: every question about an article not indexed, as asked; the share turned away ("not found");
- each with the spelling tolerance on (the app) and off (indexing.search_index._unknown patched to find
  no unknown word: no near spellings in search nor in the relevance test, as before the tolerance).

    .venv/bin/python tests/bench/bench_spelling.py [--workers 2]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from bench_retrieval import build_files
from common import SHARED, load_jsonl, table

import indexing.search_index as search_index
from indexing.library import Library
from qwenrag.evidence import gather

SET = "xquad_en_a"


def _article(passage_id: str) -> str:
    return passage_id.split(":", 1)[1].split("-")[0]  # "xquad_en_a:<article>-<n>"


def _indexed(passage_id: str) -> bool:
    return zlib.crc32(f"{SET}/{_article(passage_id)}".encode()) % 2 == 0


def with_typo(question: str) -> str | None:
    """The question with the two middle letters of its longest ASCII word of 6+ letters swapped."""
    words = [w for w in question.split() if w.isascii() and w.isalpha() and len(w) >= 6]
    if not words:
        return None
    w = max(words, key=len)
    m = len(w) // 2
    return question.replace(w, w[:m - 1] + w[m] + w[m - 1] + w[m + 1:], 1)


@contextlib.contextmanager
def tolerance(on: bool) -> Iterator[None]:
    """Off: the index reports no unknown word, so nothing is widened to near spellings anywhere."""
    original = search_index._unknown
    if not on:
        search_index._unknown = lambda _searcher, _tokens: set()
    try:
        yield
    finally:
        search_index._unknown = original


def measure(lib: Library, files: dict[str, str], asked: list[tuple[str, str]]) -> tuple[float, float, float]:
    """(R@1, R@5, answered share) of (question, gold passage id) pairs."""
    r1 = r5 = answered = 0
    for question, gold in asked:
        found = [files.get(h.file) for h in lib.search(question, k=10)]
        r1 += found[:1] == [gold]
        r5 += gold in found[:5]
        answered += gather(lib, question).found
    n = max(1, len(asked))
    return r1 / n, r5 / n, answered / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if not (SHARED / "qa" / f"{SET}.passages.jsonl").is_file():
        raise SystemExit("../shared/corpora/qa is absent: nothing to measure")
    questions = load_jsonl(SHARED / "qa" / f"{SET}.questions.jsonl")
    inside = [q for q in questions if _indexed(q["passage_id"])]
    outside = [q for q in questions if not _indexed(q["passage_id"])]
    right = [(q["question"], q["passage_id"]) for q in inside if with_typo(q["question"])]
    typo = [(with_typo(q), gold) for q, gold in right]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        folder.mkdir()
        files = build_files(SET, folder)
        for f in [f for f, pid in files.items() if not _indexed(pid)]:
            Path(f).unlink()  # its article's questions are the off-topic ones
            del files[f]
        started = time.perf_counter()
        with Library.open(Path(tmp) / "lib") as lib:
            list(lib.add([folder], workers=args.workers))
            rows = []
            for on in (False, True):
                with tolerance(on):
                    exact = measure(lib, files, right)
                    slipped = measure(lib, files, typo)
                    away = sum(not gather(lib, q["question"]).found for q in outside) / max(1, len(outside))
                rows.append(["on (the app)" if on else "off", *exact, *slipped, away])
    print(f"{SET}: {len(files)} passages indexed; {len(right)} questions with a 6+ letter word about them; "
          f"{len(outside)} off-topic questions (articles not indexed); {time.perf_counter() - started:.0f} s")
    print(table(["tolerance", "spelled right R@1", "R@5", "answered", "one typo R@1", "R@5", "answered",
                 "off-topic turned away"], rows))


if __name__ == "__main__":
    main()

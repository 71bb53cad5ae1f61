"""Calibrate the "not found in your documents" threshold (qwenrag.evidence.is_relevant). Not a test.

Questions the library CAN answer (positives) and questions it cannot (negatives): half of the articles
of CMRC 2018 (zh), DRCD (zh-Hant) and XQuAD-en indexed as text files; positives are questions about indexed
articles, negatives questions about the other half. samples/questions.json is the test set and is not used
(an earlier version of this script also scored the samples; the thresholds still date from then).

For each question it records, for each of the top-k hits, the weighted coverage and the strong terms
matched (evidence.relevance) and, for positives, whether the right passage/file is among them; then
prints, for the current rule and for variations of its thresholds, the share of positives kept
(answered) and of negatives rejected ("not found" without the model).

    .venv/bin/python tests/bench/calibrate_not_found.py [--per-set 400] [--k 5]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from indexing.library import Library  # noqa: E402
from qwenrag import evidence as pl  # noqa: E402

QA = ROOT.parent / "shared" / "corpora" / "qa"
SETS = ("cmrc2018_trial", "drcd_test", "xquad_en_a")
# (high coverage, low coverage, strong matches needed with low coverage)
RULES = ((0.3, 1.0, 99), (0.4, 1.0, 99), (0.5, 1.0, 99), (0.45, 0.2, 2), (0.45, 0.22, 2), (0.45, 0.25, 2),
         (0.45, 0.3, 2), (0.5, 0.3, 2), (0.45, 0.3, 3), (0.55, 0.3, 2))
Scores = list[tuple[float, int]]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _article(set_name: str, passage: dict) -> str:
    pid = passage["id"].split(":", 1)[1]
    if set_name.startswith("xquad"):
        return pid.split("-")[0]
    if set_name.startswith("drcd"):
        return pid.split("-")[0]
    return passage.get("title") or pid


def _best(lib: Library, question: str, k: int) -> tuple[Scores, list]:
    hits = lib.search(question, k=k)
    terms = pl.query_terms(question)
    unknown = lib.unknown_words(question)
    scores = []
    for h in hits:
        r = pl.relevance(terms, pl.passage_terms(h), unknown)
        scores.append((r.coverage, r.strong))
    return scores, hits


def _passes(scores: Scores, rule: tuple[float, float, int]) -> bool:
    high, low, strong = rule
    return any(c >= high or (c >= low and s >= strong) for c, s in scores)


def _report(name: str, pos: list[Scores], neg: list[Scores]) -> None:
    print(f"\n{name}: {len(pos)} positives, {len(neg)} negatives")
    print(f"{'high':>5} {'low':>5} {'strong':>6} {'answered (pos)':>15} {'not found (neg)':>16}")
    current = (pl.HIGH_COVERAGE, pl.LOW_COVERAGE, pl.MIN_STRONG_MATCHES)
    for rule in (current, *[r for r in RULES if r != current]):
        kept = sum(_passes(x, rule) for x in pos) / max(1, len(pos))
        rejected = sum(not _passes(x, rule) for x in neg) / max(1, len(neg))
        mark = "  <- current" if rule == current else ""
        low = "-" if rule[1] >= 1 else f"{rule[1]:.2f}"
        print(f"{rule[0]:>5.2f} {low:>5} {rule[2] if rule[1] < 1 else '-':>6} {kept:>15.1%} {rejected:>16.1%}{mark}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-set", type=int, default=400, help="questions per QA set and class")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--dump", type=Path, help="write per-question features as JSON")
    args = ap.parse_args()
    rng = random.Random(7)
    if not QA.is_dir():
        print(f"QA sets not found at {QA}", file=sys.stderr)
        return 1
    dump: dict[str, list] = {"qa": []}

    # samples/questions.json is the test set: never part of choosing a threshold.
    # QA sets, half the articles indexed
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "docs"
        docs.mkdir()
        indexed: set[str] = set()
        questions: list[tuple[str, dict, bool]] = []
        for name in SETS:
            passages = _jsonl(QA / f"{name}.passages.jsonl")
            inside: set[str] = set()
            for p in passages:
                art = _article(name, p)
                if zlib.crc32(f"{name}/{art}".encode()) % 2 == 0:
                    inside.add(p["id"])
                    safe = p["id"].replace(":", "_").replace("/", "_")
                    (docs / f"{safe}.txt").write_text(f"{p.get('title', '')}\n\n{p['text']}\n", encoding="utf-8")
            indexed |= inside
            items = _jsonl(QA / f"{name}.questions.jsonl")
            rng.shuffle(items)
            yes = [q for q in items if q["passage_id"] in inside][: args.per_set]
            no = [q for q in items if q["passage_id"] not in inside][: args.per_set]
            questions += [(name, q, True) for q in yes] + [(name, q, False) for q in no]
        lib = Library.open(Path(tmp) / "lib")
        t = time.perf_counter()
        for _ in lib.add([docs], workers=0):
            pass
        print(f"\nqa: indexed {len(indexed)} passages in {time.perf_counter() - t:.1f} s")
        by_set: dict[str, tuple[list[Scores], list[Scores]]] = {n: ([], []) for n in SETS}
        gold = dict.fromkeys(SETS, 0)
        for name, q, answerable in questions:
            cov, hits = _best(lib, q["question"], args.k)
            target = q["passage_id"].replace(":", "_").replace("/", "_") + ".txt"
            if answerable:
                by_set[name][0].append(cov)
                gold[name] += any(Path(h.file).name == target for h in hits)
            else:
                by_set[name][1].append(cov)
            dump["qa"].append({"set": name, "q": q["question"], "answerable": answerable, "coverage": cov})
        lib.close()
    all_pos: list[Scores] = []
    all_neg: list[Scores] = []
    for name, (pos, neg) in by_set.items():
        print(f"{name}: right passage in the top {args.k} for {gold[name]}/{len(pos)}")
        _report(f"qa {name}", pos, neg)
        all_pos += pos
        all_neg += neg
    _report("qa all", all_pos, all_neg)
    if args.dump:
        args.dump.write_text(json.dumps(dump, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

""""Not found" over a conversation, through the real path (Pipeline.conversation(), no model: --no-model).

Per QA set, a library holds the articles whose id hashes to 0 or 1 (mod 4); articles hashing to 2 or 3 are
NOT in it (same genre, overlapping vocabulary). Calibration split: hashes 0 (in) and 2 (out); evaluation
split: 1 (in) and 3 (out). Thresholds (qwenrag/evidence.py: FOLLOW_UP_OWN, HIGH_COVERAGE, LOW_COVERAGE,
MIN_STRONG_MATCHES) are chosen on the calibration split; the evaluation split is reported. Never tuned on
samples/questions.json.

Measured, each as a two-turn conversation after a first question about an indexed article:
- off-topic: a question from another QA set -> must be "not found" (bar >= 0.90); beside it, the same
  questions asked alone (what the single-question threshold does without any conversation);
- unanswerable: a question about an article of the same set that is not in the library -> "not found"
  (reported, with the answered share of single answerable questions beside it);
- follow-up: another question about the same article -> answered, gold file among the sources (>= 0.95);
- elliptic follow-up: the same, with the article's title in the question replaced by "it" / "它" (only
  questions naming the title) -> answered with the gold file.

    .venv/bin/python tests/bench/bench_conversation.py [--limit 200] [--grid]
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import zlib
from pathlib import Path

from bench_retrieval import build_files
from common import SHARED, load_jsonl, qa_sets, table

import qwenrag.evidence as ev
from indexing.library import Library
from qwenrag.pipeline import Pipeline


def quarter(passage_id: str) -> int:
    return zlib.crc32(passage_id.encode()) % 4


def _build(name: str, folder: Path) -> dict[str, str]:
    """Files for the indexed articles only; returns file -> passage id."""
    files = build_files(name, folder)
    for path, pid in list(files.items()):
        if quarter(pid) >= 2:
            Path(path).unlink()
            del files[path]
    return files


def cases(name: str, others: list[dict], limit: int, rng: random.Random) -> dict[str, list[tuple]]:
    qs = load_jsonl(SHARED / "qa" / f"{name}.questions.jsonl")
    titles = {p["id"]: p["title"] for p in load_jsonl(SHARED / "qa" / f"{name}.passages.jsonl")}
    by_article: dict[str, list[dict]] = {}
    for q in qs:
        by_article.setdefault(q["passage_id"], []).append(q)
    out: dict[str, list[tuple]] = {}
    for split, inside, outside in (("calibration", 0, 2), ("evaluation", 1, 3)):
        first = [q for q in qs if quarter(q["passage_id"]) == inside]
        absent = [q for q in qs if quarter(q["passage_id"]) == outside]
        rng.shuffle(first)
        rows = []
        for q1 in first[:limit]:
            same = [q for q in by_article[q1["passage_id"]] if q is not q1]
            rows.append(("single answerable", q1, None, True))
            off = rng.choice(others)
            rows.append(("off-topic", q1, off, False))
            rows.append(("off-topic alone", None, off, False))
            rows.append(("unanswerable", q1, rng.choice(absent), False))
            if same:
                q2 = rng.choice(same)
                rows.append(("follow-up", q1, q2, True))
                title = titles[q1["passage_id"]]
                named = [q for q in same if len(title) >= 2 and title in q["question"]]
                if named:
                    q3 = dict(named[0])
                    q3["question"] = q3["question"].replace(title, "它" if not title.isascii() else "it")
                    rows.append(("elliptic follow-up", q1, q3, True))
        out[split] = rows
    return out


def run(lib: Library, files: dict[str, str], rows: list[tuple]) -> dict[str, list[bool]]:
    pipe = Pipeline(lib)
    got: dict[str, list[bool]] = {}
    for kind, q1, q2, answerable in rows:
        conv = pipe.conversation()
        if q1 is None:  # the same question asked on its own, for comparison
            got.setdefault(kind, []).append(not conv.answer(q2["question"], use_model=False).found)
            continue
        first = conv.answer(q1["question"], use_model=False)
        if kind == "single answerable":
            ok = first.found and any(files.get(p.file) == q1["passage_id"] for p in first.sources)
        else:
            r = conv.answer(q2["question"], use_model=False)
            if answerable:
                ok = r.found and any(files.get(p.file) == q2["passage_id"] for p in r.sources)
            else:
                ok = not r.found
        got.setdefault(kind, []).append(ok)
    return got


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=",".join(qa_sets()))
    ap.add_argument("--limit", type=int, default=200, help="first questions per set and split")
    ap.add_argument("--grid", action="store_true", help="also try other thresholds on the calibration split")
    args = ap.parse_args()
    names = args.sets.split(",")
    rng = random.Random(5)
    questions = {n: load_jsonl(SHARED / "qa" / f"{n}.questions.jsonl") for n in names}
    settings = [(ev.FOLLOW_UP_OWN, ev.HIGH_COVERAGE, ev.LOW_COVERAGE)]
    if args.grid:
        settings += list(itertools.product((0.3, 0.7), (ev.HIGH_COVERAGE,), (ev.LOW_COVERAGE,)))
    results: dict[tuple, dict[str, dict[str, list[bool]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            folder = Path(tmp) / name / "docs"
            folder.mkdir(parents=True)
            files = _build(name, folder)
            others = [q for n in names if n != name for q in questions[n]]
            per_split = cases(name, others, args.limit, rng)
            with Library.open(Path(tmp) / name / "lib") as lib:
                list(lib.add([folder], workers=2))
                for own, high, low in dict.fromkeys(settings):
                    ev.FOLLOW_UP_OWN, ev.HIGH_COVERAGE, ev.LOW_COVERAGE = own, high, low
                    for split, rows in per_split.items():
                        if split == "evaluation" and (own, high, low) != settings[0]:
                            continue  # other settings are only tried on the calibration split
                        got = run(lib, files, rows)
                        slot = results.setdefault((own, high, low), {}).setdefault(split, {})
                        for kind, oks in got.items():
                            slot.setdefault(kind, []).extend(oks)
    kinds = ["single answerable", "follow-up", "elliptic follow-up", "off-topic", "off-topic alone",
             "unanswerable"]
    rows = []
    for (own, high, low), per in results.items():
        for split, got in per.items():
            rows.append([split, own, high, low] + [f"{sum(got[k]) / len(got[k]):.3f} ({len(got[k])})"
                                                   if got.get(k) else "-" for k in kinds])
    print(table(["split", "own", "high", "low", "answered", "follow-up answered", "elliptic answered",
                 "off-topic not found", "same asked alone", "unanswerable not found"], rows))


if __name__ == "__main__":
    main()

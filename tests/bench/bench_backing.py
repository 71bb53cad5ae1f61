"""The backing check (qwenrag/backing.py): how many correct answers it keeps and how many wrong ones it stops.

Answers labelled automatically on ../shared/corpora/qa (each set indexed by the real library, a file per
article; each question searched through qwenrag.evidence.gather, the top 5 passages numbered [1]..[5]):
- correct: the gold answer sentence of the gold passage, cited "[n]"; and the gold answer span alone
  ("4分钟 [2]"), as a terse model would write it;
- wrong: a sentence of the same gold passage that does not hold the answer (true, but about something else),
  cited "[n]"; the gold sentence with its answer replaced by a number or name from elsewhere in the passages
  (a wrong fact); and, with --demo N, the demo model's own answers to N questions that do not contain the
  gold answer (SmolLM2-135M through the real pipeline prompt).
Split as bench_quotes.py: articles whose id hashes even are the calibration split (MAX_MISSING and
SUPPORT_MARGIN were chosen there; see qwenrag/backing.py), odd the evaluation split. Bars: correct kept
>= 0.95, wrong stopped >= 0.90. The demo model's answers need the demo model (SmolLM2-135M) installed and take
a few seconds each on 2 cores.

With --margins, each SUPPORT_MARGIN given is tried on the calibration split, the one closest to both bars
(the largest min(kept / 0.95, stopped / 0.90)) is chosen there, and the table is printed with it.

    .venv/bin/python tests/bench/bench_backing.py [--limit 300] [--demo 40] [--margins 1,1.5,2,2.5]
"""

from __future__ import annotations

import argparse
import random
import re

from bench_quotes import split_of
from bench_retrieval import qa_library
from common import SHARED, load_jsonl, qa_sets, table

from indexing.analysis import fold_text
from qwenrag.backing import SUPPORT_MARGIN, check
from qwenrag.evidence import gather, sentences

_NUM = re.compile(r"\d+")


def _contains(text: str, answers: list[str]) -> bool:
    t = fold_text(text)
    return any(fold_text(a) in t for a in answers)


def labelled(name: str, limit: int, rng: random.Random) -> list[tuple[str, str, bool, str, list]]:
    """(split, kind, is_correct, answer, passages) for each labelled answer of set `name`."""
    out = []
    with qa_library(name, 2) as (lib, files):
        by_id = {v: k for k, v in files.items()}
        questions = load_jsonl(SHARED / "qa" / f"{name}.questions.jsonl")
        rng.shuffle(questions)
        for q in questions[:limit]:
            ev = gather(lib, q["question"], k=5)
            passages = list(ev.passages)
            gold = next((p for p in passages if p.file == by_id[q["passage_id"]]), None)
            if gold is None:
                continue
            spans = [gold.text[s:e] for s, e in sentences(gold.text, gold.kind)]
            right = [s for s in spans if _contains(s, q["answers"])]
            other = [s for s in spans if not _contains(s, q["answers"]) and len(s) > 8]
            split = split_of(q["passage_id"])
            case = (q["question"], passages)
            if right:
                out.append((split, "gold sentence", True, f"{right[0]} [{gold.n}]", *case))
                out.append((split, "gold answer span", True, f"{q['answers'][0]} [{gold.n}]", *case))
                # a wrong fact: the answer swapped for another number / a different span of the passages
                pool = [m for p in passages for m in _NUM.findall(p.text) if m not in q["answers"][0]]
                if _NUM.search(q["answers"][0]) and pool:
                    fake = _NUM.sub(lambda m: str(int(m.group()) + 7), q["answers"][0], count=1)
                    out.append((split, "wrong number", False, f"{right[0].replace(q['answers'][0], fake)} "
                                                               f"[{gold.n}]", *case))
            if other:
                out.append((split, "unrelated sentence", False, f"{rng.choice(other)} [{gold.n}]", *case))
    return out


def demo_answers(name: str, n: int) -> list[tuple[str, str, bool, str, str, list]]:
    """The demo model's answers that do not contain the gold answer (wrong ones) through the real pipeline."""
    if n <= 0:
        return []

    from qwenrag.engine import Engine
    from qwenrag.models import find_model
    from qwenrag.pipeline import Pipeline
    from qwenrag.settings import Settings

    out = []
    with qa_library(name, 2) as (lib, _files):
        info = find_model(None, Settings())
        engine = Engine(info, n_ctx=2048)
        try:
            pipe = Pipeline(lib, engine, settings=Settings(max_answer_tokens=48, temperature=0.0))
            questions = load_jsonl(SHARED / "qa" / f"{name}.questions.jsonl")
            random.Random(3).shuffle(questions)
            for q in questions[:n]:
                r = pipe.answer(q["question"])
                if r.model_text and not _contains(r.model_text, q["answers"]):
                    out.append((split_of(q["passage_id"]), "demo model answer", False, r.model_text,
                                q["question"], list(r.sources)))
        finally:
            engine.close()
    return out


def shares(cases: list, split: str, margin: float, kinds: bool = False) -> list[list[object]]:
    """Kept / stopped shares of `split` at `margin`: per kind of answer (`kinds`) and for all."""
    rows = []
    got = [(k, good, check(a, q, p, margin=margin).grounded) for s, k, good, a, q, p in cases if s == split]
    for kind in dict.fromkeys(k for k, _g, _r in got) if kinds else ():
        mine = [(good, r) for k, good, r in got if k == kind]
        good = mine[0][0]
        share = sum(r == good for _g, r in mine) / len(mine)
        rows.append([split, margin, kind, "correct" if good else "wrong", len(mine),
                     ("kept " if good else "stopped ") + f"{share:.3f}"])
    ok = [r for _k, good, r in got if good]
    bad = [not r for _k, good, r in got if not good]
    if ok and bad:
        kept, stopped = sum(ok) / len(ok), sum(bad) / len(bad)
        rows.append([split, margin, "ALL", "", len(ok) + len(bad), f"kept {kept:.3f} / stopped {stopped:.3f}",
                     min(kept / 0.95, stopped / 0.90)])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=",".join(qa_sets()))
    ap.add_argument("--limit", type=int, default=300, help="questions per set")
    ap.add_argument("--demo", type=int, default=0, help="questions per set answered by the demo model")
    ap.add_argument("--margins", default="", help="SUPPORT_MARGIN values to try on the calibration split, "
                                                  "e.g. 1,1.5,2,2.5 (the best is then reported on evaluation)")
    args = ap.parse_args()
    rng = random.Random(11)
    cases = []
    for name in args.sets.split(","):
        cases += labelled(name, args.limit, rng)
        cases += demo_answers(name, args.demo)
    margin = SUPPORT_MARGIN
    if args.margins:
        tried = [shares(cases, "calibration", float(m))[-1] for m in args.margins.split(",")]
        print(table(["split", "margin", "answers", "", "n", "result", "min(kept/0.95, stopped/0.90)"], tried))
        margin = max(tried, key=lambda r: r[-1])[1]
        print(f"\nchosen on the calibration split: margin {margin} (SUPPORT_MARGIN now {SUPPORT_MARGIN})\n")
    rows = [r[:6] for split in ("calibration", "evaluation") for r in shares(cases, split, margin, kinds=True)]
    print(table(["split", "margin", "answers", "label", "n", "result"], rows))


if __name__ == "__main__":
    main()

"""A follow-up's prompt on a diet: what the model reads of a second question, on ../shared/corpora/qa.

Each set is indexed by the real library (a text file per article, as bench_prompt_diet.py does). A
conversation asks two questions about the same article through the real Conversation (evidence, passage
numbering across turns, excerpts, prompt builder, history); the first answer is the gold answer with "[1]"
(what a good model writes), so the second prompt holds the first turn as the model saw it. Tokens are
counted by the real Qwen2.5 tokenizer (tests/qwen_counter.py); no model runs (a stub stands in for it, only
to return that first answer).

- follow-up recall: the share of second questions whose gold answer is inside the prompt the model reads
  for them (the earlier turn's passages included: they stay in the prompt); a second question the
  evidence finds nothing for counts as a miss.
- new tokens: what the follow-up adds to the prompt (its user message: new excerpts, the list of earlier
  passages, the question), i.e. what is read before its first word, the earlier turn being in the KV cache.
- configurations: qwenrag.pipeline.FOLLOW_UP_SHARE, the share of the excerpt budget a turn gets for its new
  passages when earlier passages are already in the prompt (1.0: the whole budget, as a first question).
- split: as bench_quotes (articles whose id hashes even: calibration, where the share was chosen; odd:
  evaluation, reported). Chosen: the smallest share whose recall is >= 0.97 of the whole budget's on every
  set of the calibration split. With EXCERPT_BUDGET 440: 0.5 (0.989 / 0.979 / 1.000 for CMRC / DRCD / XQuAD;
  0.4: 0.968 / 0.979 / 0.984; 150 conversations per set and split). With EXCERPT_BUDGET 360 (issue 12,
  --pairs 80): 0.6 (0.985 / 0.973 / 0.984; 0.5: 0.969 / 0.959 / 0.984; evaluation at 0.6: 1.000 / 0.986 /
  1.000), i.e. about the same follow-up budget as before (216 against 220). With EXCERPT_BUDGET 480 and
  EXCERPT_FLOOR 0.6 (issue 12, --pairs 80 --shares 1,0.5,0.45,0.4): 0.45 (x0.986 / 0.986 / 0.984 at a median
  223 / 237 / 174 new tokens; 0.4: CMRC x0.971; 0.6: x0.986 / 1.000 / 1.000 at 280 / 304 / 217); evaluation
  at 0.45: x1.000 / 1.000 / 1.000 at 220 / 231 / 161 (CMRC at 360 / 0.6 without the floor, same run
  conditions: recall 0.800 / 0.850 absolute at 230 / 226 tokens; with the floor at 0.45: 0.863 / 0.825).

    .venv/bin/python tests/bench/bench_followup_diet.py [--sets cmrc2018_trial,...] [--pairs 150] [--shares 1,0.5]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench_quotes import split_of
from bench_retrieval import qa_library
from common import SHARED, load_jsonl, median, qa_sets, table

import qwenrag.pipeline as pipeline_module
from indexing.analysis import fold_text
from qwenrag.engine import Timings
from qwenrag.models import ModelInfo
from qwenrag.pipeline import Pipeline
from qwenrag.settings import Settings
from tests.qwen_counter import QwenCounter


class _Said:
    """A finished generation that says one fixed text (what the pipeline reads of a Generation)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.timings = Timings(stop_reason="stop")

    def __iter__(self) -> Iterator[str]:
        yield self.text

    def cancel(self) -> None:
        pass

    def close(self) -> None:
        pass


class ScriptedModel(QwenCounter):
    """The prompt builder's counter (the real Qwen2.5 tokenizer) and a model that answers `next_answer`."""

    def __init__(self) -> None:
        super().__init__()
        self.model = ModelInfo(path=Path("scripted.gguf"), name="scripted", demo=False, size_bytes=0)
        self.load_s = 0.0
        self.next_answer = ""

    def generate(self, messages: Any, **_kwargs: Any) -> _Said:
        return _Said(self.next_answer)


def pairs(name: str, per_split: int, rng: random.Random) -> list[tuple[str, dict, dict]]:
    """(split, first, second): two questions about the same article, per_split of each split."""
    by_article: dict[str, list[dict]] = {}
    for q in load_jsonl(SHARED / "qa" / f"{name}.questions.jsonl"):
        by_article.setdefault(q["passage_id"], []).append(q)
    out: list[tuple[str, dict, dict]] = []
    for split in ("calibration", "evaluation"):
        articles = [a for a, qs in by_article.items() if split_of(a) == split and len(qs) >= 2]
        rng.shuffle(articles)
        for a in articles[:per_split]:
            first, second = rng.sample(by_article[a], 2)
            out.append((split, first, second))
    return out


def evaluate(name: str, shares: list[float], per_split: int, workers: int) -> list[list[object]]:
    model = ScriptedModel()
    stats: dict[tuple[str, float], dict[str, list[float]]] = {}
    with qa_library(name, workers) as (lib, _files):
        pipe = Pipeline(lib, model, settings=Settings(), pause_indexing=False)  # type: ignore[arg-type]
        for split, q1, q2 in pairs(name, per_split, random.Random(11)):
            answers = [fold_text(a) for a in q2["answers"]]
            for share in shares:
                pipeline_module.FOLLOW_UP_SHARE = share
                conv = pipe.conversation()
                model.next_answer = f"{q1['answers'][0]} [1]"
                conv.answer(q1["question"])
                second = conv.answer(q2["question"])
                s = stats.setdefault((split, share), {"recall": [], "new": []})
                if not second.found or second.prompt is None or second.prompt.prompt_tokens == 0:
                    s["recall"].append(0.0)
                    continue
                users = [m["content"] for m in second.prompt.messages if m["role"] == "user"]
                seen = fold_text("\n".join(users))
                s["recall"].append(float(any(a in seen for a in answers)))
                s["new"].append(model.count_tokens(users[-1]))
    rows: list[list[object]] = []
    for split in ("calibration", "evaluation"):
        whole = stats.get((split, shares[0]))
        if not whole:
            continue
        base = sum(whole["recall"]) / len(whole["recall"])
        for share in shares:
            s = stats[(split, share)]
            recall = sum(s["recall"]) / len(s["recall"])
            rows.append([name, split, share, len(s["recall"]), f"{recall:.3f}",
                         f"{recall / base:.3f}" if base else "-", median(s["new"]), max(s["new"] or [0])])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default=",".join(qa_sets()))
    ap.add_argument("--pairs", type=int, default=150, help="conversations per set and split")
    ap.add_argument("--shares", default="1,0.75,0.5,0.35", help="FOLLOW_UP_SHARE values, the first the baseline")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    shares = [float(x) for x in args.shares.split(",")]
    rows: list[list[object]] = []
    for name in args.sets.split(","):
        rows += evaluate(name, shares, args.pairs, args.workers)
        print(table(["set", "split", "share", "pairs", "follow-up recall", "x whole budget", "median new tokens",
                     "max"], rows), flush=True)


if __name__ == "__main__":
    main()

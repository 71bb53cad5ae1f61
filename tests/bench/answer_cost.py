"""What a model costs a user: `bench_answer.py --cost [--model PATH ...]` (this module does the work).

Each model runs in its own fresh process (clean RSS, a cold load), the demo model first, then every
--model (the Qwen2.5-0.5B-Instruct-shaped twins from make_qwen_twin.py: random weights, the real shape and
tokenizer, so the real model's cost). Per model, app and bare llama-cpp-python loop side by side on the
same prompt in the same run, medians over --reps:

- load, cold (the file evicted from the page cache first) and warm; RSS after load and one answer
- first token for "你好" (the model's template and default system prompt)
- typical document questions (samples/questions.json, answerable ones, through the real Library and
  Pipeline with the app's default settings): median prompt tokens, first written word from the question
  (retrieval and prompt fitting included) with a cleared KV cache, the same prompt through the bare loop
  (bar: app / bare <= 1.1), and with the system prompt warmed up as the window does (Engine.warm_up)
- a follow-up's first token (bar: <= 1.5 s on the twin)
  (with the tokens each reads: the warmed question's reused prefix must be the whole system prompt, and the
  follow-up reads only its own turn, the first turn being reused from the KV cache)
- generation tokens/s, app vs bare, idle and with one competing busy process (bars: app / bare >= 0.95;
  busy >= 0.4 x idle)
- 1 and 2 threads (bare loop): prompt reading and generation speed, to say how it scales to 4 and 8 cores
and, in another fresh process, the whole window (offscreen) with the model loaded and warmed and a
100k-chunk library open, after one question (bar: RSS <= 900 MB).
The seed's published figures (Xeon E5-2650 v4) are printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SEED = {"load_s": 11.2, "ttft_ms": 320, "tok_s": 18, "rss_mb": 1300}  # the seed's figures, Xeon E5-2650 v4
HELLO = [{"role": "user", "content": "你好"}]
STORY = [{"role": "user", "content": "Write a long, detailed story about a lighthouse keeper."}]
FIRST = "How often do I have to change my password?"
FOLLOW = "and for administrator accounts?"


def _med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def evict(path: Path) -> None:
    """Drop the file's pages from the page cache, so the next load reads the disk (a cold start)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def typical_questions() -> list[str]:
    rows = json.loads((ROOT / "samples" / "questions.json").read_text(encoding="utf-8"))
    return [r["question"] for r in rows if r.get("answerable")]


def _first_word(conv: Any, question: str, max_tokens: int) -> dict[str, Any]:
    """Ask through the pipeline; time from the question to the first answer token."""
    from bench_answer import timed_answer

    first_s, result = timed_answer(conv, question, max_tokens)
    t = result.timings
    return {"first_s": first_s, "prompt_tokens": t.prompt_tokens, "cached_tokens": t.cached_tokens,
            "found": result.found, "language": result.language, "prompt": result.prompt}


def child(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One model, in this (fresh) process."""
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    from bench_answer import SAMPLING, Bare, OnOwner, busy_process, index_samples, settled_rss_mb

    from qwenrag.engine import Engine
    from qwenrag.models import find_model
    from qwenrag.pipeline import Pipeline
    from qwenrag.prompt import SYSTEM_DOCS
    from qwenrag.settings import Settings

    info = find_model(path)
    out: dict[str, Any] = {"name": info.path.name, "size_mb": info.size_bytes / 1e6}
    tmp = tempfile.TemporaryDirectory()
    lib = index_samples(Path(tmp.name) / "lib")
    rss0 = settled_rss_mb()
    evict(info.path)
    engine = Engine(info, n_ctx=args.ctx)  # as the app loads it: automatic threads
    out["load_cold_s"] = engine.load_s
    pipe = Pipeline(lib, engine, settings=Settings(context_size=args.ctx, temperature=0.0))
    _first_word(pipe.conversation(), FIRST, 8)  # one answer touches the weights, KV cache and buffers
    out["rss_app_mb"] = settled_rss_mb()
    out["rss_model_mb"] = out["rss_app_mb"] - rss0
    engine.close()
    engine = Engine(info, n_ctx=args.ctx)
    out["load_warm_s"] = engine.load_s
    pipe = Pipeline(lib, engine, settings=Settings(context_size=args.ctx, temperature=0.0))
    threads = args.threads or engine.max_threads
    bare = OnOwner(engine, engine._call(lambda _llama: Bare(info.path, args.ctx, threads)))
    out["threads"] = threads

    def engine_ttft(messages: Any) -> float:
        engine.reset_cache()
        gen = engine.generate(messages, max_tokens=1, **SAMPLING)
        for _piece in gen:
            pass
        assert gen.timings is not None
        return gen.timings.ttft_s

    hello_prompt = engine.format_chat(HELLO)
    app_h, bare_h = [], []
    for _ in range(args.reps):
        app_h.append(engine_ttft(HELLO))
        bare_h.append(bare.run(hello_prompt, 1)["ttft_s"])
    out["hello_ms"] = (_med(app_h) * 1000, _med(bare_h) * 1000)

    # typical questions: cold cache, same prompt bare, and warmed up as the window does
    cold, warm, bare_q, tokens, ratios, warm_read, warm_cached = [], [], [], [], [], [], []
    questions = typical_questions()[: args.questions_cost]
    for q in questions:
        engine.reset_cache()
        c = _first_word(pipe.conversation(), q, 1)
        prompt = engine.format_chat(c["prompt"].messages)
        b = bare.run(prompt, 1)["ttft_s"]
        engine.reset_cache()
        engine.warm_up([{"role": "system", "content": SYSTEM_DOCS[c["language"]]}])
        w = _first_word(pipe.conversation(), q, 1)
        cold.append(c["first_s"])
        bare_q.append(b)
        warm.append(w["first_s"])
        warm_read.append(w["prompt_tokens"])
        warm_cached.append(w["cached_tokens"])
        tokens.append(c["prompt_tokens"])
        ratios.append(c["first_s"] / b)
    out["questions"] = len(questions)
    out["prompt_tokens"] = _med(tokens)
    out["first_word_cold_s"] = _med(cold)
    out["first_word_bare_s"] = _med(bare_q)
    out["first_word_ratio"] = _med(ratios)
    out["first_word_warm_s"] = _med(warm)
    out["warm_tokens"] = (_med(warm_read), _med(warm_cached))  # read / reused from the warmed cache
    out["prompt_tok_s"] = _med([t / b for t, b in zip(tokens, bare_q, strict=True)])

    follows, follow_read = [], []
    for _ in range(max(2, args.reps // 2)):
        engine.reset_cache()
        conv = pipe.conversation()
        _first_word(conv, FIRST, 32)
        f = _first_word(conv, FOLLOW, 1)
        follows.append(f["first_s"])
        follow_read.append(f["prompt_tokens"])
    out["follow_up_s"] = _med(follows)
    out["follow_up_tokens"] = _med(follow_read)  # read; the first turn comes from the KV cache

    story_prompt = engine.format_chat(STORY)

    def app_decode() -> float:
        engine.reset_cache()
        _text, t = engine.complete(STORY, max_tokens=args.max_tokens, **SAMPLING)
        return t.decode_tok_s

    def bare_decode() -> float:
        return bare.run(story_prompt, args.max_tokens)["decode_tok_s"]

    idle_a, idle_b, busy_a, busy_b = [], [], [], []
    for _ in range(args.reps):
        time.sleep(1.2)  # let the load monitor forget the last competitor
        idle_a.append(app_decode())
        idle_b.append(bare_decode())
        with busy_process():
            busy_a.append(app_decode())
            busy_b.append(bare_decode())
    out["decode_idle"] = (_med(idle_a), _med(idle_b))
    out["decode_busy"] = (_med(busy_a), _med(busy_b))

    # threads: prompt reading (a typical RAG prompt) and generation, bare loop
    rag_prompt = engine.format_chat(pipe.answer(FIRST, max_tokens=1).prompt.messages)
    scaling = {}
    for n in sorted({1, threads}):
        bare.set_threads(n)
        reads = [bare.run(rag_prompt, 1) for _ in range(max(2, args.reps // 2))]
        gens = [bare.run(story_prompt, args.max_tokens) for _ in range(max(2, args.reps // 2))]
        rag_tokens = reads[0]["prompt_tokens"]
        scaling[n] = {"prompt_tok_s": rag_tokens / _med([r["ttft_s"] for r in reads]),
                      "decode_tok_s": _med([g["decode_tok_s"] for g in gens])}
        if n == 1:  # CPU time of the one computing thread: what an idle core gives, even on a busy machine
            scaling[n]["prompt_tok_s_cpu"] = rag_tokens / _med([r["ttft_cpu_s"] for r in reads])
            scaling[n]["decode_tok_s_cpu"] = _med([g["decode_cpu_tok_s"] for g in gens])
    bare.set_threads(threads)
    out["scaling"] = scaling
    out["rag_tokens"] = rag_tokens
    out["load_average"] = os.getloadavg()[0]
    engine.close()
    lib.close()
    return out


def quick_child(path: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The idle-core cost on a shared machine, from CPU time: the app's engine with ONE thread computes on
    its owner thread, so that thread's CPU time over an answer is what the answer takes on an idle core,
    however busy the machine is. Typical questions through the real pipeline; generation through the
    bare loop (one thread too)."""
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    from bench_answer import Bare, index_samples, settled_rss_mb

    from qwenrag.engine import Engine
    from qwenrag.models import find_model
    from qwenrag.pipeline import Pipeline
    from qwenrag.settings import Settings

    info = find_model(path)
    lib = index_samples(args.library or Path(tempfile.mkdtemp()) / "lib")
    rss0 = settled_rss_mb()
    engine = Engine(info, n_ctx=args.ctx, n_threads=1)
    pipe = Pipeline(lib, engine, settings=Settings(context_size=args.ctx, temperature=0.0))

    def cpu() -> float:
        return float(engine._call(lambda _llama: time.thread_time()))

    questions = typical_questions()
    step = max(1, len(questions) // args.questions_cost)
    firsts, tokens = [], []
    for q in questions[::step][: args.questions_cost]:
        engine.reset_cache()
        c0 = cpu()
        r = _first_word(pipe.conversation(), q, 1)
        firsts.append(cpu() - c0)
        tokens.append(r["prompt_tokens"])
    rss = settled_rss_mb()
    bare = engine._call(lambda _llama: Bare(info.path, args.ctx, 1))
    story = engine.format_chat(STORY)
    gens = [engine._call(lambda _llama: bare.run(story, args.max_tokens)) for _ in range(2)]
    engine.close()
    lib.close()
    return {"name": info.path.name, "size_mb": info.size_bytes / 1e6, "rss_app_mb": rss, "rss_model_mb": rss - rss0,
            "questions": len(firsts), "prompt_tokens": _med(tokens), "first_word_cpu_s": _med(firsts),
            "prompt_tok_s_cpu": _med([t / f for t, f in zip(tokens, firsts, strict=True)]),
            "decode_tok_s_cpu": _med([g["decode_cpu_tok_s"] for g in gens]), "load_average": os.getloadavg()[0]}


def app_rss_child(model: Path, library: Path, question: str) -> dict[str, Any]:
    """The real window (offscreen) with `model` loaded and warmed up and `library` open, after a question."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    data = tempfile.TemporaryDirectory()
    os.environ["QWENRAG_DATA_DIR"] = os.environ["QWENRAG_CONFIG_DIR"] = data.name
    import psutil
    from PySide6.QtWidgets import QApplication

    from ui.errors import ErrorPresenter
    from ui.main_window import MainWindow
    from ui.services import MODEL_LANE, Services, UiSettings, save_settings
    from ui.tasks import TaskRunner

    ErrorPresenter.modal = False
    save_settings(UiSettings(model_path=str(model)))
    app = QApplication.instance() or QApplication([])
    services = Services(library_dir=library)
    runner = TaskRunner()
    window = MainWindow(services, runner)
    window.show()
    window.start_background_work(load_model=True)

    def wait(cond: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not cond():
            app.processEvents()
            time.sleep(0.02)
            if time.monotonic() > deadline:
                raise TimeoutError("the window did not get there in time")

    wait(lambda: services.model.state.value in ("ready", "failed"), 600)
    assert services.model.ready, services.model.error
    wait(lambda: runner.is_idle() and not window.controller.busy, 600)
    chunks = services.library.store.count_chunks()
    ended: list[bool] = []
    runner.run_generator(services.ask(question), on_done=lambda: ended.append(True), lane=MODEL_LANE)
    wait(lambda: bool(ended), 600)
    proc = psutil.Process()
    rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
    out = {"rss_mb": rss / 2**20, "chunks": chunks, "warmed_tokens": services.warmed_tokens}
    window.close()
    return out


def _run_child(argv: list[str], timeout: float = 5400) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "bench" / "bench_answer.py"), *argv],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def library_100k(folder: Path) -> Path:
    """A 100k-chunk library, built once through the real library path (bench_search.build), kept."""
    lib = folder / "lib"
    if not (lib / "library.sqlite3").exists():
        sys.path.insert(0, str(ROOT / "tests" / "bench"))
        from bench_search import build

        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        built = build(100_000, folder)
        print(f"built a {built['chunks']:,}-chunk library in {built['index_s']:.0f} s", flush=True)
    return lib


def main(args: argparse.Namespace) -> int:
    """The --model files first, then the whole-app RSS with each, then the demo model (the slowest part on
    a busy machine is last); every result is printed as a JSON line as soon as it is there."""
    from qwenrag.models import demo_model_path

    def cost(m: Path) -> None:
        print(f"-- {m}", flush=True)
        argv = ["--cost-child", str(m), "--ctx", str(args.ctx), "--reps", str(args.reps), "--max-tokens",
                str(args.max_tokens), "--questions-cost", str(args.questions_cost)]
        if args.threads:
            argv += ["--threads", str(args.threads)]
        r = _run_child(argv)
        if r:
            print(json.dumps(r), flush=True)
            results.append(r)

    results: list[dict[str, Any]] = []
    for m in args.model:
        cost(m)
    app_rss = {}
    if args.model and args.app_library is not None:
        lib = library_100k(args.app_library.expanduser())
        for m in args.model:
            r = _run_child(["--app-rss-child", str(m), "--library", str(lib)])
            if r:
                print(json.dumps({"app_rss": Path(m).name, **r}), flush=True)
                app_rss[Path(m).name] = r
    demo = demo_model_path()
    if demo is not None:
        cost(demo)
    print_table(results, app_rss)
    return 0


def print_table(results: list[dict[str, Any]], app_rss: dict[str, dict[str, Any]]) -> None:
    def cells(fn: Any) -> list[str]:
        out = []
        for r in results:
            try:
                out.append(fn(r))
            except (KeyError, TypeError, ZeroDivisionError):
                out.append("-")
        return out

    rows: list[list[str]] = [
        ["file", *cells(lambda r: f"{r['size_mb']:.0f} MB"), "", ""],
        ["load cold / warm", *cells(lambda r: f"{r['load_cold_s']:.2f} / {r['load_warm_s']:.2f} s"),
         f"{SEED['load_s']} s", ""],
        ["RSS after load + one answer (model's part)",
         *cells(lambda r: f"{r['rss_app_mb']:.0f} MB (+{r['rss_model_mb']:.0f})"), f"{SEED['rss_mb']} MB", ""],
        ["first token '你好', app / bare", *cells(lambda r: f"{r['hello_ms'][0]:.0f} / {r['hello_ms'][1]:.0f} ms"),
         f"{SEED['ttft_ms']} ms", ""],
        ["typical question: median prompt tokens", *cells(lambda r: f"{r['prompt_tokens']:.0f} "
                                                         f"({r['questions']} q.)"), "", "<= 600 (prompt diet)"],
        ["first word, cold cache: app / bare (same prompt)",
         *cells(lambda r: f"{r['first_word_cold_s']:.2f} / {r['first_word_bare_s']:.2f} s = "
                          f"{r['first_word_ratio']:.2f}x"), "", "<= 1.1x"],
        ["first word, system prompt warmed (window open)", *cells(lambda r: f"{r['first_word_warm_s']:.2f} s"),
         "", "<= 3.5 s"],
        ["  its tokens: read / reused from the warmed cache",
         *cells(lambda r: f"{r['warm_tokens'][0]:.0f} / {r['warm_tokens'][1]:.0f}"), "", ""],
        ["prompt reading", *cells(lambda r: f"{r['prompt_tok_s']:.0f} tok/s"), "", ""],
        ["follow-up first word", *cells(lambda r: f"{r['follow_up_s']:.2f} s"), "", "<= 1.5 s"],
        ["  its tokens read (the first turn cached)", *cells(lambda r: f"{r['follow_up_tokens']:.0f}"), "", ""],
        ["generation idle, app / bare", *cells(lambda r: f"{r['decode_idle'][0]:.1f} / {r['decode_idle'][1]:.1f}"
                                                         f" = {r['decode_idle'][0] / r['decode_idle'][1]:.2f}"),
         f"{SEED['tok_s']} tok/s", ">= 0.95"],
        ["generation, one busy process, app / bare",
         *cells(lambda r: f"{r['decode_busy'][0]:.1f} / {r['decode_busy'][1]:.1f} = "
                          f"{r['decode_busy'][0] / r['decode_busy'][1]:.2f}"), "", ">= 0.95"],
        ["generation busy / idle (app)", *cells(lambda r: f"{r['decode_busy'][0] / r['decode_idle'][0]:.2f}"),
         "", ">= 0.4"],
    ]
    for n in (1, 2):
        rows.append([f"bare, {n} thread(s): prompt reading / generation",
                     *cells(lambda r, n=n: f"{r['scaling'][str(n)]['prompt_tok_s']:.0f} / "
                                           f"{r['scaling'][str(n)]['decode_tok_s']:.1f} tok/s"), "", ""])
    rows.append(["1 idle core (CPU time of 1 thread): prompt reading / generation",
                 *cells(lambda r: f"{r['scaling']['1']['prompt_tok_s_cpu']:.0f} / "
                                  f"{r['scaling']['1']['decode_tok_s_cpu']:.1f} tok/s"), "", ""])
    rows.append(["typical question's prompt on 1 idle core",
                 *cells(lambda r: f"{r['prompt_tokens'] / r['scaling']['1']['prompt_tok_s_cpu']:.1f} s"), "", ""])
    rows.append(["load average at the end of the run", *cells(lambda r: f"{r['load_average']:.1f}"), "", ""])
    def project(r: dict[str, Any], cores: int) -> str:
        """Reading the prompt is compute-bound and llama.cpp's matrix products split across cores, so the
        best case for `cores` idle cores is the idle-core rate times `cores` (a lower bound on the wait)."""
        return f"~{r['prompt_tokens'] / (r['scaling']['1']['prompt_tok_s_cpu'] * cores):.1f} s"

    for cores in (2, 4, 8):
        rows.append([f"typical question's prompt read on {cores} idle cores (at best)",
                     *cells(lambda r, c=cores: project(r, c)), "", ""])
    rows.append(["whole app, 100k-chunk library, model loaded, after a question",
                 *cells(lambda r: f"{app_rss[r['name']]['rss_mb']:.0f} MB "
                                  f"({app_rss[r['name']]['chunks']:,} chunks)"), "", "<= 900 MB"])
    headers = ["measure", *[r["name"] for r in results], "seed (E5-2650 v4)", "bar"]
    widths = [max(len(str(x[i])) for x in [headers, *rows]) for i in range(len(headers))]
    print()
    for line in [headers, *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)))


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--cost", action="store_true", help="the cost table: demo model and every --model, each in "
                    "a fresh process (see tests/bench/answer_cost.py)")
    ap.add_argument("--questions-cost", type=int, default=8, help="typical questions per model (--cost)")
    ap.add_argument("--app-library", type=Path, default=Path("~/.cache/qwenrag-twin/lib100k"),
                    help="where the 100k-chunk library for the whole-app RSS row is kept (--cost)")
    ap.add_argument("--cost-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--app-rss-child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--cost-quick", type=Path, help="one model's idle-core cost from CPU time (a busy machine)")


def dispatch(args: argparse.Namespace) -> int | None:
    """bench_answer.py's entry for the cost modes; None when none was asked for."""
    if args.cost_child:
        print(json.dumps(child(args.cost_child, args)))
        return 0
    if args.cost_quick:
        print(json.dumps(quick_child(args.cost_quick, args)))
        return 0
    if args.app_rss_child:
        print(json.dumps(app_rss_child(args.app_rss_child, args.library, FIRST)))
        return 0
    if args.cost:
        return main(args)
    return None


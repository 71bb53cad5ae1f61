"""Prompt reading per weight type, side by side: which GGUF layout llama.cpp reads a prompt fastest here.

    .venv/bin/python tests/bench/bench_weight_types.py [--threads 1] [--reps 3] MODEL.gguf [MODEL.gguf ...]
    .venv/bin/python tests/bench/bench_weight_types.py --requantize SRC.gguf DST.gguf Q8_0   # (allow requantize)

One process, every model loaded at once and read in turn (round robin) so a competing process slows all
alike; 350 tokens of English text evaluated from an empty KV cache; medians. With --threads 1 the time is
the computing thread's CPU time (llama.cpp computes on the calling thread), i.e. an idle core's speed even
on a busy machine. Ratios are time / the first model's time.

Measured (2026-12-01, the Qwen2.5-0.5B twins of make_qwen_twin.py, 1 thread, CPU time, load average ~8):
Q4_K_M 58 tok/s (x1.00), Q8_0 71 (x0.82), Q8_0 requantized from the Q4_K_M 77 (x0.76), pure Q5_0 53 (x1.10),
pure Q4_0 81 (x0.72), F16 87 (x0.67). Qwen2.5-0.5B's hidden size (896) is not a multiple of 256, so its
"Q4_K_M" is mostly Q5_0 (every attention and FFN gate/up matrix), with Q4_K / Q6_K only in ffn_down; only
the 12 Q4_K ffn_down are repacked for AVX2 (llama.cpp's CPU_REPACK, with or without mmap), and Q5_0 is the
slowest type to read a prompt with. n_ubatch 64 / 128 / 256 / 512 read at the same speed (x1.01 / 0.98 /
0.98 / 1.00). Not adopted: converting the user's Q4_K_M to Q8_0 once (x0.76 of the reading time, nearly
lossless since Q8_0 is finer than Q5_0 / Q4_K / Q6_K) costs a second 531 MB file and ~130 MB more RAM.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def requantize(src: Path, dst: Path, ftype: str) -> None:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{ftype}")
    params.allow_requantize = True
    if llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params)) != 0:
        raise SystemExit(f"quantizing {src} failed")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", type=Path)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tokens", type=int, default=350)
    ap.add_argument("--requantize", nargs=3, metavar=("SRC", "DST", "FTYPE"))
    args = ap.parse_args()
    if args.requantize:
        src, dst, ftype = args.requantize
        requantize(Path(src), Path(dst), ftype)
        return
    sys.path.insert(0, str(ROOT))
    from qwenrag.engine import llama_module

    llama_module()  # the app's OpenMP environment
    from llama_cpp import Llama

    one = args.threads == 1
    clock = time.thread_time if one else time.perf_counter
    llms = {m: Llama(str(m), n_ctx=2048, n_batch=512, n_threads=args.threads, n_threads_batch=args.threads,
                     flash_attn=True, verbose=False) for m in args.models}
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tokens = llms[args.models[0]].tokenize(text.encode(), add_bos=False)[:args.tokens]
    times: dict[Path, list[float]] = {m: [] for m in args.models}
    for _ in range(args.reps):
        for m, llm in llms.items():
            llm.reset()
            started = clock()
            llm.eval(tokens)
            times[m].append(clock() - started)
    base = statistics.median(times[args.models[0]])
    print(f"{len(tokens)} tokens, {args.threads} thread(s) ({'CPU' if one else 'wall'} time), load average "
          f"{os.getloadavg()[0]:.1f}")
    for m in args.models:
        med = statistics.median(times[m])
        print(f"{m.name:50s} {len(tokens) / med:6.1f} tok/s  x{med / base:.2f}")


if __name__ == "__main__":
    main()

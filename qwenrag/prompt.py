"""The prompt: instructions, numbered passages, recent turns and the question — fitted by real token counts.

Layout (chat messages, rendered by the model's own template):

    system     fixed instructions in the question's language (byte-identical from turn to turn)
    user       turn 1: its passages [1]..[5] and question      <- kept verbatim while they fit, so the
    assistant  turn 1: the answer as generated                    KV cache of this prefix is reused
    ...
    user       this turn: new passages [6].., the question (and a pointer to earlier passages it reuses)

Passages keep one number for the whole conversation, so [2] means the same passage in every turn, and a
passage already in the kept history is referred to, not repeated.

Budget (tokens): n_ctx = answer reserve + system + history + passages + question + template overhead.
History gets up to HISTORY_SHARE of what is left after system and question (more when passages are short;
in plain-assistant mode most of it); passages share the rest, each shortened to a fair share and the
lowest-ranked dropped when even a short excerpt no longer fits. The result is then counted as the model
will see it (template and all) and shrunk until it fits — it never overflows.

When the history no longer fits, old turns are dropped down to HALF the history share at once, not one
by one: dropping a turn changes the prompt's prefix (the KV cache is re-evaluated), so making room for
several turns at a time keeps the following turns' prefixes stable. The caller passes only the turns
still in view (Conversation remembers where the kept history starts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from qwenrag.citations import Passage
from qwenrag.errors import PromptTooLong
from qwenrag.language import Language

Message = dict[str, str]

TEMPLATE_MARGIN = 16  # the template's own tokens per message are counted exactly at the end; this is slack
MIN_PASSAGE_TOKENS = 48  # a shorter excerpt rarely answers anything
HISTORY_SHARE = 0.6  # the previous turn (its passages, answer) usually fits whole, and is reused from cache
HISTORY_SHARE_PLAIN = 0.8
# The prompt on a diet (the pipeline passes each passage's question-focused excerpt, qwenrag.evidence.excerpts):
# at most this many passages, the best one last, nearest the question. Chosen with
# tests/bench/bench_prompt_diet.py: context recall against prompt tokens on ../shared/corpora/qa.
MAX_PASSAGES = 4
MAX_QUESTION_SHARE = 0.25  # of the budget, with documents (a question is short)
MAX_QUESTION_SHARE_PLAIN = 0.6  # plain assistant: "improve this paragraph: ..." carries the text


class TokenCounter(Protocol):
    """What the prompt builder needs from the model's tokenizer (qwenrag.engine.Engine provides it)."""

    n_ctx: int

    def count_tokens(self, text: str) -> int: ...

    def count_many(self, texts: Sequence[str]) -> list[int]: ...

    def truncate(self, text: str, max_tokens: int) -> str: ...

    def prompt_token_count(self, messages: Sequence[Message]) -> int: ...


SYSTEM_DOCS: dict[Language, str] = {
    "en": (
        "You are QwenRAG, an assistant that answers questions using only numbered passages from the "
        "user's own documents.\n"
        "Rules:\n"
        "1. Answer only with information found in the passages. Do not use outside knowledge.\n"
        "2. After each statement, cite the passage it comes from by its number in square brackets, "
        "like [1] or [2][3].\n"
        "3. If the passages do not contain the answer, say plainly: \"The documents do not contain this "
        "information.\" Do not guess.\n"
        "4. Answer in English, briefly and clearly."
    ),
    "zh": (
        "你是 QwenRAG，一个只根据用户自己文档中带编号的资料来回答问题的助手。\n"
        "规则：\n"
        "1. 只使用资料中的信息回答，不要使用资料以外的知识。\n"
        "2. 每句话后用方括号标注所依据资料的编号，例如 [1] 或 [2][3]。\n"
        "3. 如果资料中没有答案，请直接说明：“文档中没有这方面的信息。”不要猜测。\n"
        "4. 用中文简洁、清楚地回答。"
    ),
}
SYSTEM_PLAIN: dict[Language, str] = {
    "en": ("You are QwenRAG, a helpful assistant running entirely on the user's computer. Help with "
           "writing, explanations and short code. Answer in English, clearly and concisely."),
    "zh": "你是 QwenRAG，一个完全在用户电脑上运行的助手，可以帮助写作、解释问题和编写简短代码。请用中文清楚、简洁地回答。",
}
WORDS: dict[Language, dict[str, str]] = {
    "en": {"passages": "Passages:", "question": "Question:", "earlier": "Also relevant: passages {nums} above.",
           "cut": " …"},
    "zh": {"passages": "资料：", "question": "问题：", "earlier": "另见上文资料 {nums}。", "cut": " …"},
}

_SPECIAL = re.compile(r"<\|")
_BLANKS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
_SPACES = re.compile(r"[ \t]{3,}")


def sanitize(text: str) -> str:
    """Document text must never read as control tokens (<|im_start|> in a file would forge a turn)."""
    text = _SPECIAL.sub("< |", text)
    text = _BLANKS.sub("\n\n", text)
    return _SPACES.sub("  ", text).strip()


@dataclass(frozen=True)
class HistoryTurn:
    """A past turn as the model saw it: kept verbatim so the KV cache prefix stays valid."""

    question: str
    user_content: str  # the user message exactly as sent (its passages and the question)
    answer: str  # the answer exactly as generated
    passages: tuple[Passage, ...] = ()  # passages this turn introduced (numbers are conversation-wide)
    language: Language = "en"


@dataclass
class BuiltPrompt:
    messages: list[Message]
    user_content: str  # this turn's user message, to keep in the history
    language: Language
    new_passages: list[Passage]  # passages first shown in this turn, their text as the model read it
    reused_passages: list[Passage]  # retrieved again; already shown in the kept history (text as shown)
    history_passages: list[Passage]  # every passage visible in the kept history
    kept_turns: int
    dropped_turns: int
    truncated_passages: int = 0
    dropped_passages: int = 0
    prompt_tokens: int = 0  # the whole prompt as the model will see it
    budget: int = 0  # prompt tokens allowed (n_ctx - answer reserve)
    answer_reserve: int = 0
    notes: list[str] = field(default_factory=list)
    shown_text: dict[int, str] = field(default_factory=dict)  # new passages' text as the model saw it

    @property
    def sources(self) -> list[Passage]:
        """The passages retrieved for this turn, as the model sees them (new, then reused), by number."""
        return sorted(self.new_passages + self.reused_passages, key=lambda p: p.n)

    @property
    def visible(self) -> dict[int, Passage]:
        """Every passage the model can cite this turn, by number."""
        out = {p.n: p for p in self.history_passages}
        out.update({p.n: p for p in self.new_passages + self.reused_passages})
        return out


def answer_reserve(n_ctx: int, max_answer_tokens: int) -> int:
    return max(16, min(max_answer_tokens, n_ctx // 3))


def passage_block(p: Passage, text: str) -> str:
    return f"[{p.n}] {model_label(p, text)}\n{text}"


def model_label(p: Passage, text: str) -> str:
    """What the model reads above a passage: its file and section (slide title, sheet or heading path), no
    page, paragraph, table, row or line numbers: the model cites by [n] and the window shows the exact place,
    so numbers would only be read before the first word (~8 tokens a passage). The section is left out when
    the text starts with it (a heading, a spreadsheet row naming its sheet)."""
    loc = p.location
    section = loc.title or loc.sheet or loc.heading or ""
    if section and not text.lstrip("… ").startswith(section.rsplit(" > ", 1)[-1]):
        return f"{p.file_name}, {section}"
    return p.file_name


def user_message(language: Language, question: str, passages: Sequence[tuple[Passage, str]],
                 reused: Sequence[int], use_documents: bool, best_last: bool = False) -> str:
    """`best_last`: the passages in reverse rank order, so the best one stands next to the question."""
    w = WORDS[language]
    if not use_documents:
        return question
    parts: list[str] = []
    if best_last:
        passages = list(reversed(passages))
    if passages:
        parts.append(w["passages"] + "\n" + "\n\n".join(passage_block(p, t) for p, t in passages))
    if reused:
        parts.append(w["earlier"].format(nums=" ".join(f"[{n}]" for n in sorted(reused))))
    parts.append(f"{w['question']} {question}")
    return "\n\n".join(parts)


def build_prompt(
    question: str,
    candidates: Sequence[Passage],
    counter: TokenCounter,
    *,
    language: Language,
    history: Sequence[HistoryTurn] = (),
    max_answer_tokens: int = 512,
    use_documents: bool = True,
    n_ctx: int | None = None,
    excerpts: Mapping[int, str] | None = None,
) -> BuiltPrompt:
    """Fit instructions, history, passages and question into the context by real token counts.

    `candidates` are this turn's retrieved passages, best first, already numbered (a passage already in
    the history carries its old number; see Conversation). Never returns a prompt longer than
    n_ctx - answer reserve.

    `excerpts` (passage number -> text): the prompt on a diet. The model reads these excerpts instead of
    the full passages, at most MAX_PASSAGES of them, the best one last (nearest the question).
    """
    diet = excerpts is not None
    if diet:
        candidates = list(candidates)[:MAX_PASSAGES]

    def text_of(p: Passage) -> str:
        return sanitize(excerpts[p.n] if excerpts is not None and p.n in excerpts else p.text)

    n_ctx = n_ctx or counter.n_ctx
    reserve = answer_reserve(n_ctx, max_answer_tokens)
    budget = n_ctx - reserve
    system = (SYSTEM_DOCS if use_documents else SYSTEM_PLAIN)[language]
    question = sanitize(question)
    sys_tokens = counter.count_tokens(system) + TEMPLATE_MARGIN
    q_share = MAX_QUESTION_SHARE if use_documents else MAX_QUESTION_SHARE_PLAIN
    q_limit = max(32, int((budget - sys_tokens) * q_share))
    q_tokens = counter.count_tokens(question)
    notes: list[str] = []
    if q_tokens > q_limit:
        question = counter.truncate(question, q_limit) + WORDS[language]["cut"]
        q_tokens = counter.count_tokens(question)
        notes.append("question shortened")
    fixed = sys_tokens + q_tokens + 2 * TEMPLATE_MARGIN + 16  # +16: the "Passages:/Question:" words
    free = max(0, budget - fixed)

    # History: whole turns, newest first, contiguous (dropping a middle turn would change the prefix).
    turn_costs = [counter.count_tokens(t.user_content) + counter.count_tokens(t.answer) + 2 * TEMPLATE_MARGIN
                  for t in history]
    share = HISTORY_SHARE if use_documents else HISTORY_SHARE_PLAIN
    kept = _keep_recent(turn_costs, int(free * share))
    if kept < len(history):  # must drop: make room for a few turns at once (see the module docstring)
        kept = _keep_recent(turn_costs, int(free * share / 2))
    history_used = sum(turn_costs[len(turn_costs) - kept:])

    # Passages: already-visible ones are referenced; new ones share what is left.
    def visible_numbers(k: int) -> set[int]:
        return {p.n for t in history[len(history) - k:] for p in t.passages} if k else set()

    shown = visible_numbers(kept)
    new = [p for p in candidates if p.n not in shown] if use_documents else []
    if excerpts is not None:  # a passage with no excerpt had nothing on the question within the budget
        new = [p for p in new if excerpts.get(p.n)]
    reused = [p for p in candidates if p.n in shown] if use_documents else []
    texts = [text_of(p) for p in new]
    labels = [counter.count_tokens(passage_block(p, "")) + 2 for p in new]
    lengths = counter.count_many(texts) if texts else []
    room = max(0, free - history_used)
    caps, dropped = _allocate(lengths, labels, room)
    # Passages left room over: give it to older history (more context for follow-ups).
    passages_used = sum(min(n, c) + lab for n, c, lab in zip(lengths, caps, labels, strict=False) if c > 0)
    spare = room - passages_used
    while kept < len(history) and turn_costs[len(history) - kept - 1] <= spare:
        spare -= turn_costs[len(history) - kept - 1]
        history_used += turn_costs[len(history) - kept - 1]
        kept += 1
    # Older turns taken back in may already show some of the new passages: refer to those instead.
    shown = visible_numbers(kept)
    reused += [p for p in new if p.n in shown]
    fitted: list[tuple[Passage, str]] = []
    truncated = 0
    for p, text, n, cap in zip(new, texts, lengths, caps, strict=False):
        if cap <= 0 or p.n in shown:
            continue
        if n > cap:
            text = counter.truncate(text, cap) + WORDS[language]["cut"]
            truncated += 1
        fitted.append((p, text))

    for _attempt in range(1000):  # each pass shrinks something; the bound only guards against a bug
        kept_history = list(history[len(history) - kept:]) if kept else []
        user = user_message(language, question, fitted, [p.n for p in reused], use_documents, best_last=diet)
        messages: list[Message] = [{"role": "system", "content": system}]
        for t in kept_history:
            messages.append({"role": "user", "content": t.user_content})
            messages.append({"role": "assistant", "content": t.answer})
        messages.append({"role": "user", "content": user})
        total = counter.prompt_token_count(messages)
        if total <= budget:
            break
        # Estimates were off (tokens merge differently in context): shrink and count again.
        if kept:
            kept -= 1
            shown = visible_numbers(kept)
            gone = [p for p in reused if p.n not in shown]
            if gone:  # their only copy was in the dropped turn
                reused = [p for p in reused if p.n in shown]
                fitted = sorted(fitted + [(p, text_of(p)) for p in gone], key=lambda x: x[0].n)
            continue
        if fitted:
            p, text = fitted[-1]
            over = total - budget
            n = counter.count_tokens(text)
            if n - over - 8 >= MIN_PASSAGE_TOKENS:
                fitted[-1] = (p, counter.truncate(text, n - over - 8) + WORDS[language]["cut"])
                truncated += 1
            else:
                fitted.pop()
                dropped += 1
            continue
        if reused:
            reused = []
            continue
        # Only the system prompt and the question are left: shorten the question to what remains.
        q_count = counter.count_tokens(question)
        q_room = budget - (total - q_count) - 8
        if q_room < 8 or q_room >= q_count:
            raise _too_small(n_ctx)
        question = counter.truncate(question, q_room) + WORDS[language]["cut"]
        notes.append("question shortened")
    else:
        raise _too_small(n_ctx)

    kept_history = list(history[len(history) - kept:]) if kept else []
    history_passages = [p for t in kept_history for p in t.passages]
    # What the model read: a passage's text is its excerpt here, or as an earlier turn showed it.
    earlier = {p.n: p for p in history_passages}
    reused = [earlier.get(p.n, p) for p in reused]
    return BuiltPrompt(
        messages=messages, user_content=user, language=language,
        new_passages=[replace(p, text=t) if t != p.text else p for p, t in fitted],
        shown_text={p.n: t for p, t in fitted},
        reused_passages=reused, history_passages=history_passages, kept_turns=kept,
        dropped_turns=len(history) - kept, truncated_passages=truncated, dropped_passages=dropped,
        prompt_tokens=total, budget=budget, answer_reserve=reserve, notes=notes,
    )


def _too_small(n_ctx: int) -> PromptTooLong:
    return PromptTooLong(f"A context of {n_ctx} tokens cannot hold the instructions and the question; "
                         "use a larger context size.")


def _keep_recent(costs: Sequence[int], limit: int) -> int:
    """How many of the most recent turns fit in `limit` tokens (whole turns only)."""
    used = kept = 0
    for cost in reversed(costs):
        if used + cost > limit:
            break
        used += cost
        kept += 1
    return kept


def _allocate(lengths: Sequence[int], labels: Sequence[int], room: int) -> tuple[list[int], int]:
    """Token caps per passage (0 = dropped): water-filling, so short passages stay whole and long ones
    share the rest evenly; the lowest-ranked go first when even MIN_PASSAGE_TOKENS each do not fit."""
    n = len(lengths)
    count = n
    while count > 0:
        avail = room - sum(labels[:count])
        if avail >= min(MIN_PASSAGE_TOKENS, min(lengths[:count] or [0])) * count:
            break
        count -= 1
    if count == 0:
        return [0] * n, n
    avail = room - sum(labels[:count])
    caps = [0] * n
    order = sorted(range(count), key=lambda i: lengths[i])
    left = avail
    for pos, i in enumerate(order):
        share = left // (count - pos)
        caps[i] = min(lengths[i], share)
        left -= caps[i]
    # A cap below the minimum would show a useless fragment: drop that passage (lowest rank first).
    dropped = n - count
    for i in range(count - 1, -1, -1):
        if caps[i] < min(MIN_PASSAGE_TOKENS, lengths[i]):
            caps[i] = 0
            dropped += 1
    return caps, dropped

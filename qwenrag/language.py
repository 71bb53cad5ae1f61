"""Is a question Chinese or English? Decides the language of the instructions and of fixed replies."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]

# Han ideographs (Simplified and Traditional alike), CJK punctuation, full-width forms and bopomofo.
_HAN = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))
_CJK_OTHER = ((0x3000, 0x303F), (0x3100, 0x312F), (0x31A0, 0x31BF), (0xFF00, 0xFFEF))


def _in(ch: str, ranges: tuple[tuple[int, int], ...]) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in ranges)


def cjk_ratio(text: str) -> float:
    """Share of Han characters among the letters and ideographs of `text` (0.0 with neither)."""
    han = latin = 0
    for ch in text:
        if _in(ch, _HAN):
            han += 1
        elif ch.isalpha() and not _in(ch, _CJK_OTHER):
            latin += 1
    # A Han character carries about a word; weigh Latin letters by ~1/4 so "请总结 Q3 revenue report"
    # (Chinese sentence, English terms) counts as Chinese.
    total = han + latin / 4
    return han / total if total else 0.0


def detect_language(text: str, default: Language = "en") -> Language:
    """'zh' when Han characters make up a good share of the question, else 'en'.

    Traditional Chinese counts as 'zh'. A question with no letters at all (numbers, punctuation) gets
    `default`, which callers set to the previous turn's language.
    """
    han = sum(1 for ch in text if _in(ch, _HAN))
    if han == 0:
        return default if not any(ch.isalpha() for ch in text) else "en"
    return "zh" if cjk_ratio(text) >= 0.3 else "en"


def resolve_language(question: str, setting: str = "auto", default: Language = "en") -> Language:
    """The answer language: the user's setting when fixed, else detected from the question."""
    if setting in ("zh", "en"):
        return setting  # type: ignore[return-value]
    return detect_language(question, default)

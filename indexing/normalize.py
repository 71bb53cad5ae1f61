"""Repair what text extraction gets wrong, without changing what the user reads beyond that.

NFKC folds Kangxi radicals (U+2F64 '⽤' -> '用'), CJK compatibility ideographs and full-width ASCII
('ＡＢＣ１２３' -> 'ABC123'). Full-width CJK punctuation such as '，' '。' '：' is kept as the author wrote it:
NFKC would turn '，' into ',' in the cited text. Control characters are dropped, spaces folded.
"""

from __future__ import annotations

import re
import unicodedata

# Full-width punctuation a Chinese reader expects to see unchanged (NFKC maps these to ASCII).
_KEEP = "，。：；！？（）【】「」『』《》、～“”‘’…—"
_KEEP_SET = frozenset(_KEEP)
# Only these ranges are folded (the whole-text NFKC would also rewrite kept punctuation and is slower):
# CJK radicals and Kangxi radicals, compatibility ideographs, Latin ligatures, full-width ASCII.
_FOLD = re.compile("[\u2e80-\u2fdf\uf900-\ufaff\ufb00-\ufb06\uff01-\uff5e\U0002f800-\U0002fa1f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _fold(match: re.Match[str]) -> str:
    ch = match.group(0)
    return ch if ch in _KEEP_SET else unicodedata.normalize("NFKC", ch)


def normalize_text(text: str) -> str:
    """NFKC except kept CJK punctuation; no control characters; runs of spaces folded."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = text if text.isascii() else _FOLD.sub(_fold, text)
    out = _CONTROL.sub("", out)
    out = _SPACES.sub(" ", out)
    out = _BLANK_LINES.sub("\n\n", out)
    return out.strip()

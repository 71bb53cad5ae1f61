"""Text -> search terms for BM25, the same for indexed passages and for questions.

Chosen by measurement (tests/bench/bench_tokenizers.py, QA sets in Simplified and Traditional Chinese and
English, through rank-bm25 and tantivy):

- Chinese: every Han character and every pair of neighbouring characters (bigrams). No dictionary, so
  names and terms a segmenter does not know still match, and it is fast. Traditional characters are
  folded to Simplified (one character to one, OpenCC's table) on both sides, so a question typed in
  either script finds a document written in the other.
- Letters and digits: lowercased; a code such as `ISO-27001`, `v2.3`, `E10234` or `2024-03-01` gives the
  whole code and its parts (`iso`, `27001`; `e`, `10234`), so it is found typed whole or in parts, with
  or without the hyphen. Thousands separators are dropped (`1,200.50` == `1200.50`) and leading zeros of
  number parts too (`03` == `3`). Full-width letters and digits fold to ASCII, accents are removed.
- Questions: question words (什么, 哪, 吗, what, which ...) are dropped: they are in nearly every question
  and only add noise. English words get a light plural stemming on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from indexing._t2s_table import SIMPLIFIED, TRADITIONAL

# Bump whenever tokenize/tokenize_query change what they produce for the same text: every library's
# search index is then rebuilt from its store on the next open by a writer (indexing.library).
ANALYZER_VERSION = "1"

# Han ideographs (basic, extension A, compatibility, extensions B-H) and Japanese kana: written without
# spaces, so they are indexed as characters and character pairs.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f\u3040-\u30ff"
# A word: letters and digits (not Han, not "_"), optionally joined by connectors into one code.
_WORD = rf"[^\W_{_HAN}]+"
_CONNECT = r"[-._/:@+#&']"
_TOKEN = re.compile(rf"([{_HAN}]+)|({_WORD}(?:{_CONNECT}{_WORD})*)")
_SPLIT_CONNECT = re.compile(_CONNECT)
# Letter runs and numbers (with decimal points) inside a code: "v2.3" -> "v", "2.3"; "E10234" -> "e", "10234".
_LETTERS_NUMBERS = re.compile(r"\d+(?:\.\d+)*|[^\W\d_]+")
_MAX_TERM = 64  # longer words (hashes, base64) are cut to this length, the same way in questions
# A thousands separator: a comma between a digit and exactly three digits ("1,200,000.50").
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


def _fold_table() -> dict[int, int]:
    table = str.maketrans(TRADITIONAL, SIMPLIFIED)
    # Full-width ASCII ('ＩＳＯ－２７００１') and the ideographic space, as typed with a Chinese input method.
    table.update({cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)})
    table[0x3000] = 0x20
    table[0x2019] = 0x27  # Ghandi’s == Ghandi's
    return table


_FOLD = _fold_table()
# str.translate is ~3x faster with a list than with a dict; a list over the BMP (64k entries) is small, and
# an index past its end leaves the character as it is, so the few rare ideographs beyond the BMP that fold
# get a second, dict-based pass only when the text has such characters.
_FOLD_BMP = list(range(0x10000))
for _key, _value in _FOLD.items():
    if _key < 0x10000:
        _FOLD_BMP[_key] = _value
_FOLD_ASTRAL = {k: v for k, v in _FOLD.items() if k >= 0x10000}
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def fold_text(text: str) -> str:
    """Traditional -> Simplified, full-width -> ASCII, lower case: applied before tokenizing."""
    text = text.translate(_FOLD_BMP)
    if _ASTRAL.search(text):
        text = text.translate(_FOLD_ASTRAL)
    return text.lower()


def _words(text: str) -> list[str]:
    return text.split()


# Question words and particles dropped from questions (Simplified: questions are folded first).
# Longest first so that 为什么 goes before 什么.
_ZH_QUESTION = _words(
    "为什么 什么样 什么 哪一些 哪一个 哪一年 哪一天 哪一位 哪一种 哪一 哪些 哪个 哪里 哪儿 哪位 哪种 哪年 哪家 哪 "
    "多少 几个 几年 几 谁 吗 呢 么 如何 怎么样 怎么 怎样 为何 何时 何地 何处 何人 是否 是 的 了"
)
# Words that contain a question word but carry meaning (目的 "purpose", 了解 "understand", 哪吒 a name).
# Folded like the questions they are looked for in (哪吒 -> 哪咤).
_ZH_KEEP = frozenset(_words("目的 的确 的士 了解 几何 几乎 茶几 哪吒 吗啡 呢绒 是非".translate(_FOLD)))
_ZH_QUESTION_RE = re.compile(
    "|".join(sorted(map(re.escape, [*_ZH_KEEP, *_ZH_QUESTION]), key=len, reverse=True))
)
_EN_QUESTION = frozenset(
    _words(
        "what which who whom whose when where why how does did do is are was were the a an of in on at to "
        "for by with from as that this these those it its be been has have had and or"
    )
)


@dataclass(frozen=True)
class Analyzer:
    """A tokenizer configuration. `DEFAULT` is what the app uses; the others exist to be measured."""

    unigrams: bool = True  # single Han characters
    bigrams: bool = True  # neighbouring Han character pairs
    fold: bool = True  # Traditional -> Simplified, full-width -> ASCII
    stem: bool = True  # light English plural stemming
    drop_question_words: bool = True  # in questions only
    bigram_query_weight: int = 1  # each query bigram counted this many times

    def tokenize(self, text: str) -> list[str]:
        """Terms of indexed text."""
        out: list[str] = []
        for han, word in _TOKEN.findall(self._prepare(text)):
            if han:
                self._han_terms(han, out)
            else:
                out.extend(_word_terms(word, self.stem))
        return out

    def tokenize_query(self, text: str) -> list[str]:
        """Terms of a question; a term repeated counts more (the search adds one clause per term)."""
        text = self._prepare(text)
        if self.drop_question_words:
            text = _ZH_QUESTION_RE.sub(_drop_question_word, text)
        out: list[str] = []
        for han, word in _TOKEN.findall(text):
            if han:
                self._han_terms(han, out, self.bigram_query_weight)
            elif not (self.drop_question_words and word in _EN_QUESTION):
                out.extend(_word_terms(word, self.stem))
        return out

    def _prepare(self, text: str) -> str:
        text = fold_text(text) if self.fold else text.lower()
        return _THOUSANDS.sub("", text) if "," in text else text

    def _han_terms(self, run: str, out: list[str], bigram_weight: int = 1) -> None:
        if self.unigrams or len(run) == 1:
            out.extend(run)
        if self.bigrams and len(run) > 1:
            pairs = list(map(str.__add__, run, run[1:]))
            for _ in range(bigram_weight):
                out.extend(pairs)


def _drop_question_word(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if word in _ZH_KEEP else " "


@lru_cache(maxsize=1 << 17)  # words repeat a lot (sheet columns, names): caching halves tokenize time
def _word_terms(word: str, stem: bool) -> tuple[str, ...]:
    if word.isascii() and word.isalpha() and len(word) <= _MAX_TERM:  # the common case: a plain word
        return (_stem(word),) if stem else (word,)
    return _code_terms(word, stem)


@lru_cache(maxsize=65536)
def _code_terms(word: str, stem: bool) -> tuple[str, ...]:
    """A code, a number or a non-ASCII word: the whole, its segments between connectors, its letter
    runs and numbers; without repeats. "v2.3" -> v2.3, v2, 3, v, 2.3."""
    if not word.isascii():
        word = _strip_accents(word)
    if word.isalpha() or word.isdigit():
        return (_part(word, stem)[:_MAX_TERM],)
    terms: dict[str, None] = {word[:_MAX_TERM]: None}
    if _SPLIT_CONNECT.search(word):
        terms.update((_part(s, stem), None) for s in _SPLIT_CONNECT.split(word) if s)
    terms.update((_part(p, stem), None) for p in _LETTERS_NUMBERS.findall(word))
    return tuple(t for t in terms if len(t) <= _MAX_TERM)


def _part(piece: str, stem: bool) -> str:
    if piece.isdigit():
        return piece.lstrip("0") or "0"
    return _stem(piece) if stem and piece.isalpha() else piece


def _strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _stem(word: str) -> str:
    """Harman's 'S' stemmer: plural endings only, which rarely merges unrelated words."""
    if len(word) <= 3 or word[-1] != "s":
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith(("us", "ss")):
        return word
    return word[:-1]


DEFAULT = Analyzer()


def tokenize(text: str) -> list[str]:
    """Search terms of a passage (title, heading and text may simply be joined with a newline)."""
    return DEFAULT.tokenize(text)


def tokenize_query(text: str) -> list[str]:
    """Search terms of a question: as `tokenize`, less question words; repeats are weights."""
    return DEFAULT.tokenize_query(text)


def joined(tokens: Iterable[str]) -> str:
    """Terms as one string for a whitespace-tokenized full-text field (tantivy's "whitespace")."""
    return " ".join(tokens)

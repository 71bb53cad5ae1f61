"""The BM25 tokenizer: Chinese in both scripts, English, codes, numbers; questions as documents."""

from __future__ import annotations

import pytest

from indexing._t2s_table import SIMPLIFIED, TRADITIONAL
from indexing.analysis import Analyzer, fold_text, joined, tokenize, tokenize_query


def finds(query: str, document: str) -> bool:
    """Does some term of the question occur among the document's terms?"""
    return bool(set(tokenize_query(query)) & set(tokenize(document)))


def test_chinese_characters_and_bigrams() -> None:
    assert tokenize("请假制度") == ["请", "假", "制", "度", "请假", "假制", "制度"]
    assert tokenize("假") == ["假"]


def test_traditional_folds_to_simplified_both_ways() -> None:
    assert tokenize("臺灣的軟體發展") == tokenize("台湾的软体发展")
    assert set(tokenize_query("軟體發展")) <= set(tokenize("台湾的软体发展"))
    assert set(tokenize_query("软体发展")) <= set(tokenize("臺灣的軟體發展"))


def test_fold_table_is_one_to_one_and_idempotent() -> None:
    assert len(TRADITIONAL) == len(SIMPLIFIED)
    text = TRADITIONAL + "ＡＢＣ１２３ 臺灣"
    once = fold_text(text)
    assert fold_text(once) == once
    assert once.endswith("abc123 台湾")


def test_tokenize_is_stable_under_its_own_normalization() -> None:
    # Tokens are already folded: tokenizing a token gives the token back (Han runs of 1-2 characters).
    for token in tokenize("臺灣 Ｅ10234 請假制度 Résumés"):
        assert token in tokenize(token)


def test_english_lowercased_and_plural_stemmed() -> None:
    assert tokenize("The Policies") == ["the", "policy"]
    assert tokenize("Panthers defense") == ["panther", "defense"]
    assert tokenize("class status") == ["class", "status"]
    assert tokenize("Café résumé") == ["cafe", "resume"]


@pytest.mark.parametrize(
    ("document", "query"),
    [
        ("通过ISO-27001认证", "ISO-27001"),
        ("通过ISO-27001认证", "ISO 27001"),
        ("通过ISO-27001认证", "iso27001"),
        ("通过ISO-27001认证", "27001"),
        ("版本 v2.3 发布", "v2.3"),
        ("版本 v2.3 发布", "2.3"),
        ("员工E10234的假期", "E10234"),
        ("员工E10234的假期", "10234"),
        ("员工E10234的假期", "e-10234"),
        ("日期 2024-03-01", "2024-03-01"),
        ("日期 2024-03-01", "2024年3月1日"),
        ("金额 1,200.50 元", "1200.50"),
        ("金额 1200.50 元", "1,200.50"),
        ("ＩＳＯ－２７００１", "ISO-27001"),
    ],
)
def test_codes_are_found_whole_and_in_parts(document: str, query: str) -> None:
    assert finds(query, document)


def test_code_whole_is_a_term_of_its_own() -> None:
    terms = tokenize("ISO-27001 v2.3 E10234 2024-03-01")
    for whole in ("iso-27001", "v2.3", "e10234", "2024-03-01"):
        assert whole in terms
    assert "1200.50" in tokenize("1,200.50")
    assert "2019" in tokenize("2019,2020")  # not a thousands separator


def test_mixed_text_keeps_every_script() -> None:
    terms = tokenize("第3.2节 Sick leave 病假 E10234")
    assert {"第", "3.2", "节", "sick", "leave", "病假", "e10234", "10234"} <= set(terms)


def test_question_words_dropped_from_queries_only() -> None:
    assert tokenize_query("员工的年假是多少天？") == ["员", "工", "员工", "年", "假", "年假", "天"]
    assert "什么" in tokenize("什么是年假")
    assert tokenize_query("What is the leave policy?") == ["leave", "policy"]
    assert tokenize_query("什麼是年假") == tokenize_query("什么是年假")


def test_meaningful_words_with_question_characters_are_kept() -> None:
    assert "目的" in tokenize_query("请假的目的是什么")
    assert "了解" in tokenize_query("如何了解制度")


def test_terms_are_clean_for_a_whitespace_field() -> None:
    text = "标题\n正文：ISO-27001，v2.3；E10234。 Tab\there  " + "x" * 200
    terms = tokenize(text)
    assert terms
    assert all(t and not any(c.isspace() for c in t) and len(t) <= 64 for t in terms)
    assert joined(terms).split(" ") == terms


def test_empty_and_punctuation_only() -> None:
    assert tokenize("") == []
    assert tokenize("。，！？ --- ...") == []
    assert tokenize_query("什么？") == []


def test_variants_for_measuring() -> None:
    assert Analyzer(unigrams=False).tokenize("请假制度") == ["请假", "假制", "制度"]
    assert Analyzer(bigrams=False).tokenize("请假") == ["请", "假"]
    assert Analyzer(bigram_query_weight=2).tokenize_query("请假").count("请假") == 2
    assert Analyzer(fold=False).tokenize("臺") == ["臺"]

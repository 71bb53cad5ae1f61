"""qwenrag.evidence: sentences, verbatim quotes within their caps, follow-ups without word lists — on a real
library where it matters."""

from __future__ import annotations

from pathlib import Path

from indexing.library import Library
from indexing.locations import Location
from indexing.records import Passage
from qwenrag.evidence import MAX_CHARS_EN, MAX_CHARS_ZH, find_quotes, gather, sentences
from tests.helpers import write_text


def _spans(text: str, kind: str = "") -> list[str]:
    return [text[s:e] for s, e in sentences(text, kind)]


def test_sentences_end_at_stops_not_at_wrapped_lines() -> None:
    assert _spans("试用期为 3 个月。试用期满后转正！Is it? Yes, e.g. this stays whole. Next one.") == [
        "试用期为 3 个月。", "试用期满后转正！", "Is it?", "Yes, e.g. this stays whole.", "Next one."]
    wrapped = "In brief: the standard contract runs for three years, paid at 90% of\nthe regular salary. Next."
    assert _spans(wrapped)[0].endswith("the regular salary.")  # a PDF line wrap does not end the sentence
    assert _spans("4.1 Annual leave\nEmployees get 15 days.") == ["4.1 Annual leave", "Employees get 15 days."]
    rows = "Name: Bob | Days: 3\nName: Ann | Days: 4"
    assert _spans(rows, "xlsx") == ["Name: Bob | Days: 3", "Name: Ann | Days: 4"]  # a row is one sentence


def _passage(text: str, n: int = 1, kind: str = "text", title: str = "doc") -> Passage:
    return Passage(n=n, file=f"/d/{title}.txt", location=Location(lines=(1, 5)), text=text, title=title,
                   chunk_id=n, doc_id=n, kind=kind)


def test_a_quote_is_verbatim_and_within_its_cap() -> None:
    long_zh = "公司规定" + "，".join(f"第{i}项内容与本问题无关" for i in range(30)) + "，年假为 15 天，" + "其他说明" * 20 + "。"
    p = _passage(long_zh)
    (q, *_rest) = find_quotes("年假有多少天？", [p])
    assert q.text == p.text[q.start:q.end] and len(q.text) <= MAX_CHARS_ZH and "年假为 15 天" in q.text
    long_en = " ".join(["Filler words that say nothing at all."] * 12 + ["Annual leave is 15 days."] +
                       ["More filler that says nothing."] * 12)
    (q, *_rest) = find_quotes("How many days of annual leave?", [_passage(long_en)])
    assert len(q.text) <= MAX_CHARS_EN and "Annual leave is 15 days." in q.text


def test_quotes_prefer_the_sentence_with_the_detail_over_the_one_naming_the_topic() -> None:
    p = _passage("Xinghe Handbook covers the rules for all staff. The probation period of Xinghe staff lasts "
                 "3 months. Meals are served at noon. Parking is free.", title="Xinghe Handbook")
    quotes = find_quotes("How long is the probation period at Xinghe?", [p])
    assert "lasts 3 months" in quotes[0].text


def test_an_faq_question_is_quoted_with_its_answer() -> None:
    p = _passage("【VPN】\n问1：VPN 客户端在哪里下载？\n答：在公司电脑上打开软件中心下载。\n问2：访客 Wi-Fi 密码多久更换一次？\n答：每周一更换。")
    q = find_quotes("VPN 客户端在哪里下载？", [p])[0]
    assert q.text == "问1：VPN 客户端在哪里下载？\n答：在公司电脑上打开软件中心下载。"


def test_follow_ups_need_their_own_words_in_the_passage(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_text(docs, "leave.txt", "Sick leave for employees requires a clinic record.\n\n"
                                  "Sick leave for managers requires a hospital certificate.")
    write_text(docs, "travel.txt", "Hotel costs in Shanghai are reimbursed up to 550 yuan per night.")
    with Library.open(tmp_path / "lib") as lib:
        list(lib.add([docs], workers=0))
        first = gather(lib, "What does sick leave require for employees?")
        assert first.found and "clinic record" in first.quotes[0].text
        follow = gather(lib, "and for managers?", ["What does sick leave require for employees?"])
        assert follow.found and "hospital certificate" in follow.quotes[0].text
        assert follow.query.startswith("What does sick leave require")  # searched with the previous question
        # "its" and "that" are in no word list: an off-topic question stays off-topic after a relevant one
        off = gather(lib, "What is its dress code on Fridays, and who sets that?",
                     ["What does sick leave require for employees?"])
        assert not off.found and off.quotes == ()
        # 其 inside a word does not make a question lean on the previous one
        other = gather(lib, "上海酒店每晚最多报销多少？其他城市呢", ["What does sick leave require for employees?"])
        assert other.query == "上海酒店每晚最多报销多少？其他城市呢"


def test_a_where_question_is_quoted_with_the_place_not_with_the_sentence_repeating_its_words() -> None:
    p = _passage("Xinghe was founded by two engineers. The head office of Xinghe employs about 300 people in sales "
                 "and research. Its products are sold in twelve countries. Since 2015 the head office of Xinghe has "
                 "been in Hangzhou, near the West Lake. The company also runs a plant in Suzhou.", title="about")
    assert "in Hangzhou" in find_quotes("Where is the head office of Xinghe?", [p])[0].text


def test_a_detail_question_is_quoted_with_the_sentence_holding_the_detail_not_the_one_naming_the_subject() -> None:
    # "死因" (cause of death) is only loosely in the answer ("因心脏病突发去世"): the ranker's "loose" and
    # "detail" features (the question's characters outside the title) find it; coverage alone picked the
    # sentence naming the subject.
    p = _passage("林海是一位著名的男高音歌唱家，出生于上海。他曾多次在国外演出。1998年他在家中因心脏病突发去世。", title="林海")
    assert "因心脏病突发去世" in find_quotes("林海的死因是什么？", [p])[0].text

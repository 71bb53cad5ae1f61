"""qwenrag.evidence: sentences, verbatim quotes within their caps, follow-ups without word lists — on a real
library where it matters."""

from __future__ import annotations

from pathlib import Path

from indexing.library import Library
from indexing.locations import Location
from indexing.records import Passage, TermStats
from qwenrag.evidence import (
    MAX_CHARS_EN,
    MAX_CHARS_ZH,
    best_relevance,
    find_quotes,
    gather,
    is_relevant,
    query_terms,
    sentences,
)
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


def test_a_rare_term_missing_from_the_passage_outweighs_common_words_it_holds() -> None:
    # A 5,000-chunk library: "annual", "leave" and "days" are everywhere, "Kowalczyk" in 2 chunks
    stats = TermStats(5000, {"many": 900, "annual": 400, "leave": 350, "day": 1200, "get": 800,
                             "kowalczyk": 2, "volunteer": 40, "foundation": 60})
    common = _passage("Annual leave is 15 days for every employee, and many get more after ten years.")
    question = "How many annual leave days do Kowalczyk foundation volunteers get?"
    # every common word of the question is there, the name and the people asked about are not: not found
    assert not is_relevant(question, [common], stats=stats)
    named = _passage("Volunteers of the Kowalczyk Foundation take 20 days off a year.", title="Kowalczyk")
    assert is_relevant(question, [named], stats=stats)  # the rare terms are there: found
    assert is_relevant(question, [common, named], stats=stats)  # any passage that answers will do


def test_a_long_question_worded_unlike_its_passage_is_found_when_the_passage_holds_its_rare_names() -> None:
    # A DRCD question: its pairs across word boundaries (戰後克 -> 後克, 梭對, 替他...) are in no chunk, so
    # they hold most of its weight and the passage that answers covers under 0.30 of it; but it holds the
    # rare names (克萊蒙梭, 苛刻, 賠償) -- much rare evidence, which a passage of everyday words lacks.
    question = "因為一戰後克萊蒙梭對德國開出苛刻的賠償條件，所以有人替他取了一個外號?"
    stats = TermStats(5000, {t: 800 for t in query_terms(question) if len(t) == 1}
                      | {"所以": 400, "有人": 300, "一个": 1500, "条件": 200, "因为": 900, "德国": 150})
    named = _passage("法國總理克萊蒙梭在戰後堅持向德國索取苛刻賠償，被稱為「老虎」。", title="克萊蒙梭")
    assert best_relevance(question, [named], stats=stats).coverage < 0.30
    assert is_relevant(question, [named], stats=stats)
    # the same number of matched terms, everyday ones: not found
    everyday = _passage("所以有人說，因為條件不好，一個人很難在德國找到工作。", title="工作")
    assert not is_relevant(question, [everyday], stats=stats)


def test_an_off_topic_question_made_of_common_words_and_an_unknown_name_is_not_found(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_text(docs, "leave.txt", "Annual leave for employees is 15 days per year. Employees must request leave "
                                  "two weeks ahead.")
    write_text(docs, "travel.txt", "Employees travelling abroad get a daily allowance of 60 euros.")
    write_text(docs, "it.txt", "Employees must change their password every 90 days.")
    write_text(docs, "office.txt", "The office opens at 8 am. Employees may work from home two days per week.")
    with Library.open(tmp_path / "lib") as lib:
        list(lib.add([docs], workers=0))
        own = gather(lib, "How many days of annual leave do employees get per year?")
        assert own.found and own.passages[0].file.endswith("leave.txt") and "15 days" in own.quotes[0].text
        # shares "annual", "leave", "days" with leave.txt (two strong terms: enough before), but no passage
        # knows Kowalczyk, the foundation or its volunteers
        off = gather(lib, "How many annual leave days do Kowalczyk foundation volunteers get?")
        assert off.passages and not off.found and off.quotes == ()


# A small handbook: every policy names 员工, 提前, 申请 and 审批, so the library alone would count them as
# common and the question's everyday words it lacks (时间, 多长) as rare names.
_POLICIES = ["年假", "病假", "婚假", "产假", "加班", "出差", "报销", "考勤", "培训", "绩效", "工资", "社保", "体检",
             "门禁", "会议室", "电脑", "密码", "邮箱", "打印", "停车"]


def _handbook(docs: Path) -> None:
    for i, topic in enumerate(_POLICIES):
        text = f"第{i}条 员工{topic}规定。员工办理{topic}须提前提交申请，由部门经理审批。"
        if topic == "年假":
            text = "第0条 员工年假规定。员工每年享有十五天带薪年假。员工申请年假须提前两周提交申请，由部门经理审批。"
        write_text(docs, f"policy{i:02d}.txt", text)


def test_a_question_in_everyday_words_is_answered_from_a_small_library(tmp_path: Path) -> None:
    _handbook(tmp_path / "docs")
    with Library.open(tmp_path / "lib") as lib:
        list(lib.add([tmp_path / "docs"], workers=0))
        # "多长时间" is not in the handbook ("两周" is): a word of general language, not another topic's name
        for question in ("员工请年假要提前多长时间？", "年假需要提前多少时间申请？"):
            ev = gather(lib, question)
            assert ev.found, (question, ev.relevance)
            assert ev.passages[0].file.endswith("policy00.txt") and any("两周" in q.text for q in ev.quotes)
        # a place the handbook never names is still not found, though every other word of it is there
        assert not gather(lib, "员工去火星出差的补贴是多少？").found


def test_over_a_conversation_off_topic_is_not_found_and_a_follow_up_is_answered(tmp_path: Path) -> None:
    _handbook(tmp_path / "docs")
    with Library.open(tmp_path / "lib") as lib:
        list(lib.add([tmp_path / "docs"], workers=0))
        first = "员工请年假要提前多长时间？"
        assert gather(lib, first).found
        off = gather(lib, "红十字会的志愿者每年有几天年假？", [first])
        assert not off.found and off.quotes == ()
        follow = gather(lib, "那病假呢？", [first])
        assert follow.found and follow.passages[0].file.endswith("policy01.txt")
        assert "病假须提前提交申请" in follow.quotes[0].text


def test_a_detail_question_is_quoted_with_the_sentence_holding_the_detail_not_the_one_naming_the_subject() -> None:
    # "死因" (cause of death) is only loosely in the answer ("因心脏病突发去世"): the ranker's "loose" and
    # "detail" features (the question's characters outside the title) find it; coverage alone picked the
    # sentence naming the subject.
    p = _passage("林海是一位著名的男高音歌唱家，出生于上海。他曾多次在国外演出。1998年他在家中因心脏病突发去世。", title="林海")
    assert "因心脏病突发去世" in find_quotes("林海的死因是什么？", [p])[0].text

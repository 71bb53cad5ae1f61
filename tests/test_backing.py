"""qwenrag.backing.check: an answer is backed only by a sentence of its passage that answers the question."""

from __future__ import annotations

from indexing.locations import Location
from indexing.records import Passage
from qwenrag.backing import check

LEAVE = ("Managers get 20 days of annual leave per year. Annual leave requests from managers go to the director. "
         "Staff get 15 days of annual leave.")


def _passage(text: str) -> Passage:
    return Passage(n=1, file="/d/leave.txt", location=Location(lines=(1, 3)), text=text, title="leave",
                   chunk_id=1, doc_id=1, kind="text")


def test_the_answer_sentence_is_backed_and_its_key_fact_must_be_in_the_passage() -> None:
    q = "How many days of annual leave do managers get?"
    ok = check("Managers get 20 days of annual leave per year. [1]", q, [_passage(LEAVE)])
    assert ok.grounded and ok.support == (1,)
    wrong = check("Managers get 27 days of annual leave per year. [1]", q, [_passage(LEAVE)])
    assert not wrong.grounded and wrong.missing_numbers == ("27",)


def test_a_true_sentence_of_the_passage_that_answers_another_question_is_not_backing() -> None:
    q = "How many days of annual leave do managers get?"
    other = check("Annual leave requests from managers go to the director. [1]", q, [_passage(LEAVE)])
    assert not other.grounded and other.reason == "the passages that hold it are about something else"

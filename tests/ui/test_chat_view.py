"""Widgets of the conversation view, on their own."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ui.chat_view import MessageList, QuestionBubble


def test_a_question_bubble_keeps_one_line_yet_narrows_with_the_window(qtbot: QtBot) -> None:
    view = MessageList()
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.show()
    qtbot.waitExposed(view)
    long_q = QuestionBubble("How many days of annual leave do I get after ten years, and can I carry them over? " * 3)
    short_q = QuestionBubble("病假需要什么证明？")
    view.add(long_q)
    view.add(short_q)
    qtbot.waitUntil(lambda: long_q.label.width() > 600)
    qtbot.wait(100)  # every layout pass done: a bubble that locked its width would be locked by now
    line = short_q.label.fontMetrics().height()
    assert short_q.label.height() < 2 * line  # a short Chinese question is not broken over two lines

    view.resize(400, 500)
    # the whole question stays visible: nothing wider than the view (there is no horizontal scroll bar)
    qtbot.waitUntil(lambda: view.viewport().width() <= 400 and view.widget().width() <= view.viewport().width()
                    and long_q.label.geometry().right() <= view.viewport().width())
    assert short_q.label.height() < 2 * line
    view.resize(800, 500)
    qtbot.waitUntil(lambda: long_q.label.width() > 600)  # and wide again

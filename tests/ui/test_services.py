"""The adapter to the core: pipeline events become AnswerEvents; settings go through qwenrag.settings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from types import SimpleNamespace

from indexing.locations import Location
from qwenrag import paths
from qwenrag import settings as core
from qwenrag.citations import Passage
from qwenrag.pipeline import Done, Retrieved, Status, Token
from ui.services import AnswerEvent, UiSettings, _answer_events, load_settings, save_settings


def passage(n: int) -> Passage:
    return Passage(n=n, file=f"/docs/f{n}.pdf", location=Location(page=n), text=f"text {n}", title=f"f{n}",
                   chunk_id=100 + n, kind="pdf")


def result(mode: str, answer: str, sources: list[Passage]) -> SimpleNamespace:
    return SimpleNamespace(mode=mode, answer=answer, sources=sources, quotes=[], grounded=True, model_text=answer,
                           model=None)


def test_an_answer_streams_sources_then_tokens_then_done() -> None:
    def events() -> Iterator[object]:
        yield Status("Loading the model…")
        yield Retrieved((passage(1), passage(2)), True, "q", 1.0)
        yield Token("Ten ")
        yield Token("days [1].")
        yield Done(result("documents", "Ten days [1].", [passage(1), passage(2)]))  # type: ignore[arg-type]

    out = list(_answer_events(events()))
    assert [e.kind for e in out] == ["status", "sources", "token", "token", "done"]
    assert out[1].sources[0].n == 1 and out[1].sources[0].location.page == 1
    assert out[1].sources[1].chunk_id == 102 and out[1].sources[1].location.describe() == "p. 2"
    assert out[-1] == AnswerEvent("done", text="Ten days [1].", sources=out[1].sources, grounded=True,
                                  model_text="Ten days [1].")


def test_not_found_is_one_event_with_the_nearest_passages() -> None:
    def events() -> Iterator[object]:
        yield Retrieved((passage(3),), False, "q", 1.0)
        yield Token("Not found in your documents.")
        yield Done(result("not_found", "Not found in your documents.", [passage(3)]))  # type: ignore[arg-type]

    out = list(_answer_events(events()))
    assert [e.kind for e in out] == ["not_found"]
    assert out[0].sources[0].file == "/docs/f3.pdf" and out[0].text.startswith("Not found")


def test_stopping_closes_the_pipeline_generator() -> None:
    closed: list[bool] = []

    def events() -> Iterator[object]:
        try:
            while True:
                yield Token("x")
        finally:
            closed.append(True)

    stream = _answer_events(events())
    next(stream)
    stream.close()
    assert closed == [True]


def test_settings_are_stored_by_qwenrag_settings() -> None:
    wanted = replace(UiSettings(), threads=2, passages=7, interface_language="zh_CN", answer_language="en")
    save_settings(wanted)
    stored = json.loads((paths.config_dir() / "settings.json").read_text(encoding="utf-8"))
    assert stored["top_k"] == 7 and stored["ui_language"] == "zh_CN" and stored["model_path"] is None
    assert core.load().threads == 2
    assert load_settings() == wanted

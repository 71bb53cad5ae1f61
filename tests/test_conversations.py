"""Saved conversations: round trip, listing by recency, rename, delete, atomic writes, Markdown export."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexing.locations import Location
from indexing.records import Passage
from qwenrag import paths
from qwenrag.conversations import (
    ConversationError,
    ConversationStore,
    ExportLabels,
    Turn,
    default_title,
    to_markdown,
    write_markdown,
)


def _turn(question: str = "病假需要什么证明？", found: bool = True) -> Turn:
    sources = [
        Passage(1, "/docs/员工手册.pdf", Location(page=3), "员工请病假须提交二级以上医院出具的证明。",
                     chunk_id=11, doc_id=2, title="员工手册", kind="pdf"),
        Passage(2, "/docs/leave.xlsx", Location(sheet="Leave", rows=(4, 6)), "Type: Sick | Days: 10",
                     chunk_id=12, doc_id=3, kind="xlsx"),
    ]
    return Turn(question=question, answer="需要医院证明 [1]。" if found else "", found=found, citations=[1],
                sources=sources, timings={"retrieve": 0.02, "generate": 1.5})


def test_default_folder_is_under_the_data_dir() -> None:
    assert ConversationStore().folder == paths.data_dir() / "conversations"


def test_a_new_conversation_is_not_on_disk_until_saved(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c")
    conv = store.new()
    assert store.list() == []
    assert not store.exists(conv.id)
    conv.turns.append(_turn())
    store.save(conv)
    assert store.exists(conv.id)


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    conv = store.new()
    conv.turns += [_turn(), _turn("What about holidays?", found=False)]
    conv.turns[1].stopped = True
    conv.turns[1].use_documents = False
    store.save(conv)
    again = ConversationStore(tmp_path).load(conv.id)  # a fresh store: as after a restart
    assert again.to_json() == conv.to_json()
    assert again.turns[0].sources[1].location == Location(sheet="Leave", rows=(4, 6))
    assert again.turns[0].sources[0].name == "员工手册.pdf"
    assert again.display_title == "病假需要什么证明？"
    # Chinese stays readable in the file, not \u-escaped
    assert "病假" in (tmp_path / f"{conv.id}.json").read_text(encoding="utf-8")


def test_list_is_most_recent_first_and_rename_keeps_the_order(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    convs = []
    for i, q in enumerate(["first", "second", "third"]):
        conv = store.new()
        conv.turns.append(Turn(question=q))
        conv.created = conv.updated = 1000.0 + i
        store.save(conv, touch=False)
        convs.append(conv)
    assert [s.title for s in store.list()] == ["third", "second", "first"]
    store.rename(convs[0].id, "  My   first chat ")
    assert [s.title for s in store.list()] == ["third", "second", "My first chat"]
    # a new turn moves it to the top
    first = store.load(convs[0].id)
    first.turns.append(Turn(question="again"))
    store.save(first)
    assert store.list()[0].id == first.id
    assert store.list()[0].turns == 2


def test_delete(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    conv = store.new()
    store.save(conv)
    store.delete(conv.id)
    assert store.list() == []
    with pytest.raises(ConversationError):
        store.load(conv.id)
    store.delete(conv.id)  # twice is fine


def test_a_damaged_file_is_skipped_not_fatal(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    good = store.new()
    good.turns.append(Turn(question="fine"))
    store.save(good)
    (tmp_path / "20240101-000000-abcdef.json").write_text("{not json", encoding="utf-8")
    assert [s.id for s in store.list()] == [good.id]
    with pytest.raises(ConversationError):
        store.load("20240101-000000-abcdef")


def test_ids_cannot_escape_the_folder(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    with pytest.raises(ConversationError):
        store.load("../../etc/passwd")
    with pytest.raises(ConversationError):
        store.delete("../x")


def test_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ConversationStore(tmp_path)
    conv = store.new()
    conv.turns.append(Turn(question="kept"))
    store.save(conv)

    def boom(*_a: object) -> None:
        raise OSError("disk full")

    conv.turns.append(Turn(question="lost"))
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(ConversationError):
        store.save(conv)
    monkeypatch.undo()
    assert [t.question for t in store.load(conv.id).turns] == ["kept"]
    assert [p.name for p in tmp_path.iterdir()] == [f"{conv.id}.json"]  # no temp file left behind


def test_old_or_partial_files_load_with_defaults(tmp_path: Path) -> None:
    conv_id = "20240102-030405-0a0b0c"
    (tmp_path / f"{conv_id}.json").write_text(json.dumps({"id": conv_id, "turns": [{"question": "q"}]}))
    conv = ConversationStore(tmp_path).load(conv_id)
    assert conv.turns[0].found and conv.turns[0].sources == [] and conv.turns[0].use_documents


def test_markdown_export_lists_sources_under_each_answer(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path)
    conv = store.new("HR questions")
    conv.turns += [_turn(), _turn("年假有几天？", found=False)]
    text = to_markdown(conv)
    assert text.startswith("# HR questions\n")
    first, second = text.split("## Question 2")
    assert "> 病假需要什么证明？" in first
    assert "需要医院证明 [1]。" in first
    assert "**Sources**" in first
    assert "1. 员工手册.pdf — p. 3" in first
    assert "> 员工请病假须提交二级以上医院出具的证明。" in first
    assert "leave.xlsx" not in first  # only what the answer cites
    assert "Not found in your documents" in second
    assert "2. leave.xlsx — Leave, rows 4-6" in second  # the nearest passages, all of them

    labels = ExportLabels(question="问题", sources="来源")
    zh = to_markdown(conv, labels=labels, describe=lambda loc: f"第 {loc.page} 页" if loc.page else "表")
    assert "## 问题 1" in zh and "**来源**" in zh and "员工手册.pdf — 第 3 页" in zh

    out = tmp_path / "export" / "chat.md"
    write_markdown(conv, out)
    assert out.read_text(encoding="utf-8") == to_markdown(conv)


def test_default_title_is_the_first_line_shortened() -> None:
    assert default_title("  how many\n days? ") == "how many days?"
    long = default_title("x" * 200)
    assert len(long) == 60 and long.endswith("…")


def test_a_search_hit_is_saved_and_read_back_whole() -> None:
    """One passage type: a hit renumbered for an answer keeps its document id through the saved file."""

    hit = Passage(n=1, score=2.0, file="/a/b.docx", location=Location(heading="Leave", paragraph=4),
                  text="t", title="b", heading="Leave", chunk_id=7, doc_id=1, kind="docx")
    src = Passage.from_json(hit.numbered(3).to_record())
    assert (src.n, src.file, src.chunk_id, src.doc_id, src.kind, src.heading) == (3, "/a/b.docx", 7, 1, "docx",
                                                                                  "Leave")
    assert src.location.describe() == "Leave, ¶4"

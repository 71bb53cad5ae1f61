"""Blocks -> chunks: structure respected, sizes bounded, nothing lost, locations merged."""

from __future__ import annotations

import itertools
import re
import time

import pytest

from indexing.blocks import Block
from indexing.chunking import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_MIN_TOKENS,
    approx_tokens,
    chunk_blocks,
    split_text,
)
from indexing.chunks import Chunk
from indexing.locations import Location

ZH_SENTENCE = "员工应当遵守公司的各项规章制度，认真履行岗位职责。"
EN_SENTENCE = "Employees must follow the rules of the company and do their work well. "


def visible(text: str) -> str:
    return re.sub(r"\s+", "", text)


def para(text: str, n: int, group: tuple = ("s",), **kw: object) -> Block:
    return Block(text=text, location=Location(heading="H", paragraph=n), group=group, **kw)


def test_approx_tokens_scales_with_script() -> None:
    assert approx_tokens("") == 0
    assert 7 <= approx_tokens("员工应当遵守公司的规章制度") <= 13  # 13 characters, Qwen: ~9 tokens
    assert 10 <= approx_tokens("Employees must follow the rules of the company.") <= 14  # Qwen: 10
    assert approx_tokens("2024-03-01") >= 8  # Qwen spells digits one by one


def test_blocks_merge_within_a_group_only() -> None:
    blocks = [para("第一段。", 1, ("a",)), para("第二段。", 2, ("a",)), para("第三段。", 3, ("b",))]
    chunks = list(chunk_blocks(blocks))
    assert [c.text for c in chunks] == ["第一段。\n第二段。", "第三段。"]
    assert [c.ordinal for c in chunks] == [0, 1]
    assert chunks[0].location.paragraph == 1  # the first paragraph of the chunk


def test_pages_never_merge() -> None:
    blocks = [Block(text=f"第{i}页。", location=Location(page=i), group=(i,)) for i in range(1, 4)]
    chunks = list(chunk_blocks(blocks))
    assert [c.location.page for c in chunks] == [1, 2, 3]


def test_chinese_block_splits_at_sentence_ends() -> None:
    text = ZH_SENTENCE * 60
    chunks = list(chunk_blocks([para(text, 7)]))
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text.endswith("。")
        assert chunk.location == Location(heading="H", paragraph=7)
    assert visible("".join(c.text for c in chunks)) == visible(text)


def test_english_block_splits_at_sentence_ends() -> None:
    text = EN_SENTENCE * 60
    chunks = list(chunk_blocks([para(text, 1)]))
    assert len(chunks) > 1
    assert all(c.text.endswith("well.") for c in chunks)


def test_paragraph_breaks_come_before_sentences() -> None:
    first, second = ZH_SENTENCE * 8, EN_SENTENCE * 12
    pieces = split_text(first + "\n\n" + second, 200)
    assert pieces == [first, second.strip()]


def test_text_without_any_boundary_is_cut_between_characters() -> None:
    text = "字" * 2000
    pieces = split_text(text, 100)
    assert "".join(pieces) == text
    assert all(approx_tokens(p) <= 100 for p in pieces)


def test_long_english_clause_cut_between_words() -> None:
    text = " ".join(f"word{i}" for i in range(600))
    pieces = split_text(text, 100)
    assert " ".join(pieces) == text  # every cut on a space: no word broken


def test_heading_attaches_to_following_text() -> None:
    blocks = [
        para("第一段。" * 70, 1),
        para("3.2 病假", 2, is_heading=True),
        para("病假需提供医院证明。" * 30, 3),
    ]
    chunks = list(chunk_blocks(blocks, max_tokens=200))
    assert not any(c.text.endswith("3.2 病假") for c in chunks)
    assert any("3.2 病假\n病假需提供医院证明。" in c.text for c in chunks)


def test_heading_moves_to_the_next_chunk_rather_than_end_one() -> None:
    blocks = [
        para("第一段。" * 45, 1),
        para("3.2 病假", 2, is_heading=True),
        para("病假需提供证明。" * 20, 3),
    ]
    chunks = list(chunk_blocks(blocks, max_tokens=200))
    assert [c.text.split("\n")[0] for c in chunks] == ["第一段。" * 45, "3.2 病假"]
    assert chunks[1].location.paragraph == 2


def test_heading_alone_in_its_group_is_kept() -> None:
    blocks = [para("第三章 请假", 1, ("a",), is_heading=True), para("正文。", 2, ("b",))]
    assert [c.text for c in chunk_blocks(blocks)] == ["第三章 请假", "正文。"]


def test_table_chunks_repeat_the_header() -> None:
    header = "工号 | 姓名 | 部门"
    rows = [
        Block(
            text=f"工号: E{10000 + i} | 姓名: 张三{i} | 部门: 信息技术部",
            location=Location(sheet="员工", rows=(i + 2, i + 2)),
            group=("员工",),
            header=header,
        )
        for i in range(200)
    ]
    chunks = list(chunk_blocks(rows))
    assert len(chunks) > 3
    assert all(c.text.startswith(header + "\n") for c in chunks)
    assert chunks[0].location.rows is not None and chunks[0].location.rows[0] == 2
    assert chunks[-1].location.rows is not None and chunks[-1].location.rows[1] == 201
    spans = [c.location.rows for c in chunks]
    assert all(a is not None and b is not None and a[1] + 1 == b[0] for a, b in itertools.pairwise(spans))
    assert all(c.location.sheet == "员工" for c in chunks)


def test_locations_merge_lines_and_keep_first_paragraph() -> None:
    blocks = [
        Block(text="a", location=Location(lines=(1, 3)), group=("f",)),
        Block(text="b", location=Location(lines=(4, 9)), group=("f",)),
    ]
    [chunk] = chunk_blocks(blocks)
    assert chunk.location == Location(lines=(1, 9))
    word = [
        Block(text="x", location=Location(heading="A > B", paragraph=5), group=("A > B",), heading="A > B"),
        Block(text="y", location=Location(heading="A > B", paragraph=6), group=("A > B",), heading="A > B"),
    ]
    [chunk] = chunk_blocks(word)
    assert chunk.location == Location(heading="A > B", paragraph=5)
    assert chunk.heading == "A > B"


def test_small_tail_takes_from_the_chunk_before() -> None:
    rows = [para(f"第{i}条规定的内容。" * 3, i) for i in range(1, 40)]
    chunks = list(chunk_blocks(rows, max_tokens=200, min_tokens=60))
    assert approx_tokens(chunks[-1].text) >= 60


def test_empty_blocks_make_no_chunks() -> None:
    assert list(chunk_blocks([para("  ", 1), para("\n", 2)])) == []
    assert list(chunk_blocks([])) == []


@pytest.mark.parametrize("max_tokens", [40, 120, DEFAULT_MAX_TOKENS])
def test_bounds_and_nothing_lost_on_mixed_document(max_tokens: int) -> None:
    blocks = _mixed_document()
    chunks = list(chunk_blocks(blocks, max_tokens=max_tokens))
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(c.text.strip() for c in chunks)
    assert all(approx_tokens(c.text) <= max_tokens for c in chunks)
    assert _all_text_present(blocks, chunks)


def _mixed_document() -> list[Block]:
    blocks: list[Block] = []
    for page in range(1, 4):
        group = (page,)
        blocks.append(Block(text=f"第{page}章", location=Location(page=page), group=group, is_heading=True))
        blocks.append(Block(text=ZH_SENTENCE * (page * 9), location=Location(page=page), group=group))
        blocks.append(Block(text=EN_SENTENCE * (page * 7), location=Location(page=page), group=group))
        blocks.append(Block(text="短句。", location=Location(page=page), group=group))
    return blocks


def _all_text_present(blocks: list[Block], chunks: list[Chunk]) -> bool:
    """Every non-space character of the input, in order, in the chunks (headers aside)."""
    out = visible("".join(c.text for c in chunks))
    return out == visible("".join(b.text for b in blocks))


def test_defaults() -> None:
    assert 250 <= DEFAULT_MAX_TOKENS <= 400
    assert 0 < DEFAULT_MIN_TOKENS < DEFAULT_MAX_TOKENS // 2


def test_large_sheet_is_fast() -> None:
    rows = [
        Block(
            text=f"工号: E{i} | 姓名: 张三 | 部门: IT | 日期: 2024-03-01",
            location=Location(sheet="S", rows=(i, i)),
            group=("S",),
            header="工号 | 姓名 | 部门 | 日期",
        )
        for i in range(2, 50_002)
    ]
    start = time.process_time()
    chunks = list(chunk_blocks(rows))
    assert time.process_time() - start < 3.0  # ~0.3 s on a developer machine; generous for CI
    assert chunks[-1].location.rows == (chunks[-1].location.rows[0], 50_001)

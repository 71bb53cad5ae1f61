"""Plain text, Markdown and CSV: encodings, line numbers, headings, self-describing rows."""

from __future__ import annotations

import codecs
import itertools
from pathlib import Path

import pytest

from indexing.blocks import Block
from indexing.errors import FileProblem, ProblemKind
from indexing.locations import Location
from indexing.parsers import ParsedDocument, open_document
from indexing.parsers.text import detect_bytes_encoding, looks_like_header, sniff_delimiter

LEAVE_ZH = "第一条 员工请假须提前申请。\n病假须提供医院证明。\n\n第二条 年假按工龄计算。\n"
LEAVE_TW = "第一條 員工請假須提前申請。\n病假須提供醫院證明。\n\n第二條 年假按工齡計算。\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def read_all(path: Path) -> tuple[ParsedDocument, list[Block]]:
    doc = open_document(path)
    return doc, list(doc.blocks)


# --- encodings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # Python writes a BOM
        ("gbk", "gb18030"),
        ("gb18030", "gb18030"),
    ],
)
def test_simplified_chinese_in_each_encoding(tmp_path: Path, encoding: str, reported: str) -> None:
    doc, blocks = read_all(write(tmp_path / "leave.txt", LEAVE_ZH, encoding))
    assert doc.info.encoding == reported
    assert [b.text for b in blocks] == [
        "第一条 员工请假须提前申请。\n病假须提供医院证明。",
        "第二条 年假按工龄计算。",
    ]


def test_traditional_chinese_big5(tmp_path: Path) -> None:
    doc, blocks = read_all(write(tmp_path / "leave.txt", LEAVE_TW, "cp950"))
    assert doc.info.encoding == "cp950"
    assert blocks[1].text == "第二條 年假按工齡計算。"


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("年假制度", "gbk", "gb18030"),  # charset-normalizer alone says Big5
        ("Name,部门\nZhang San,信息技术部\n", "gbk", "gb18030"),  # charset-normalizer alone says cp949
        ("《员工守则》（试行）：第一章", "gbk", "gb18030"),  # mostly punctuation
        ("員工請假規定", "cp950", "cp950"),
        ("plain ascii", "ascii", "utf-8"),
        ("Ünïcödé", "utf-8", "utf-8"),
        ("Café crème brûlée, déjà vu, naïve façade, über, señor", "cp1252", "cp1252"),
    ],
)
def test_detect_short_samples(text: str, encoding: str, expected: str) -> None:
    data = text.encode(encoding)
    detected = detect_bytes_encoding(data)
    assert detected == expected
    assert data.decode(detected) == text


def test_utf8_bom_is_dropped() -> None:
    data = codecs.BOM_UTF8 + b"BOM first"
    assert detect_bytes_encoding(data) == "utf-8-sig"
    assert data.decode("utf-8-sig") == "BOM first"


def test_utf16_without_bom() -> None:
    data = "Hello world, this is UTF-16 without a byte order mark.\n".encode("utf-16-le")
    assert detect_bytes_encoding(data) == "utf-16-le"
    assert detect_bytes_encoding("Big-endian text, no BOM".encode("utf-16-be")) == "utf-16-be"


def test_ascii_start_with_chinese_further_down(tmp_path: Path) -> None:
    """A log whose first 64 KB are ASCII and whose Chinese lines come later is still read as GBK."""
    text = "INFO started\n" * 8000 + "\n错误：数据库连接失败\n"
    doc, blocks = read_all(write(tmp_path / "server.log", text, "gbk"))
    assert doc.info.encoding == "gb18030"
    assert blocks[-1].text == "错误：数据库连接失败"
    assert blocks[-1].location == Location(lines=(8002, 8002))


def test_binary_named_txt_is_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(FileProblem) as caught:
        read_all(path)
    assert caught.value.kind is ProblemKind.WRONG_TYPE


def test_whitespace_only_is_empty(tmp_path: Path) -> None:
    with pytest.raises(FileProblem) as caught:
        read_all(write(tmp_path / "blank.txt", "  \n\n\t\n"))
    assert caught.value.kind is ProblemKind.EMPTY


# --- plain text ------------------------------------------------------------------------------------------


def test_paragraphs_with_line_numbers(tmp_path: Path) -> None:
    text = "\n\nFirst para\nstill first\n\n\n\nSecond para\r\nwith CRLF\r\n\r\nThird"
    doc, blocks = read_all(write(tmp_path / "notes.txt", text))
    assert [(b.text, b.location.lines) for b in blocks] == [
        ("First para\nstill first", (3, 4)),
        ("Second para\nwith CRLF", (8, 9)),
        ("Third", (11, 11)),
    ]
    assert {b.group for b in blocks} == {("file",)}
    assert doc.info.kind == "text"
    assert doc.info.title == "notes"


def test_long_paragraphs_are_cut(tmp_path: Path) -> None:
    lines = [f"log line {n:04d} " + "x" * 40 for n in range(1, 201)]
    _, blocks = read_all(write(tmp_path / "app.log", "\n".join(lines)))
    assert len(blocks) > 4
    assert all(len(b.text) <= 2000 for b in blocks)
    # Every line is in exactly one block, in order, and the line numbers say which.
    spans = [b.location.lines for b in blocks]
    assert spans[0][0] == 1 and spans[-1][1] == 200
    assert all(a[1] + 1 == b[0] for a, b in itertools.pairwise(spans))
    assert blocks[1].text.startswith(f"log line {spans[1][0]:04d}")


def test_one_huge_line_is_split_on_spaces(tmp_path: Path) -> None:
    _, blocks = read_all(write(tmp_path / "one.txt", "word " * 2000))
    assert len(blocks) >= 5
    assert all(b.location.lines == (1, 1) for b in blocks)
    assert all(not b.text.startswith("ord") for b in blocks)  # never cut inside a word


# --- Markdown --------------------------------------------------------------------------------------------

MARKDOWN = """\
Intro before any heading.

# 员工手册

Welcome.

## 3 Leave

### 3.2 Sick leave ###

Bring a note.

```bash
# this is a shell comment, not a heading
echo ok
```

## 4 Travel
Book early.
"""


def test_markdown_heading_paths(tmp_path: Path) -> None:
    doc, blocks = read_all(write(tmp_path / "handbook.md", MARKDOWN))
    assert doc.info.kind == "markdown"
    rows = [(b.text.split("\n")[0], b.heading, b.is_heading, b.location.lines) for b in blocks]
    assert rows == [
        ("Intro before any heading.", None, False, (1, 1)),
        ("员工手册", "员工手册", True, (3, 3)),
        ("Welcome.", "员工手册", False, (5, 5)),
        ("3 Leave", "员工手册 > 3 Leave", True, (7, 7)),
        ("3.2 Sick leave", "员工手册 > 3 Leave > 3.2 Sick leave", True, (9, 9)),
        ("Bring a note.", "员工手册 > 3 Leave > 3.2 Sick leave", False, (11, 11)),
        ("```bash", "员工手册 > 3 Leave > 3.2 Sick leave", False, (13, 16)),
        ("4 Travel", "员工手册 > 4 Travel", True, (18, 18)),
        ("Book early.", "员工手册 > 4 Travel", False, (19, 19)),
    ]
    code = blocks[6]
    assert "# this is a shell comment, not a heading" in code.text
    assert blocks[5].group == ("section", "员工手册 > 3 Leave > 3.2 Sick leave")
    assert blocks[0].group == ("section", "")


# --- CSV -------------------------------------------------------------------------------------------------


def test_csv_rows_are_self_describing(tmp_path: Path) -> None:
    text = 'Name,部门,Age\r\nZhang San,信息技术部,30\r\n"Li\r\nSi",HR,\r\n\r\nWang,"Sales, East",41,extra\r\n'
    doc, blocks = read_all(write(tmp_path / "staff.csv", text, "gbk"))
    assert doc.info.kind == "csv"
    assert doc.info.encoding == "gb18030"
    assert [(b.text, b.location.lines) for b in blocks] == [
        ("Name: Zhang San | 部门: 信息技术部 | Age: 30", (2, 2)),
        ("Name: Li\nSi | 部门: HR", (3, 4)),  # a quoted cell over two physical lines
        ("Name: Wang | 部门: Sales, East | Age: 41 | Column 4: extra", (6, 6)),
    ]
    assert {b.header for b in blocks} == {"Name | 部门 | Age"}
    assert {b.group for b in blocks} == {("table",)}


def test_csv_with_bom_semicolons(tmp_path: Path) -> None:
    text = "\ufeffProduct;Price\nTea;3,50\nCoffee;4,20\n"
    doc, blocks = read_all(write(tmp_path / "prices.csv", text))
    assert doc.info.encoding == "utf-8-sig"
    assert [b.text for b in blocks] == ["Product: Tea | Price: 3,50", "Product: Coffee | Price: 4,20"]


def test_tsv(tmp_path: Path) -> None:
    _, blocks = read_all(write(tmp_path / "x.tsv", "城市\t人口\n上海\t2487万\n"))
    assert [(b.text, b.header, b.location.lines) for b in blocks] == [
        ("城市: 上海 | 人口: 2487万", "城市 | 人口", (2, 2))
    ]


def test_csv_without_header(tmp_path: Path) -> None:
    _, blocks = read_all(write(tmp_path / "n.csv", "2024-01-01,100,ok\n2024-01-02,250,late\n", "utf-16"))
    assert [(b.text, b.header, b.location.lines) for b in blocks] == [
        ("2024-01-01 | 100 | ok", None, (1, 1)),
        ("2024-01-02 | 250 | late", None, (2, 2)),
    ]


@pytest.mark.parametrize(
    ("sample", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('"x, y";z\n"1, 2";3\n', ";"),  # commas inside quoted fields do not count
        ("姓名，部门\n张三，IT\n", ","),  # no ASCII delimiter at all: default comma, one column
    ],
)
def test_sniff_delimiter(sample: str, delimiter: str) -> None:
    assert sniff_delimiter(sample) == delimiter


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["Name", "Dept"], True),
        (["姓名", "部门", "入职日期"], True),
        (["Zhang San", "30"], False),
        (["2024-01-01", "x"], False),
        (["a", "a"], False),
        (["", "", "x"], False),
    ],
)
def test_looks_like_header(cells: list[str], expected: bool) -> None:
    assert looks_like_header(cells) is expected


def test_codecs_used_are_real_names() -> None:
    for name in ("utf-8", "utf-8-sig", "utf-16", "utf-32", "gb18030", "cp950"):
        codecs.lookup(name)

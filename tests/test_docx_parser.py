"""Word parser: reading order, heading paths, paragraph numbers, tables as records, headers once."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

docx = pytest.importorskip("docx")

from docx.enum.style import WD_STYLE_TYPE  # noqa: E402
from docx.oxml import parse_xml  # noqa: E402
from docx.oxml.ns import nsdecls, qn  # noqa: E402

from indexing.blocks import Block, DocumentInfo  # noqa: E402
from indexing.errors import FileProblem, ProblemKind  # noqa: E402
from indexing.limits import Limits  # noqa: E402
from indexing.locations import Location  # noqa: E402
from indexing.parsers import docx as docx_parser  # noqa: E402


def parse(path: Path) -> tuple[list[Block], DocumentInfo]:
    info = DocumentInfo()
    blocks = list(docx_parser.parse(path, info, Limits()))
    return blocks, info


def by_text(blocks: list[Block], text: str) -> Block:
    matches = [b for b in blocks if b.text == text]
    assert matches, f"no block {text!r} in {[b.text for b in blocks]}"
    return matches[0]


@pytest.fixture()
def handbook(tmp_path: Path) -> Path:
    """Title, headings on two levels, a table between paragraphs, a header repeated by two sections."""
    document = docx.Document()
    document.core_properties.title = ""
    document.add_paragraph("Employee Handbook", style="Title")
    document.add_paragraph("Welcome to ACME.")
    document.add_heading("3 Leave", level=1)
    document.add_paragraph("Leave is granted per year.")
    document.add_heading("3.2 Sick leave", level=2)
    document.add_paragraph("")  # empty paragraphs are not counted
    document.add_paragraph("Sick leave needs a note.")
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, [("Name", "Dept"), ("Zhang San", "IT"), ("Li Si", "HR")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("After the table.")
    document.add_heading("4 Pay", level=1)
    document.add_paragraph("Pay day is the 25th.")
    first = document.sections[0]
    first.header.paragraphs[0].text = "ACME Handbook 2024"
    first.footer.paragraphs[0].text = "Confidential"
    second = document.add_section()
    second.header.is_linked_to_previous = False
    second.header.paragraphs[0].text = "ACME Handbook 2024"  # same text in a second header part
    second.footer.is_linked_to_previous = False
    second.footer.paragraphs[0].text = "7"  # a bare page number says nothing
    document.add_paragraph("Appendix text.")
    path = tmp_path / "handbook.docx"
    document.save(path)
    return path


def test_heading_paths_and_paragraph_numbers(handbook: Path) -> None:
    blocks, info = parse(handbook)
    assert info.kind == "docx"
    assert info.title == "Employee Handbook"
    title = by_text(blocks, "Employee Handbook")
    assert title.is_heading and title.location == Location(heading="Employee Handbook", paragraph=1)
    welcome = by_text(blocks, "Welcome to ACME.")
    assert welcome.location == Location(heading="Employee Handbook", paragraph=2)
    leave = by_text(blocks, "3 Leave")
    assert leave.is_heading and leave.heading == "3 Leave" and leave.location.paragraph == 3
    sick = by_text(blocks, "Sick leave needs a note.")
    assert sick.location == Location(heading="3 Leave > 3.2 Sick leave", paragraph=6)
    assert (
        sick.group == ("section", "3 Leave > 3.2 Sick leave") and sick.heading == "3 Leave > 3.2 Sick leave"
    )
    assert not sick.is_heading
    after = by_text(blocks, "After the table.")
    assert after.location == Location(heading="3 Leave > 3.2 Sick leave", paragraph=7)  # tables do not count
    pay = by_text(blocks, "Pay day is the 25th.")
    assert pay.location == Location(heading="4 Pay", paragraph=9)  # a level-1 heading closes 3.2


def test_reading_order_interleaves_paragraphs_and_tables(handbook: Path) -> None:
    blocks, _ = parse(handbook)
    texts = [b.text for b in blocks]
    note, row = texts.index("Sick leave needs a note."), texts.index("Name: Zhang San | Dept: IT")
    after = texts.index("After the table.")
    assert note < row < after


def test_table_rows_stand_alone_with_their_header(handbook: Path) -> None:
    blocks, _ = parse(handbook)
    rows = [b for b in blocks if b.group == ("table", 1)]
    assert [b.text for b in rows] == ["Name: Zhang San | Dept: IT", "Name: Li Si | Dept: HR"]
    assert rows[0].header == "Name | Dept"
    assert rows[0].location == Location(heading="3 Leave > 3.2 Sick leave", table=1, rows=(1, 1))
    assert rows[1].location.rows == (2, 2)
    assert rows[0].location.to_json() == {"heading": "3 Leave > 3.2 Sick leave", "table": 1, "rows": [1, 1]}


def test_header_and_footer_once(handbook: Path) -> None:
    blocks, _ = parse(handbook)
    headers = [b for b in blocks if b.location.heading == docx_parser.HEADER_LABEL]
    footers = [b for b in blocks if b.location.heading == docx_parser.FOOTER_LABEL]
    assert [b.text for b in headers] == ["ACME Handbook 2024"]
    assert [b.text for b in footers] == ["Confidential"]
    assert headers[0].location.paragraph is None and headers[0].group == ("header",)
    assert blocks[0] is headers[0] and blocks[-1] is footers[0]


def test_localized_heading_style_and_outline_level(tmp_path: Path) -> None:
    document = docx.Document()
    for level in (1, 2):
        style = document.styles.add_style(f"标题 {level}", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Normal"]
    document.add_paragraph("第一章 总则", style="标题 1")
    document.add_paragraph("第一节 目的", style="标题 2")
    document.add_paragraph("为规范管理，制定本制度。")
    outlined = document.add_paragraph("第二章 假期")  # Normal style, outline level set on the paragraph
    outlined._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="0"/>'))
    document.add_paragraph("年假五天。")
    path = tmp_path / "zh.docx"
    document.save(path)
    blocks, _ = parse(path)
    assert by_text(blocks, "为规范管理，制定本制度。").heading == "第一章 总则 > 第一节 目的"
    assert by_text(blocks, "第二章 假期").is_heading
    assert by_text(blocks, "年假五天。").location == Location(heading="第二章 假期", paragraph=5)


def test_merged_cells_fill_down_and_span_once(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=4, cols=3)
    data = [("Dept", "Name", "Phone"), ("IT", "Zhang San", "101"), ("", "Li Si", "102"), ("HR", "Notes", "")]
    for row, values in zip(table.rows, data, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    table.cell(1, 0).merge(table.cell(2, 0))  # "IT" spans two rows: vMerge
    table.cell(3, 1).merge(table.cell(3, 2))  # "Notes" spans two columns: gridSpan
    path = tmp_path / "merged.docx"
    document.save(path)
    blocks, _ = parse(path)
    texts = [b.text for b in blocks]
    assert texts == [
        "Dept: IT | Name: Zhang San | Phone: 101",
        "Dept: IT | Name: Li Si | Phone: 102",  # the merged category applies to the second row too
        "Dept: HR | Name: Notes",  # the spanning cell appears once, under its first column
    ]


def test_nested_table_is_flattened_into_its_cell(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Item", "Details"
    table.cell(1, 0).text = "Laptop"
    inner = table.cell(1, 1).add_table(rows=2, cols=2)
    inner.cell(0, 0).text, inner.cell(0, 1).text = "CPU", "8 cores"
    inner.cell(1, 0).text, inner.cell(1, 1).text = "RAM", "16 GB"
    path = tmp_path / "nested.docx"
    document.save(path)
    blocks, _ = parse(path)
    assert [b.text for b in blocks] == ["Item: Laptop | Details: CPU 8 cores; RAM 16 GB"]
    assert blocks[0].location.table == 1  # the nested table does not take a table number


def test_content_controls_tracked_changes_and_alternate_content(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Before.")
    path = tmp_path / "controls.docx"
    document.save(path)
    body = document.element.body
    w = nsdecls("w")
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    xml = [
        f"<w:sdt {w}><w:sdtContent><w:p><w:r><w:t>Inside a block control.</w:t></w:r></w:p></w:sdtContent></w:sdt>",
        f"<w:p {w}><w:r><w:t>Name: </w:t></w:r><w:sdt><w:sdtContent><w:r><w:t>Zhang San</w:t></w:r>"
        "</w:sdtContent></w:sdt></w:p>",
        f"<w:p {w}><w:del><w:r><w:delText>old words</w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>new words</w:t></w:r></w:ins></w:p>",
        f"<w:p {w} {mc}><w:r><mc:AlternateContent><mc:Choice Requires='wps'><w:t>Box text</w:t></mc:Choice>"
        "<mc:Fallback><w:t>Box text</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>",
    ]
    sect = body.find(qn("w:sectPr"))
    for fragment in xml:
        sect.addprevious(parse_xml(fragment))
    document.save(path)
    blocks, _ = parse(path)
    assert [b.text for b in blocks] == [
        "Before.",
        "Inside a block control.",
        "Name: Zhang San",
        "new words",
        "Box text",
    ]
    assert [b.location.paragraph for b in blocks] == [1, 2, 3, 4, 5]


def test_header_row_marked_to_repeat_and_caption_row(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=4, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Table 1: Staff"
    table.cell(1, 0).text, table.cell(1, 1).text = "Name", "Age"
    table.cell(2, 0).text, table.cell(2, 1).text = "Zhang San", "30"
    table.cell(3, 0).text, table.cell(3, 1).text = "Li Si", "41"
    path = tmp_path / "caption.docx"
    document.save(path)
    blocks, _ = parse(path)
    assert blocks[0].text == "Table 1: Staff" and blocks[0].location == Location(table=1, heading=None)
    assert [b.text for b in blocks[1:]] == ["Name: Zhang San | Age: 30", "Name: Li Si | Age: 41"]
    assert blocks[1].location.rows == (1, 1) and blocks[1].header == "Name | Age"


def test_numeric_first_row_is_data_not_header(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "2023", "118"
    table.cell(1, 0).text, table.cell(1, 1).text = "2024", "131"
    path = tmp_path / "numbers.docx"
    document.save(path)
    blocks, _ = parse(path)
    assert [(b.text, b.header, b.location.rows) for b in blocks] == [
        ("2023 | 118", None, (1, 1)),
        ("2024 | 131", None, (2, 2)),
    ]


def test_empty_document(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    docx.Document().save(path)
    with pytest.raises(FileProblem) as caught:
        parse(path)
    assert caught.value.kind is ProblemKind.EMPTY


def test_workbook_named_docx_is_wrong_type(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active["A1"] = "x"
    path = tmp_path / "really-a-workbook.docx"
    book.save(path)
    with pytest.raises(FileProblem) as caught:
        parse(path)
    assert caught.value.kind is ProblemKind.WRONG_TYPE
    assert "Excel" in caught.value.detail


def test_text_is_normalized(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("ＡＢＣ１２３  ⽤户\u200b手册，第一版。")
    path = tmp_path / "fold.docx"
    document.save(path)
    blocks, _ = parse(path)
    assert blocks[0].text == "ABC123 用户手册，第一版。"


# ---------------------------------------------------------------------------------------------- corpus


def _raw_text(path: Path) -> str:
    """Text of w:t elements in the body, header and footer parts, found without our parser."""
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if re.match(r"word/(document|header\d*|footer\d*)\.xml$", n)]
        xml = "".join(zf.read(n).decode("utf-8", "replace") for n in names)
    return "".join(re.findall(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>", xml)).strip()


@pytest.mark.shared
@pytest.mark.timeout(300)
def test_corpus_parses(shared_dir: Path) -> None:
    files = sorted(
        p for p in (shared_dir / "docx").rglob("*") if p.suffix.lower() in (".docx", ".docm", ".dotx")
    )
    assert len(files) > 150
    ok, failures = 0, []
    for path in files:
        try:
            blocks, _ = parse(path)
        except FileProblem as problem:
            if problem.kind is ProblemKind.EMPTY:
                # EMPTY must be true: no visible w:t text in the body, headers or footers.
                assert not _raw_text(path), f"{path} said EMPTY but has text"
                ok += 1
            else:
                failures.append((path.name, problem.kind, problem.detail))
            continue
        assert all(b.text.strip() for b in blocks), path
        ok += 1
    assert ok / len(files) >= 0.97, failures
    assert {kind for _, kind, _ in failures} <= {ProblemKind.UNSUPPORTED, ProblemKind.CORRUPT}, failures


@pytest.mark.shared
def test_corpus_strict_ooxml_is_unsupported(shared_dir: Path) -> None:
    with pytest.raises(FileProblem) as caught:
        parse(shared_dir / "docx" / "docling-tests" / "Strict.docx")
    assert caught.value.kind is ProblemKind.UNSUPPORTED


@pytest.mark.shared
def test_corpus_chinese_template(shared_dir: Path) -> None:
    path = (
        shared_dir / "docx" / "poi-tl" / "poi-tl" / "src" / "test" / "resources" / "payment" / "payment.docx"
    )
    blocks, info = parse(path)
    assert info.title == "付款通知书"
    assert by_text(blocks, "本文档由Poi-tL生成").location == Location(heading="Header")
    goods = [b for b in blocks if b.group == ("table", 2) and b.header]
    assert goods[0].header == "数量 | 货物 | 说明 | 折扣 | 应纳税 | 单价 | 总计"
    assert goods[0].heading == "付款通知书"
    assert "税额: | {{tax}}" in [b.text for b in blocks]


@pytest.mark.shared
def test_corpus_numbered_headings(shared_dir: Path) -> None:
    blocks, _ = parse(shared_dir / "docx" / "docling-tests" / "unit_test_headers_numbered.docx")
    paragraph = by_text(blocks, "Paragraph 1.2.3.1")
    assert paragraph.heading == "1. Section 1 > 1.2. Section 1.2 > 1.2.1. Section 1.2.3"
    assert by_text(blocks, "2. Section 2").is_heading


@pytest.mark.shared
def test_corpus_headers_with_equations(shared_dir: Path) -> None:
    blocks, _ = parse(shared_dir / "docx" / "mineru" / "docx_01.docx")
    headers = [b.text for b in blocks if b.location.heading == "Header"]
    assert "这是带公式的页眉e=mc2" in headers
    assert by_text(blocks, "MinerU支持docx解析了").heading == "MinerU supports DOCX document parsing now"


@pytest.mark.shared
def test_corpus_macro_enabled_document_reads(shared_dir: Path) -> None:
    blocks, info = parse(shared_dir / "malformed" / "wrong-type" / "SimpleMacro.docm")
    assert info.kind == "docx" and blocks


def test_file_name_title_kept_without_a_real_title(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = ""
    document.add_paragraph("Just text.")
    path = tmp_path / "notes.docx"
    document.save(path)
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp_path / "bare.docx", "w") as zout:
        for item in zin.infolist():  # drop docProps/core.xml and its relationship
            data = zin.read(item)
            if item.filename == "_rels/.rels":
                data = re.sub(rb'<Relationship [^>]*core-properties"[^>]*/>', b"", data)
            if item.filename != "docProps/core.xml":
                zout.writestr(item, data)
    info = DocumentInfo(title="notes")
    blocks = list(docx_parser.parse(tmp_path / "bare.docx", info, Limits()))
    assert [b.text for b in blocks] == ["Just text."]
    assert info.title == "notes"  # not python-docx's invented "Word Document"

"""Excel parser: header detection, self-describing rows, values as Excel shows them, merged cells, limits."""

from __future__ import annotations

import datetime as dt
import re
import time
import zipfile
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("python_calamine")

from openpyxl.chart import BarChart, Reference  # noqa: E402

from indexing.blocks import Block, DocumentInfo  # noqa: E402
from indexing.errors import FileProblem, ProblemKind  # noqa: E402
from indexing.limits import Limits  # noqa: E402
from indexing.locations import Location  # noqa: E402
from indexing.parsers import xlsx  # noqa: E402
from indexing.parsers.xlsx import NumberFormat, display, number_format  # noqa: E402


def parse(path: Path, limits: Limits | None = None) -> tuple[list[Block], DocumentInfo]:
    info = DocumentInfo()
    blocks = list(xlsx.parse(path, info, limits or Limits()))
    return blocks, info


def row(blocks: list[Block], sheet: str, number: int) -> Block:
    matches = [b for b in blocks if b.location == Location(sheet=sheet, rows=(number, number))]
    assert matches, f"no block for {sheet} row {number}: {[(b.location.rows, b.text) for b in blocks]}"
    return matches[0]


@pytest.fixture()
def report(tmp_path: Path) -> Path:
    book = openpyxl.Workbook()
    staff = book.active
    staff.title = "Staff"
    staff.append(["Quarterly staff report"])
    staff.merge_cells("A1:G1")  # a title row above the header, merged across it
    staff.append(["Name", "Dept", "Start", "Last login", "Score", "Rate", "Active"])
    staff.append(
        ["Zhang San", "IT", dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 9, 30), 0.1 + 0.2, 0.15, True]
    )
    staff.append(["Li Si", None, dt.datetime(2024, 3, 2), None, 1.0, 0.125, False])
    staff.merge_cells("B3:B4")  # a category cell spanning two rows
    staff.append([])  # an empty row: skipped
    staff.append(["Wang Wu", "HR", dt.date(2024, 4, 1), None, 7, None, None, "=E6*2"])  # no cached value
    staff["F3"].number_format = "0%"
    staff["F4"].number_format = "0.0%"
    groups = book.create_sheet("Groups")
    groups.append(["Name", "Score", None])
    groups.append([None, "Math", "English"])
    groups.merge_cells("A1:A2")
    groups.merge_cells("B1:C1")  # a group name over two sub-headers
    groups.append(["Zhang San", 90, 85])
    groups.append(["Li Si", 78, 92])
    chart = BarChart()
    chart.add_data(Reference(groups, min_col=2, min_row=3, max_row=4))
    book.create_chartsheet("Chart").add_chart(chart)
    book.create_sheet("Empty")
    path = tmp_path / "report.xlsx"
    book.save(path)
    return path


def test_records_under_the_detected_header(report: Path) -> None:
    blocks, info = parse(report)
    assert info.kind == "xlsx"
    assert info.sheets == ["Staff", "Groups", "Empty"]  # the chart sheet has no rows
    first = row(blocks, "Staff", 3)
    assert first.text == (
        "Staff | Name: Zhang San | Dept: IT | Start: 2024-03-01 | Last login: 2024-03-01 09:30 | Score: 0.3"
        " | Rate: 15% | Active: TRUE"
    )
    assert first.header == "Name | Dept | Start | Last login | Score | Rate | Active"
    assert first.group == ("sheet", "Staff")
    assert first.location.to_json() == {"sheet": "Staff", "rows": [3, 3]}


def test_title_row_kept_without_header(report: Path) -> None:
    blocks, _ = parse(report)
    title = row(blocks, "Staff", 1)
    assert title.text == "Staff | Quarterly staff report" and title.header is None
    assert not [b for b in blocks if b.location.rows == (2, 2) and b.location.sheet == "Staff"]  # the header


def test_merged_category_fills_down_and_values_read_as_shown(report: Path) -> None:
    blocks, _ = parse(report)
    second = row(blocks, "Staff", 4)
    # midnight datetime -> date only; 1.0 -> 1; 0.125 as 0.0% -> 12.5%; FALSE shown; Dept from the merge.
    assert (
        second.text
        == "Staff | Name: Li Si | Dept: IT | Start: 2024-03-02 | Score: 1 | Rate: 12.5% | Active: FALSE"
    )


def test_empty_rows_skipped_and_formula_text_never_shown(report: Path) -> None:
    blocks, _ = parse(report)
    staff_rows = [b.location.rows for b in blocks if b.location.sheet == "Staff"]
    assert staff_rows == [(1, 1), (3, 3), (4, 4), (6, 6)]
    assert row(blocks, "Staff", 6).text == "Staff | Name: Wang Wu | Dept: HR | Start: 2024-04-01 | Score: 7"
    assert not any("=" in b.text for b in blocks)


def test_two_level_merged_header(report: Path) -> None:
    blocks, _ = parse(report)
    first = row(blocks, "Groups", 3)
    assert first.text == "Groups | Name: Zhang San | Score Math: 90 | Score English: 85"
    assert first.header == "Name | Score Math | Score English"
    assert row(blocks, "Groups", 4).text == "Groups | Name: Li Si | Score Math: 78 | Score English: 92"


def test_row_limit_truncates_with_a_warning(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Item", "Qty"])
    for i in range(5):
        sheet.append([f"item {i}", i])
    path = tmp_path / "rows.xlsx"
    book.save(path)
    blocks, info = parse(path, Limits(max_rows_per_sheet=2))
    assert [b.location.rows for b in blocks] == [(2, 2), (3, 3)]
    assert info.warnings and "first 2 rows" in info.warnings[0]


def test_header_only_sheet_keeps_its_column_names(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Template"
    book.active.append(["姓名", "部门", "入职日期"])
    book.active.append(["姓名", "部门", "入职日期"])  # a repeated header is not data
    path = tmp_path / "template.xlsx"
    book.save(path)
    blocks, _ = parse(path)
    assert [(b.text, b.location.rows) for b in blocks] == [("Template | 姓名 | 部门 | 入职日期", (1, 1))]


def test_sheet_without_header_lists_values(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append([2023, 118.5])
    book.active.append([2024, 131])
    path = tmp_path / "numbers.xlsx"
    book.save(path)
    blocks, _ = parse(path)
    assert [(b.text, b.header) for b in blocks] == [
        ("Sheet | 2023 | 118.5", None),
        ("Sheet | 2024 | 131", None),
    ]


def test_far_apart_cells_take_the_sparse_path(tmp_path: Path) -> None:
    """A1 and Z1000000: calamine would build a 26-million-cell grid; the sparse reader does not."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Value"])
    sheet.append(["x", 1])
    sheet["Z1000000"] = "far away"
    path = tmp_path / "sparse.xlsx"
    book.save(path)
    with zipfile.ZipFile(path) as zf:
        scan = xlsx.scan_sheet(zf, "xl/worksheets/sheet1.xml", {})
    assert scan.cells > xlsx.CELL_CAP
    started = time.perf_counter()
    blocks, _ = parse(path)
    assert time.perf_counter() - started < 20
    assert [(b.text, b.location.rows) for b in blocks] == [
        ("Sheet | Name: x | Value: 1", (2, 2)),
        ("Sheet | far away", (1000000, 1000000)),
    ]


def test_huge_declared_dimension_with_few_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["Name", "Dept"])
    book.active.append(["Zhang San", "IT"])
    plain = tmp_path / "plain.xlsx"
    book.save(plain)
    path = tmp_path / "declared.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
                assert b"XFD1048576" in data
            zout.writestr(name, data)
    blocks, _ = parse(path)
    assert [b.text for b in blocks] == ["Sheet | Name: Zhang San | Dept: IT"]


def test_document_named_xlsx_is_wrong_type(tmp_path: Path) -> None:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("hello")
    path = tmp_path / "really-a-document.xlsx"
    document.save(path)
    with pytest.raises(FileProblem) as caught:
        parse(path)
    assert caught.value.kind is ProblemKind.WRONG_TYPE and "Word" in caught.value.detail


def test_empty_workbook(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(FileProblem) as caught:
        parse(path)
    assert caught.value.kind is ProblemKind.EMPTY


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (0.1 + 0.2, None, "0.3"),
        (1.0, None, "1"),
        (-0.0, None, "0"),
        (9014.27, None, "9014.27"),
        (1234567.0, None, "1234567"),
        (0.15, NumberFormat(percent=True, decimals=0), "15%"),
        (0.1234, NumberFormat(percent=True, decimals=2), "12.34%"),
        (2550.6899999999996, NumberFormat(percent=False, decimals=2), "2550.69"),
        (12, NumberFormat(percent=True, decimals=0), "1200%"),
        (True, None, "TRUE"),
        (dt.datetime(2024, 3, 1), None, "2024-03-01"),
        (dt.datetime(2024, 3, 1, 13, 5, 7), None, "2024-03-01 13:05:07"),
        (dt.datetime(2023, 1, 1, 0, 0, 0, 500000), None, "2023-01-01 00:00:01"),  # whole seconds, rounded
        (dt.datetime(2023, 1, 1, 0, 0, 0, 499000), None, "2023-01-01"),
        (dt.time(18, 56), None, "18:56"),
        (dt.timedelta(hours=27, minutes=5), None, "27:05"),
        (float("nan"), None, ""),
    ],
)
def test_display(value: object, fmt: NumberFormat | None, shown: str) -> None:
    assert display(value, fmt) == shown


@pytest.mark.parametrize(
    ("code", "fmt"),
    [
        ("General", None),
        ("0%", NumberFormat(percent=True, decimals=0)),
        ("0.00%", NumberFormat(percent=True, decimals=2)),
        ('#,##0.00 "元"', NumberFormat(percent=False, decimals=2)),
        ("[Red]#,##0.0;(#,##0.0)", NumberFormat(percent=False, decimals=1)),
        ('"%"0', NumberFormat(percent=False, decimals=0)),  # a quoted % is literal text
        ("yyyy-mm-dd", None),
        ('yyyy"年"m"月"d"日"', None),
        ("@", None),
        ("0.00E+00", None),
    ],
)
def test_number_format(code: str, fmt: NumberFormat | None) -> None:
    assert number_format(code) == fmt


# ---------------------------------------------------------------------------------------------- corpus


def _has_values(path: Path) -> bool:
    """Whether any worksheet holds a value, asked of openpyxl rather than our parser."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return any(
            v not in (None, "") for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r
        )
    finally:
        book.close()


@pytest.mark.shared
@pytest.mark.timeout(300)
def test_corpus_parses(shared_dir: Path) -> None:
    files = sorted(
        p for p in (shared_dir / "xlsx").rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm", ".xltx")
    )
    assert len(files) > 80
    ok, failures = 0, []
    for path in files:
        try:
            blocks, info = parse(path)
        except FileProblem as problem:
            if problem.kind is ProblemKind.EMPTY and problem.detail != "0 bytes":
                assert not _has_values(path), f"{path} said EMPTY but has values"
                ok += 1
            else:
                failures.append((path.name, problem.kind))
            continue
        assert blocks and info.sheets, path
        ok += 1
    assert ok / len(files) >= 0.9, failures
    # What may fail, and how: encrypted workbooks, an empty 0-byte file, a zip without [Content_Types].xml.
    assert {kind for _, kind in failures} <= {ProblemKind.ENCRYPTED, ProblemKind.EMPTY, ProblemKind.CORRUPT}
    assert [name for name, kind in failures if kind is ProblemKind.ENCRYPTED] == [
        "encryptAES.xlsx",
        "encryptSHA1.xlsx",
        "encryptSHA512.xlsx",
        "password_protected.xlsx",
    ]


@pytest.mark.shared
def test_corpus_cached_formula_values(shared_dir: Path) -> None:
    blocks, _ = parse(shared_dir / "xlsx" / "easyexcel" / "demo" / "cellDataDemo.xlsx")
    assert row(blocks, "Sheet1", 2).text == (
        "Sheet1 | 字符串标题: 字符串0 | 日期标题: 2020-01-01 01:01:01 | 数字标题: 1 | 公式: 字符串01"
    )
    blocks, _ = parse(shared_dir / "xlsx" / "mineru" / "xlsx_01.xlsx")
    assert row(blocks, "Sheet1", 8).text == "Sheet1 | first 123: 21 | second 123: hyperlink"  # =SUM(A2:A7)
    assert not any("DISPIMG" in b.text for b in blocks)  # a WPS in-cell picture is not text


@pytest.mark.shared
def test_corpus_chinese_merged_category(shared_dir: Path) -> None:
    blocks, info = parse(shared_dir / "xlsx" / "hutool" / "merge_test.xlsx")
    assert info.sheets == ["Sheet1", "Sheet2", "Sheet3"]
    assert row(blocks, "Sheet1", 2).text == "Sheet1 | 姓名: 张三 | 性别: 男 | 年龄: 11 | 鞋码: 41.5"
    assert (
        row(blocks, "Sheet1", 3).text == "Sheet1 | 姓名: 李四 | 性别: 女 | 年龄: 11 | 鞋码: 42"
    )  # C2:C3 merged
    assert row(blocks, "Sheet1", 2).header == "姓名 | 性别 | 年龄 | 鞋码"


@pytest.mark.shared
def test_corpus_title_above_header_and_chart_sheets(shared_dir: Path) -> None:
    blocks, _ = parse(shared_dir / "xlsx" / "docling-tests" / "xlsx_05_table_with_title.xlsx")
    assert row(blocks, "Duck Observations", 3).header is None
    assert (
        row(blocks, "Duck Observations", 6).text == "Duck Observations | Year: 2019 | Freshwater Ducks: 120"
    )
    _, info = parse(
        shared_dir
        / "xlsx"
        / "openpyxl"
        / "openpyxl"
        / "reader"
        / "tests"
        / "data"
        / "contains_chartsheets.xlsx"
    )
    assert info.sheets == ["data", "moredata"]  # "chart" between them is a chart sheet

"""The bundled samples: files present, questions.json well-formed, every answer really where it says.

These checks use only the libraries the parsers build on (pypdfium2, pypdf, python-docx, openpyxl), not the
project's own code, so a parser bug cannot hide a sample bug (or the other way round).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import re
import unicodedata
from functools import cache
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

HANDBOOK = "员工手册_Employee_Handbook.pdf"
POLICY = "IT_Security_Policy.docx"
WORKBOOK = "资产与报销_Assets_Expenses.xlsx"
FAQ = "常见问题FAQ.txt"
GUIDE = "访客与会议室指南.md"
DOCUMENTS = [HANDBOOK, POLICY, WORKBOOK, FAQ, GUIDE]
TEXT_ENCODINGS = {FAQ: "gbk", GUIDE: "utf-8"}
STANDARD_14 = {
    f"/{n}"
    for n in (
        "Helvetica",
        "Helvetica-Bold",
        "Helvetica-Oblique",
        "Helvetica-BoldOblique",
        "Times-Roman",
        "Times-Bold",
        "Times-Italic",
        "Times-BoldItalic",
        "Courier",
        "Courier-Bold",
        "Courier-Oblique",
        "Courier-BoldOblique",
        "Symbol",
        "ZapfDingbats",
    )
}
KEYS = {"id", "question", "language", "file", "location", "answer", "answerable", "tags"}


def norm(text: str) -> str:
    """NFKC, whitespace removed, case folded: how a snippet is compared with extracted text."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@cache
def questions() -> list[dict]:
    return json.loads((SAMPLES / "questions.json").read_text(encoding="utf-8"))


def answerable() -> list[dict]:
    return [q for q in questions() if q.get("answerable")]


# --------------------------------------------------------------------------------------------------
# Text of each place a location can point to ("units"), per format
# --------------------------------------------------------------------------------------------------


@cache
def pdf_pages_pdfium(name: str) -> tuple[str, ...]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(SAMPLES / name)
    try:
        return tuple(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


@cache
def pdf_pages_pypdf(name: str) -> tuple[str, ...]:
    import pypdf

    return tuple(page.extract_text() or "" for page in pypdf.PdfReader(SAMPLES / name).pages)


@cache
def docx_units(name: str) -> tuple[dict[str, str], dict[int, tuple[str, str]]]:
    """Text under each heading path ("3 Passwords > 3.2 Rotation"), and each table's (heading path, text).

    The heading path follows Word's Heading 1..9 styles; tables are numbered 1-based in document order.
    """
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(SAMPLES / name))
    body = document.element.body
    path: list[str] = []
    sections: dict[str, list[str]] = {}
    tables: dict[int, tuple[str, str]] = {}
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        heading = " > ".join(path)
        if tag == "p":
            para = Paragraph(child, document)
            match = re.fullmatch(r"Heading (\d)", para.style.name if para.style is not None else "")
            if match:
                level = int(match.group(1))
                path = [*path[: level - 1], para.text.strip()]
                sections.setdefault(" > ".join(path), [])
            else:
                sections.setdefault(heading, []).append(para.text)
        elif tag == "tbl":
            table = Table(child, document)
            text = "\n".join(" | ".join(cell.text for cell in row.cells) for row in table.rows)
            tables[len(tables) + 1] = (heading, text)
            sections.setdefault(heading, []).append(text)
    return {k: "\n".join(v) for k, v in sections.items()}, tables


def cell_texts(value: object, number_format: str) -> list[str]:
    """Ways a cell may be shown: the raw value and the usual renderings of numbers, percents and dates."""
    if value is None:
        return []
    out = [str(value)]
    if isinstance(value, dt.datetime):
        out.append(value.date().isoformat())
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out += [f"{value:,.2f}", f"{value:.2f}", f"{value:,.0f}" if float(value).is_integer() else str(value)]
        if "%" in number_format:
            out += [f"{value:.0%}", f"{value:.1%}"]
    return out


@cache
def xlsx_rows(name: str) -> dict[str, dict[int, str]]:
    """Each sheet's rows (1-based, as Excel numbers them) as text, formulas shown by their cached values."""
    import openpyxl

    wb = openpyxl.load_workbook(SAMPLES / name, data_only=True)
    try:
        return {
            ws.title: {
                row[0].row: " | ".join(t for c in row for t in cell_texts(c.value, c.number_format))
                for row in ws.iter_rows()
            }
            for ws in wb.worksheets
        }
    finally:
        wb.close()


@cache
def text_lines(name: str) -> tuple[str, ...]:
    text = (SAMPLES / name).read_bytes().decode(TEXT_ENCODINGS[name])
    return tuple(re.split(r"\r\n|\n|\r", text))


def text_at(q: dict) -> str:
    """The text at a question's expected location (asserting that the location exists)."""
    name, loc = q["file"], q["location"]
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        pages = pdf_pages_pdfium(name)
        assert 1 <= loc["page"] <= len(pages), f"{q['id']}: page {loc['page']} of {len(pages)}"
        return pages[loc["page"] - 1]
    if suffix == ".xlsx":
        sheets = xlsx_rows(name)
        assert loc["sheet"] in sheets, f"{q['id']}: no sheet {loc['sheet']!r} in {sorted(sheets)}"
        first, last = loc["rows"]
        rows = sheets[loc["sheet"]]
        assert first in rows and last in rows, f"{q['id']}: rows {first}-{last} outside the sheet"
        return "\n".join(rows[r] for r in range(first, last + 1))
    if suffix == ".docx":
        sections, tables = docx_units(name)
        assert loc["heading"] in sections, (
            f"{q['id']}: no heading {loc['heading']!r}; have {sorted(sections)}"
        )
        if "table" in loc:
            assert loc["table"] in tables, f"{q['id']}: no table {loc['table']}"
            heading, text = tables[loc["table"]]
            assert heading == loc["heading"], f"{q['id']}: table {loc['table']} is under {heading!r}"
            return text
        return sections[loc["heading"]]
    if suffix in (".txt", ".md"):
        lines = text_lines(name)
        first, last = loc["lines"]
        assert 1 <= first <= last <= len(lines), f"{q['id']}: lines {first}-{last} of {len(lines)}"
        return "\n".join(lines[first - 1 : last])
    raise AssertionError(f"{q['id']}: unexpected file type {name}")


def all_units() -> dict[tuple[str, str], str]:
    """Every citable place of every sample: (file, place) -> text."""
    units: dict[tuple[str, str], str] = {}
    for i, text in enumerate(pdf_pages_pdfium(HANDBOOK), start=1):
        units[(HANDBOOK, f"page {i}")] = text
    for heading, text in docx_units(POLICY)[0].items():
        units[(POLICY, heading)] = text
    for sheet, rows in xlsx_rows(WORKBOOK).items():
        for r, text in rows.items():
            units[(WORKBOOK, f"{sheet}!{r}")] = text
    for name in (FAQ, GUIDE):
        for i, line in enumerate(text_lines(name), start=1):
            units[(name, f"line {i}")] = line
    # The README is Markdown too: whoever indexes the whole folder indexes it; it must give no answer away.
    for i, line in enumerate((SAMPLES / "README.md").read_text(encoding="utf-8").splitlines(), start=1):
        units[("README.md", f"line {i}")] = line
    return units


# --------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------


def test_sample_files_exist() -> None:
    for name in [*DOCUMENTS, "questions.json", "README.md", "make_samples.py"]:
        path = SAMPLES / name
        assert path.is_file() and path.stat().st_size > 0, f"missing sample: {path}"
    referenced = {q["file"] for q in answerable()}
    assert referenced <= set(DOCUMENTS), referenced - set(DOCUMENTS)
    assert referenced == set(DOCUMENTS), f"no question about {set(DOCUMENTS) - referenced}"


def test_questions_well_formed() -> None:
    qs = questions()
    assert isinstance(qs, list) and len(qs) >= 19
    ids = [q["id"] for q in qs]
    assert ids == [f"q{i}" for i in range(1, len(qs) + 1)], "ids must be q1, q2, ... in order"
    for q in qs:
        assert set(q) == KEYS, f"{q['id']}: keys {sorted(set(q) ^ KEYS)}"
        assert q["language"] in ("zh", "en"), q["id"]
        assert isinstance(q["question"], str) and q["question"].strip(), q["id"]
        assert isinstance(q["tags"], list) and all(isinstance(t, str) for t in q["tags"]), q["id"]
        has_cjk = re.search(r"[\u4e00-\u9fff]", q["question"]) is not None
        assert has_cjk == (q["language"] == "zh"), f"{q['id']}: language {q['language']} vs the question text"
        if not q["answerable"]:
            assert q["file"] is None and q["location"] is None and q["answer"] is None, q["id"]
            continue
        assert q["answerable"] is True, q["id"]
        assert isinstance(q["answer"], str) and q["answer"].strip(), q["id"]
        loc, suffix = q["location"], Path(q["file"]).suffix.lower()
        if suffix == ".pdf":
            assert set(loc) == {"page"} and isinstance(loc["page"], int) and loc["page"] >= 1, q["id"]
        elif suffix == ".xlsx":
            assert set(loc) == {"sheet", "rows"} and isinstance(loc["sheet"], str), q["id"]
            assert len(loc["rows"]) == 2 and 1 <= loc["rows"][0] <= loc["rows"][1], q["id"]
        elif suffix == ".docx":
            assert set(loc) <= {"heading", "table"} and isinstance(loc["heading"], str) and loc["heading"], q[
                "id"
            ]
            assert isinstance(loc.get("table", 1), int) and loc.get("table", 1) >= 1, q["id"]
        elif suffix in (".txt", ".md"):
            assert set(loc) == {"lines"} and len(loc["lines"]) == 2, q["id"]
            assert 1 <= loc["lines"][0] <= loc["lines"][1], q["id"]
        else:
            raise AssertionError(f"{q['id']}: unexpected file {q['file']}")
    answerable_qs = answerable()
    assert len(answerable_qs) >= 16
    assert 2 <= len(qs) - len(answerable_qs) <= 5, "a few questions whose answer is in no sample"
    assert {q["language"] for q in answerable_qs} == {"zh", "en"}
    assert any("mixed" in q["tags"] for q in qs), "some questions mix Chinese and English"
    assert any(re.search(r"[A-Z]{2}-[A-Z0-9]+-\d{3,4}", q["question"]) for q in qs), "some name a code"


@pytest.mark.parametrize("q", answerable(), ids=lambda q: q["id"])
def test_answer_is_at_the_expected_location(q: dict) -> None:
    text = text_at(q)
    assert norm(q["answer"]) in norm(text), (
        f"{q['id']}: {q['answer']!r} not in {q['file']} {q['location']}:\n{text}"
    )


@pytest.mark.parametrize("q", [q for q in answerable() if q["file"].endswith(".pdf")], ids=lambda q: q["id"])
def test_pdf_answer_also_extracted_by_pypdf(q: dict) -> None:
    page = pdf_pages_pypdf(q["file"])[q["location"]["page"] - 1]
    assert norm(q["answer"]) in norm(page), (
        f"{q['id']}: pypdf does not find {q['answer']!r} on page {q['location']}"
    )


def test_answers_are_unambiguous() -> None:
    """An answer occurs in no other sample file, and a distinctive one in no other place of the same file."""
    units = all_units()
    for q in answerable():
        needle = norm(q["answer"])
        places = [key for key, text in units.items() if needle in norm(text)]
        other_files = {f for f, _ in places if f != q["file"]}
        if len(needle) >= 4:  # shorter ones ("20", "12天") are numbers that occur everywhere
            assert not other_files, f"{q['id']}: {q['answer']!r} also occurs in {other_files}"
        if len(needle) >= 6:
            assert len(places) == 1, f"{q['id']}: {q['answer']!r} occurs at {places}"


def test_unanswerable_questions_are_not_answered_anywhere() -> None:
    everything = norm("\n".join(all_units().values()))
    for word in ("期权", "vesting", "dresscode", "着装", "食堂", "cafeteria", "canteen"):
        assert norm(word) not in everything, (
            f"{word!r} now occurs in the samples: an unanswerable question may not be"
        )


def test_handbook_pdf() -> None:
    import pypdf

    pages = pdf_pages_pdfium(HANDBOOK)
    assert 5 <= len(pages) <= 8
    for i, text in enumerate(pages, start=1):
        assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 50, f"page {i}: little Chinese text extracted"
        assert "\ufffd" not in text and not re.search(r"[\u2e80-\u2fdf]", text), f"page {i}: garbled CJK"
        if i > 1:  # the cover has no footer
            assert f"Page {i} of {len(pages)}" in text, f"page {i}: footer page number"
    assert norm(pdf_pages_pypdf(HANDBOOK)[3]).count("年假") >= 3, "pypdf must read the Chinese too"
    reader = pypdf.PdfReader(SAMPLES / HANDBOOK)
    assert reader.metadata.title and "Employee Handbook" in reader.metadata.title
    assert reader.outline, "headings are bookmarked"
    # The fonts are embedded, so the pages render the same on a machine without Chinese fonts (a standard-14
    # font such as Helvetica needs no embedding; reportlab selects one at the start of each text object).
    for number, page in enumerate(reader.pages, start=1):
        embedded = 0
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get("/FontDescriptor")
            if descriptor is None:
                assert font.get("/Subtype") == "/Type1" and font.get("/BaseFont") in STANDARD_14, font
                continue
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.get(
                "/BaseFont"
            )
            embedded += 1
        assert embedded, f"page {number}: no embedded font"


def test_policy_docx() -> None:
    import docx

    document = docx.Document(str(SAMPLES / POLICY))
    headings = [(p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert sum(1 for s, _ in headings if s == "Heading 1") >= 5
    assert sum(1 for s, _ in headings if s == "Heading 2") >= 10
    for style, text in headings:
        if text[0].isdigit():  # numbered like "3 Passwords" / "3.2 Rotation", matching the style's level
            assert len(text.split(" ", 1)[0].split(".")) == int(style[-1]), text
    assert len(document.tables) >= 2
    section = document.sections[0]
    assert "Xinghe" in section.header.paragraphs[0].text
    assert "Internal" in section.footer.paragraphs[0].text
    assert document.core_properties.created.replace(tzinfo=None) == dt.datetime(2024, 3, 1, 9, 0), (
        "fixed dates"
    )


def test_workbook_xlsx() -> None:
    import openpyxl

    formulas = openpyxl.load_workbook(SAMPLES / WORKBOOK)
    values = openpyxl.load_workbook(SAMPLES / WORKBOOK, data_only=True)
    assert len(formulas.sheetnames) >= 3
    assert any(not re.search(r"[\u4e00-\u9fff]", n) for n in formulas.sheetnames), "an English sheet"
    n_formulas = 0
    for ws in formulas.worksheets:
        title_merge = [m for m in ws.merged_cells.ranges if m.min_row == 1 and m.max_row == 1]
        assert title_merge and title_merge[0].max_col >= 5, f"{ws.title}: a title merged across the columns"
        cached = values[ws.title]
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    n_formulas += 1
                    result = cached[cell.coordinate].value
                    assert isinstance(result, (int, float)), f"{ws.title}!{cell.coordinate}: no cached value"
    assert n_formulas >= 20
    expenses = values["报销明细"]
    assert expenses.max_row >= 40
    assert any(isinstance(c.value, dt.datetime) for c in expenses["B"]), "real dates"
    assert any("¥" in c.number_format for c in expenses["G"]), "currency format"
    # The cached results are right: depreciation = ROUND(price * (1 - residual) / years, 2).
    assets = values["固定资产"]
    for r in range(3, assets.max_row + 1):
        price, residual, years, result = (assets.cell(r, c).value for c in (9, 10, 11, 12))
        assert result == pytest.approx(round(price * (1 - residual) / years + 1e-9, 2)), f"固定资产!L{r}"
    assert any("%" in c.number_format for c in assets["J"]), "percent format"
    total = expenses.cell(expenses.max_row, 7).value
    assert total == pytest.approx(sum(expenses.cell(r, 7).value for r in range(4, expenses.max_row))), "SUM"


def test_faq_is_gbk() -> None:
    raw = (SAMPLES / FAQ).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gbk")
    assert "\r\n" in text, "saved with Windows line ends, as Notepad does"
    assert len(re.findall(r"^问\d+：", text, flags=re.M)) >= 30
    assert len(re.findall(r"^答：", text, flags=re.M)) >= 30
    (SAMPLES / GUIDE).read_bytes().decode("utf-8")  # the Markdown guide is UTF-8


def test_generator_reproduces_the_committed_samples(tmp_path: Path) -> None:
    """The committed files are what make_samples.py writes: text files byte for byte, the others by content
    (their bytes also match with the library versions named in samples/README.md)."""
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not any(Path(p).is_file() for p, _ in module.FONT_CANDIDATES):
        pytest.skip("no CJK TrueType font to build the PDF (apt-get install fonts-wqy-microhei)")
    try:
        module.main(["--out", str(tmp_path)])
    finally:
        module.OUT = SAMPLES
    for name in (FAQ, GUIDE, "questions.json"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), f"{name} differs: regenerate"

    import pypdfium2

    pdf = pypdfium2.PdfDocument(tmp_path / HANDBOOK)
    fresh = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    pdf.close()
    assert fresh == list(pdf_pages_pdfium(HANDBOOK)), "handbook text differs: regenerate"
    assert docx_content(tmp_path / POLICY) == docx_content(SAMPLES / POLICY), "policy differs: regenerate"
    assert xlsx_content(tmp_path / WORKBOOK) == xlsx_content(SAMPLES / WORKBOOK), (
        "workbook differs: regenerate"
    )


def docx_content(path: Path) -> list:
    import docx

    document = docx.Document(str(path))
    section = document.sections[0]
    return [
        [(p.style.name, p.text) for p in document.paragraphs],
        [[[c.text for c in row.cells] for row in t.rows] for t in document.tables],
        [p.text for p in (*section.header.paragraphs, *section.footer.paragraphs)],
    ]


def xlsx_content(path: Path) -> list:
    import openpyxl

    out = []
    for data_only in (False, True):  # formulas, then their cached results
        wb = openpyxl.load_workbook(path, data_only=data_only)
        for ws in wb.worksheets:
            cells = [(c.coordinate, c.value, c.number_format) for row in ws.iter_rows() for c in row]
            out.append((ws.title, sorted(str(m) for m in ws.merged_cells.ranges), cells))
        wb.close()
    return out

"""The source view on the real sample documents: the PDF page with the passage highlighted and in view,
Word and text passages in context, sheet and table rows selected, Open in default app."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QRectF, QUrl
from pytestqt.qtbot import QtBot

from indexing.library import Library
from indexing.locations import Location
from indexing.records import Passage
from tests.conftest import SAMPLES_DIR
from ui.passage_match import find_passage, parse_record, parse_table_chunk
from ui.source_view import SourceView

PDF = "员工手册_Employee_Handbook.pdf"
XLSX = "资产与报销_Assets_Expenses.xlsx"
DOCX = "IT_Security_Policy.docx"
TXT = "常见问题FAQ.txt"


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    if not (SAMPLES_DIR / PDF).is_file():
        pytest.skip("samples/ has not been generated")
    lib = Library.open(tmp_path_factory.mktemp("lib"))
    done = [e for e in lib.add([SAMPLES_DIR], workers=0) if e.kind == "file_done" and e.status == "indexed"]
    assert len(done) >= 5
    yield lib
    lib.close()


class _Services:
    def __init__(self, library: Library) -> None:
        self.library = library


def _hit(library: Library, query: str, name: str, **where: object) -> Passage:
    for hit in library.search(query, k=20):
        if Path(hit.file).name == name and all(getattr(hit.location, k) == v for k, v in where.items()):
            return hit
    raise AssertionError(f"no hit in {name} for {query!r}")


@pytest.fixture
def view(qtbot: QtBot, library: Library) -> SourceView:
    v = SourceView(_Services(library))
    qtbot.addWidget(v)
    v.resize(820, 720)
    v.show()
    qtbot.waitExposed(v)
    return v


def _assert_highlight_in_view(view: SourceView, qtbot: QtBot) -> None:
    pdf = view.pdf_view
    assert pdf.highlight_rects(), "the passage is highlighted"
    rect = pdf.highlight_viewport_rect()
    visible = QRectF(pdf.viewport().rect())
    qtbot.waitUntil(lambda: visible.intersects(pdf.highlight_viewport_rect()), timeout=3000)
    assert rect.height() > 5 and rect.width() > 20


# -- PDF --------------------------------------------------------------------------------------------

def test_pdf_source_opens_its_page_with_the_passage_highlighted(view: SourceView, library: Library,
                                                                qtbot: QtBot) -> None:
    hit = _hit(library, "annual leave ten years 15 days", PDF, page=4)
    view.show_source(hit)
    assert view.stack.currentIndex() == SourceView.PDF
    assert view.pdf_view.pageNavigator().currentPage() == 3  # Location.page is 1-based
    assert view.pdf_view.highlight_page == 3
    _assert_highlight_in_view(view, qtbot)
    assert view.page_label.text() == "Page 4 of 7"
    assert not view.note.isVisible()
    # the highlight is drawn: across a highlighted line the page is tinted yellow, not white
    line = max(view.pdf_view.highlight_viewport_rects(), key=lambda r: r.width())
    y = int(line.center().y())
    xs = range(int(line.left()) + 2, int(line.right()) - 2, 3)

    def tinted() -> bool:
        image = view.pdf_view.viewport().grab().toImage()
        colours = [image.pixelColor(x, y) for x in xs]
        return sum(c.red() > 220 and c.blue() < 200 for c in colours) > len(colours) // 3

    qtbot.waitUntil(tinted, timeout=5000)


def test_pdf_passage_is_found_despite_whitespace_and_width_differences(view: SourceView, library: Library,
                                                                      qtbot: QtBot) -> None:
    hit = _hit(library, "试用期 3 个月 90%", PDF, page=2)
    squashed = "".join(hit.text.split())  # no spaces or line breaks at all
    wide = squashed.replace("3", "３").replace("90", "９０")  # full-width digits, as some PDFs have
    view.show_source(replace(hit, text=wide))
    assert view.pdf_view.pageNavigator().currentPage() == 1
    _assert_highlight_in_view(view, qtbot)


def test_switching_between_pages_and_files_moves_the_highlight(view: SourceView, library: Library,
                                                               qtbot: QtBot) -> None:
    first = _hit(library, "试用期 3 个月", PDF, page=2)
    later = _hit(library, "annual leave ten years", PDF, page=4)
    view.show_source(later)
    view.show_source(first)
    assert view.pdf_view.pageNavigator().currentPage() == 1
    _assert_highlight_in_view(view, qtbot)
    view.next_button.click()
    assert view.pdf_view.pageNavigator().currentPage() == 2
    view.passage_button.click()  # "Back to passage"
    qtbot.waitUntil(lambda: view.pdf_view.pageNavigator().currentPage() == 1, timeout=3000)


def test_a_passage_not_on_the_page_still_shows_the_page_and_says_so(view: SourceView, library: Library) -> None:
    hit = _hit(library, "试用期 3 个月", PDF, page=2)
    view.show_source(replace(hit, text="这段文字不在这一页上，完全不在。Nothing like it on the page."))
    assert view.pdf_view.pageNavigator().currentPage() == 1
    assert view.pdf_view.highlight_rects() == []
    assert view.note.isVisible() and view.note.text()


def test_zoom_keeps_the_highlight_on_the_passage(view: SourceView, library: Library, qtbot: QtBot) -> None:
    view.show_source(_hit(library, "annual leave ten years", PDF, page=4))
    before = view.pdf_view.zoomFactor()
    view.zoom_in_button.click()
    assert view.pdf_view.zoomFactor() > before
    _assert_highlight_in_view(view, qtbot)
    view.fit_button.click()
    assert view.pdf_view.zoomFactor() == pytest.approx(before, rel=0.02)


def test_open_in_default_app(view: SourceView, library: Library) -> None:
    opened: list[QUrl] = []
    view.open_url = lambda url: opened.append(url) or True
    hit = _hit(library, "试用期", PDF, page=2)
    view.show_source(hit)
    view.open_button.click()
    assert [u.toLocalFile() for u in opened] == [hit.file]


# -- Excel and Word tables --------------------------------------------------------------------------

def test_sheet_rows_are_shown_as_a_table_with_the_cited_rows_selected(view: SourceView, library: Library,
                                                                      qtbot: QtBot) -> None:
    hit = _hit(library, "BX-2024-0005 宁波客户商务午餐", XLSX)
    assert hit.location.sheet == "报销明细" and hit.location.rows is not None
    view.show_source(hit)
    assert view.stack.currentIndex() == SourceView.TABLE
    rows = view.selected_rows()
    first, last = hit.location.rows
    labels = [view.table.verticalHeaderItem(r).text() for r in rows]
    assert labels == [str(n) for n in range(first, last + 1)]  # the Excel row numbers
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert "报销单号" in headers and "金额" in headers
    ids = [view.table.item(r, headers.index("报销单号")).text() for r in rows]
    assert "BX-2024-0005" in ids
    assert view.table.rowCount() > len(rows)  # neighbouring rows for context
    qtbot.waitUntil(lambda: view.table.visualItemRect(view.table.item(rows[0], 0)).intersects(
        view.table.viewport().rect()), timeout=3000)


def test_word_table_rows_are_a_table(view: SourceView, library: Library) -> None:
    hit = _hit(library, "Account lockout privileged accounts", DOCX)
    assert hit.location.table is not None
    view.show_source(hit)
    assert view.stack.currentIndex() == SourceView.TABLE
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert headers[:2] == ["Rule", "Standard accounts"]
    texts = [view.table.item(r, 0).text() for r in view.selected_rows()]
    assert "Account lockout" in texts


# -- Word paragraphs and text -----------------------------------------------------------------------

def test_word_paragraph_in_context_with_the_chunk_highlighted(view: SourceView, library: Library) -> None:
    hit = _hit(library, "VPN remote access MFA", DOCX)
    view.show_source(hit)
    assert view.stack.currentIndex() == SourceView.TEXT
    assert "Company VPN with MFA" in view.highlighted_text()
    html = view.text_view.toHtml()
    assert "#fff1b8" in html.lower()  # the marker colour around the cited passage
    neighbours = view.text_view.toPlainText()
    assert len(neighbours) > len(hit.text) * 2  # the passages around it are shown too
    assert "4.2 Remote Access" in view.where.text()


def test_text_file_lines_in_context(view: SourceView, library: Library) -> None:
    hit = _hit(library, "VPN 客户端在哪里下载", TXT)
    view.show_source(hit)
    assert view.stack.currentIndex() == SourceView.TEXT
    assert "VPN 客户端在哪里下载" in view.highlighted_text()
    assert "lines" in view.where.text() or "行" in view.where.text()


def test_a_saved_citation_survives_reindexing(view: SourceView, library: Library) -> None:
    """Chunk ids change when a file is indexed again: the view finds the passage by its text."""
    hit = _hit(library, "VPN remote access MFA", DOCX)
    stale = Passage(1, hit.file, hit.location, hit.text, chunk_id=10**9, kind="docx")
    view.show_source(stale)
    assert "Company VPN with MFA" in view.highlighted_text()
    assert not view.note.isVisible()


def test_a_missing_file_shows_the_saved_passage(view: SourceView, tmp_path: Path) -> None:
    gone = Passage(1, str(tmp_path / "gone.pdf"), Location(page=2), "年假按工龄计算。", kind="pdf")
    view.show_source(gone)
    assert view.stack.currentIndex() == SourceView.MESSAGE
    assert "年假按工龄计算。" in view.message.text()
    assert not view.open_button.isEnabled()


# -- matching, without Qt ----------------------------------------------------------------------------

def test_find_passage_ignores_spacing_width_and_case() -> None:
    page = "Intro line\r\n第二章　入职与试用期\r\n试用期为３个月，\r\n试用期工资为 90%。\r\nNext"
    start, end = find_passage(page, "试用期为 3 个月，试用期工资为90%。") or (0, 0)
    assert page[start:end] == "试用期为３个月，\r\n试用期工资为 90%。"
    assert find_passage(page, "INTRO LINE") == (0, 10)
    assert find_passage(page, "完全无关的文字") is None
    assert find_passage("", "x") is None


def test_find_passage_bridges_a_difference_in_the_middle() -> None:
    page = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho"
    passage = "beta gamma delta epsilon [footnote 3] zeta eta theta iota kappa lambda mu"
    start, end = find_passage(page, passage) or (0, 0)
    assert page[start:end] == "beta gamma delta epsilon zeta eta theta iota kappa lambda mu"


def test_table_chunk_parsing() -> None:
    assert parse_record("Level: L1 | Label: Public 公开") == [("Level", "L1"), ("Label", "Public 公开")]
    assert parse_record("部门：销售部 | 金额：100") == [("部门", "销售部"), ("金额", "100")]
    assert parse_record("Just a sentence, no fields") is None
    header, entries = parse_table_chunk("A | B\nA: 1 | B: 2\nA: 3 | B: 4") or ([], [])
    assert header == ["A", "B"] and [r for r, _l in entries] == [[("A", "1"), ("B", "2")], [("A", "3"), ("B", "4")]]
    header, entries = parse_table_chunk("S | Title line\nS | A: 1 | B: 2", sheet="S") or ([], [])
    assert header == [] and entries[0][0] is None and entries[1][0] == [("A", "1"), ("B", "2")]
    assert parse_table_chunk("Plain prose.\nMore prose.") is None


def test_csv_rows_are_a_table_numbered_by_their_lines(qtbot: QtBot, tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "leave.csv").write_text(
        "Name,Days,Note\nSick,10,needs certificate\nAnnual,12,plan ahead\nMarriage,3,once\n", encoding="utf-8")
    lib = Library.open(tmp_path / "lib")
    try:
        list(lib.add([tmp_path / "docs"], workers=0))
        hit = lib.search("Marriage", k=1)[0]
        view = SourceView(_Services(lib))
        qtbot.addWidget(view)
        view.show_source(hit)
        assert view.stack.currentIndex() == SourceView.TABLE
        assert [view.table.horizontalHeaderItem(c).text() for c in range(3)] == ["Name", "Days", "Note"]
        assert [view.table.verticalHeaderItem(r).text() for r in range(3)] == ["2", "3", "4"]
        assert view.table.item(2, 0).text() == "Marriage"
    finally:
        lib.close()


# -- quotes: only the quoted sentences carry the marker ---------------------------------------------

def test_a_quote_highlights_only_its_sentences_in_a_text_passage(view: SourceView, library: Library) -> None:
    from qwenrag.evidence import find_quotes

    hit = _hit(library, "VPN 客户端在哪里下载", TXT)
    quote = next(q for q in find_quotes("VPN 客户端在哪里下载？", [hit]) if q.passage is hit)
    assert len(quote.text) < len(hit.text)  # a part of the passage, not all of it
    view.show_source(quote)
    assert view.stack.currentIndex() == SourceView.TEXT
    assert view.highlighted_text().split() == quote.text.split()  # (a line break reads back as U+2028)
    view.show_source(hit)  # the passage itself again: the whole chunk is marked, as before
    assert view.quote == "" and "VPN 客户端在哪里下载" in view.highlighted_text()


def test_a_quote_on_a_pdf_page_highlights_fewer_lines_than_its_passage(view: SourceView, library: Library,
                                                                       qtbot: QtBot) -> None:
    from qwenrag.evidence import find_quotes

    hit = _hit(library, "annual leave ten years 15 days", PDF, page=4)
    view.show_source(hit)
    whole = len(view.pdf_view.highlight_rects())
    quote = find_quotes("How many days of annual leave after ten years?", [hit])[0]
    view.show_source(quote)
    assert view.pdf_view.highlight_page == 3 and view.quote == quote.text
    assert 0 < len(view.pdf_view.highlight_rects()) < whole
    _assert_highlight_in_view(view, qtbot)

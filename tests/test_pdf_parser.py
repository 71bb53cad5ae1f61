"""PDF: one block per page, with the page's own text, page labels, and clear problems."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.parsers import ParsedDocument, better_title, open_document
from indexing.parsers import pdf as pdf_parser
from indexing.parsers.pdf import join_cjk_lines

# A page is text (a string), blank (""), or a drawing without text (None), like a scan.
Page = str | None


def make_pdf(path: Path, pages: list[Page], *, title: str | None = None) -> Path:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    if title:
        pdf.setTitle(title)
    for page in pages:
        if page is None:
            pdf.rect(100, 100, 300, 400, fill=1)
        else:
            for index, line in enumerate(page.splitlines()):
                pdf.drawString(72, 720 - 14 * index, line)
        pdf.showPage()
    pdf.save()
    path.write_bytes(buffer.getvalue())
    return path


def rewrite(path: Path, out: Path, *, labels: bool = False, user: str | None = None, owner: str = "") -> Path:
    writer = PdfWriter(clone_from=PdfReader(path))
    if labels:
        writer.set_page_label(0, 1, style="/r")  # i, ii
        writer.set_page_label(2, len(writer.pages) - 1, style="/D", start=1, prefix="A-")  # A-1, ...
    if user is not None:
        writer.encrypt(user, owner_password=owner or None, algorithm="RC4-128")
    with out.open("wb") as fh:
        writer.write(fh)
    return out


def read_all(path: Path, limits: Limits | None = None) -> tuple[ParsedDocument, list[Block]]:
    doc = open_document(path, limits) if limits else open_document(path)
    return doc, list(doc.blocks)


def problem_of(path: Path, limits: Limits | None = None) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        read_all(path, limits)
    return caught.value


THREE = ["Alpha page one\nsecond line", "Bravo page two", "Charlie page three"]


def test_one_block_per_page_with_that_pages_text(tmp_path: Path) -> None:
    doc, blocks = read_all(make_pdf(tmp_path / "three.pdf", THREE))
    assert [b.text for b in blocks] == THREE
    assert [b.location for b in blocks] == [Location(page=n) for n in (1, 2, 3)]
    assert [b.group for b in blocks] == [("page", 1), ("page", 2), ("page", 3)]
    assert doc.info.kind == "pdf"
    assert doc.info.pages == 3
    assert doc.info.title == "three"
    assert doc.info.warnings == []


def test_page_labels_only_where_the_document_defines_them(tmp_path: Path) -> None:
    labelled = rewrite(make_pdf(tmp_path / "plain.pdf", THREE), tmp_path / "labelled.pdf", labels=True)
    _, blocks = read_all(labelled)
    assert [(b.location.page, b.location.page_label) for b in blocks] == [(1, "i"), (2, "ii"), (3, "A-1")]
    assert blocks[0].location.describe() == "p. 1 (i)"
    _, plain = read_all(tmp_path / "plain.pdf")
    assert [b.location.page_label for b in plain] == [None, None, None]


def test_blank_and_image_pages_are_skipped_with_a_warning(tmp_path: Path) -> None:
    doc, blocks = read_all(make_pdf(tmp_path / "mixed.pdf", ["Text on one", None, "", "Text on four"]))
    assert [(b.location.page, b.text) for b in blocks] == [(1, "Text on one"), (4, "Text on four")]
    assert doc.info.warnings == ["2 of 4 pages have no text (scanned?): 2, 3"]


def test_scan_without_text_layer_is_no_text_when_ocr_is_off(tmp_path: Path) -> None:
    problem = problem_of(make_pdf(tmp_path / "scan.pdf", [None, None]), Limits(ocr=False))
    assert problem.kind is ProblemKind.NO_TEXT
    assert "2 pages" in problem.detail


def test_scan_whose_pages_show_no_words_is_empty(tmp_path: Path) -> None:
    problem = problem_of(make_pdf(tmp_path / "scan.pdf", [None, None]))  # a drawing, no letters
    assert problem.kind is ProblemKind.EMPTY
    assert problem.detail == "OCR found no text on 2 scanned pages"


def test_blank_pdf_is_empty(tmp_path: Path) -> None:
    assert problem_of(make_pdf(tmp_path / "blank.pdf", ["", ""])).kind is ProblemKind.EMPTY


def test_password_needed_is_encrypted(tmp_path: Path) -> None:
    locked = rewrite(make_pdf(tmp_path / "p.pdf", THREE), tmp_path / "locked.pdf", user="secret")
    problem = problem_of(locked)
    assert problem.kind is ProblemKind.ENCRYPTED
    assert "password" in problem.detail.lower()


def test_empty_user_password_opens(tmp_path: Path) -> None:
    """Owner-password-only PDFs ("no printing, no copying") open for reading: index them."""
    protected = rewrite(make_pdf(tmp_path / "p.pdf", THREE), tmp_path / "owner.pdf", user="", owner="boss")
    _, blocks = read_all(protected)
    assert [b.text for b in blocks] == THREE


def test_truncated_pdf_is_corrupt(tmp_path: Path) -> None:
    whole = make_pdf(tmp_path / "whole.pdf", THREE).read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(whole[:400])
    assert problem_of(cut).kind is ProblemKind.CORRUPT


def test_too_many_pages(tmp_path: Path) -> None:
    problem = problem_of(make_pdf(tmp_path / "long.pdf", THREE), Limits(max_pages=2))
    assert problem.kind is ProblemKind.TOO_LARGE
    assert "3 pages" in problem.detail


def test_generic_file_name_takes_the_metadata_title(tmp_path: Path) -> None:
    doc, _ = read_all(make_pdf(tmp_path / "scan0001.pdf", THREE, title="Leave Policy 2024"))
    assert doc.info.title == "Leave Policy 2024"
    doc, _ = read_all(make_pdf(tmp_path / "leave-policy.pdf", THREE, title="Microsoft Word - lp.docx"))
    assert doc.info.title == "leave-policy"


@pytest.mark.parametrize(
    ("stem", "meta", "expected"),
    [
        ("员工手册", "Employee Handbook", "员工手册"),  # the user's own name wins
        ("2206.01062_pg3", "Docling Technical Report", "Docling Technical Report"),
        ("scan_0003", "untitled", "scan_0003"),
        ("a1b2c3d4e5f6a7b8", "Quarterly results", "Quarterly results"),
        ("Document1 (1)", "Travel rules", "Travel rules"),
        ("report", "report.pdf", "report"),
    ],
)
def test_better_title(stem: str, meta: str, expected: str) -> None:
    assert better_title(stem, meta) == expected


def test_parser_closes_the_file_when_the_reader_stops_early(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "three.pdf", THREE)
    doc = open_document(path)
    assert next(doc.blocks).location.page == 1
    doc.blocks.close()  # type: ignore[attr-defined]
    # On Windows an open handle would make this fail; everywhere, the file must be free again.
    path.rename(tmp_path / "moved.pdf")
    assert (tmp_path / "moved.pdf").exists()


# --- CJK line joins ---------------------------------------------------------------------------------------

WIDE = "常量的复用层次有五层跨应用共享常量应用内共享常量子工程内共享常量包内共享常"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{WIDE}\n量、类内共享常量。", f"{WIDE}量、类内共享常量。"),  # wrapped mid-word: joined
        (f"{WIDE}，\n类内共享常量。", f"{WIDE}，类内共享常量。"),  # wrapped after a comma
        (f"第一章 总则\n第一条 {WIDE}", f"第一章 总则\n第一条 {WIDE}"),  # short heading line keeps its break
        (f"{WIDE}。\n说明：新的段落", f"{WIDE}。\n说明：新的段落"),  # sentence end keeps its break
        (f"{WIDE}\n1）列表项", f"{WIDE}\n1）列表项"),  # next line starts a numbered item
        ("English text\nwraps like this", "English text\nwraps like this"),
        (f"{WIDE}\n\n新段落", f"{WIDE}\n\n新段落"),  # paragraph break stays
        (
            "한국어 문장이 길게 이어지다가 줄이\n바뀌는 경우",
            "한국어 문장이 길게 이어지다가 줄이\n바뀌는 경우",
        ),
    ],
)
def test_join_cjk_lines(text: str, expected: str) -> None:
    assert join_cjk_lines(text) == expected


# --- the shared corpus --------------------------------------------------------------------------------------


def test_each_block_is_its_own_pages_text(shared_dir: Path) -> None:
    path = shared_dir / "pdf" / "py-pdf-sample-files" / "004-pdflatex-4-pages" / "pdflatex-4-pages.pdf"
    _, blocks = read_all(path)
    assert [b.location.page for b in blocks] == [1, 2, 3, 4]
    assert blocks[0].text.startswith("Hello, here is some text without a meaning.")
    assert blocks[1].text.startswith("information. Really? Is there no information?")
    assert blocks[2].text.startswith("you information about the selected font")
    assert blocks[3].text.startswith("in of the original language.")


def test_real_page_labels(shared_dir: Path) -> None:
    _, blocks = read_all(shared_dir / "pdf" / "pdfminer-samples" / "contrib" / "pagelabels.pdf")
    assert [(b.location.page, b.location.page_label) for b in blocks] == [
        (1, "iii"),
        (2, "iv"),
        (3, "1"),
        (4, "2"),
        (5, "1"),
    ]
    assert blocks[1].text.startswith("2 Second section")
    assert blocks[4].text.startswith("4 Heading on Level 1")


def test_chinese_manual_is_fast_and_joined(shared_dir: Path) -> None:
    """The bar: the 55-page Chinese manual indexes in under 2 s; its wrapped lines read as sentences.
    (Its cover is an image: with OCR on it is read too, which test_ocr covers; the bar is the text layer.)"""
    path = shared_dir / "pdf" / "alibaba-p3c" / "Java开发手册(黄山版).pdf"
    start = time.perf_counter()
    doc, blocks = read_all(path, Limits(ocr=False))
    elapsed = time.perf_counter() - start
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert doc.info.pages == 55
    assert len(blocks) == 54  # the cover is an image
    assert doc.info.warnings == ["1 of 55 pages have no text (scanned?): 1"]
    page6 = next(b for b in blocks if b.location.page == 6)
    assert "包内共享常量、类内共享常量。" in page6.text  # "包内共享常\n量" in PDFium's raw text
    # Its running header ("Java 开发手册（黄山版）") and footer ("3/51": page 6 is printed page 3) are left out.
    assert "3/51" not in page6.text and "黄山版" not in page6.text


def test_headerless_pdf_read_through_the_fallback(shared_dir: Path) -> None:
    doc, blocks = read_all(shared_dir / "malformed" / "wrong-type" / "bug1606566.pdf")
    assert [(b.location.page, b.text) for b in blocks] == [(1, "Bug 1606566")]
    assert doc.info.warnings == ["read with the fallback reader (the PDF is damaged)"]


def test_blocks_survive_a_parser_that_reports_info_late(tmp_path: Path) -> None:
    """info is filled while blocks are read: pages is known after the first block."""
    doc = open_document(make_pdf(tmp_path / "three.pdf", THREE))
    assert isinstance(doc.info, DocumentInfo)
    next(doc.blocks)
    assert doc.info.pages == 3


_TOPICS = ["travel", "salaries", "rent", "training", "marketing"]


def _report(path: Path, pages: int) -> Path:
    c = canvas.Canvas(str(path))
    for n in range(1, pages + 1):
        topic = _TOPICS[n - 1]
        c.drawString(72, 800, "ACME Corporation - Annual Report 2024")
        c.drawString(72, 700, f"The {topic} budget was approved by the board in its spring meeting.")
        for i in range(n % 3 + 1):
            c.drawString(72, 660 - 20 * i, f"Quarter {i + 1}: {topic} spending stayed within the plan.")
        c.drawString(72, 560, f"Next year the {topic} plan will be reviewed again.")
        c.drawString(72, 60, f"Page {n} of {pages}")
        c.showPage()
    c.save()
    return path


def test_running_headers_and_footers_leave_the_page_text(tmp_path: Path) -> None:
    info = DocumentInfo()
    blocks = list(pdf_parser.parse(_report(tmp_path / "report.pdf", 5), info, Limits()))
    assert [b.location.page for b in blocks] == [1, 2, 3, 4, 5]
    for n, b in enumerate(blocks, 1):
        assert "ACME Corporation" not in b.text and f"Page {n} of 5" not in b.text, b.text
        topic = _TOPICS[n - 1]
        assert b.text.startswith(f"The {topic} budget was approved by the board")
        assert b.text.endswith(f"Next year the {topic} plan will be reviewed again.")
    # Two pages are too few to tell a running line from content: kept.
    two = list(pdf_parser.parse(_report(tmp_path / "short.pdf", 2), DocumentInfo(), Limits()))
    assert all(b.text.startswith("ACME Corporation") for b in two)


def test_a_page_that_is_only_running_lines_keeps_them() -> None:
    running = pdf_parser.running_lines(["Head\nbody one\nPage 1"] * 3 + ["Head\nPage 4"])
    assert running == {"Head", "Page #"}  # the middle line of a 3-line page is not at an edge
    assert pdf_parser.strip_running("Head\nbody one\nPage 1", running) == "body one"
    assert pdf_parser.strip_running("Head\nPage 4", running) == "Head\nPage 4"
    assert pdf_parser.strip_running("Intro\nHead inside the text\nbody", running) == "Intro\nHead inside the text\nbody"

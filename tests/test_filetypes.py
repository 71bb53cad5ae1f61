"""What a file is, decided from its name and first bytes before any parser runs."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from indexing.errors import FileProblem, ProblemKind
from indexing.filetypes import KINDS, SUPPORTED_SUFFIXES, detect_kind, is_supported_name
from indexing.limits import Limits
from indexing.messages import problem_message

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def _problem(path: Path, limits: Limits | None = None) -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        detect_kind(path, limits) if limits else detect_kind(path)
    return caught.value


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _docx_like(path: Path) -> Path:
    return _zip(path, {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def _xlsx_like(path: Path) -> Path:
    return _zip(path, {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})


def test_every_suffix_maps_to_a_known_kind() -> None:
    named = {"pdf", "docx", "xlsx", "pptx", "doc", "xls", "ppt", "rtf", "text", "markdown", "csv", "image"}
    assert set(SUPPORTED_SUFFIXES.values()) == named
    assert named | {"wordml", "html"} == KINDS  # kinds only the content tells (a .doc that is markup)
    for suffix in (".pdf", ".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pptx", ".ppsx", ".doc", ".wps",
                   ".xls", ".et", ".ppt", ".dps", ".txt", ".md", ".markdown", ".csv", ".png", ".jpg", ".tif"):
        assert suffix in SUPPORTED_SUFFIXES


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", True),
        ("REPORT.PDF", True),
        ("表格.xlsx", True),
        ("notes.md", True),
        ("data.tsv", True),
        ("~$report.docx", False),  # Word's lock file beside an open document
        ("slides.pptx", True),
        ("photo.png", True),  # images are read by OCR
        ("movie.mp4", False),
        ("old.doc", True),
        ("报表.et", True),
        ("~$old.doc", False),
        ("README", False),
    ],
)
def test_is_supported_name(name: str, expected: bool) -> None:
    assert is_supported_name(name) is expected
    assert is_supported_name(Path("/some/folder") / name) is expected


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.pdf", PDF_BYTES, "pdf"),
        ("a.txt", "纯文本".encode(), "text"),
        ("a.log", b"2024-01-01 started\n", "text"),
        ("a.md", b"# Title\n", "markdown"),
        ("a.csv", b"a,b\n1,2\n", "csv"),
        ("a.tsv", b"a\tb\n1\t2\n", "csv"),
        ("a.txt", b"\xff\xfeh\x00i\x00", "text"),  # UTF-16 with BOM is still text
    ],
)
def test_detects_plain_kinds(tmp_path: Path, name: str, content: bytes, kind: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_kind(path) == kind


def test_ooxml_kinds(tmp_path: Path) -> None:
    assert detect_kind(_docx_like(tmp_path / "a.docx")) == "docx"
    assert detect_kind(_docx_like(tmp_path / "a.docm")) == "docx"
    assert detect_kind(_xlsx_like(tmp_path / "a.xlsx")) == "xlsx"
    assert detect_kind(_xlsx_like(tmp_path / "a.XLSM")) == "xlsx"


def test_pdf_with_junk_before_the_header_is_a_pdf(tmp_path: Path) -> None:
    path = tmp_path / "junk.pdf"
    path.write_bytes(b"Some mail gateway banner\r\n" * 10 + PDF_BYTES)
    assert detect_kind(path) == "pdf"


def test_headerless_pdf_structure_is_left_to_the_pdf_reader(tmp_path: Path) -> None:
    path = tmp_path / "noheader.pdf"
    path.write_bytes(PDF_BYTES.replace(b"%PDF-1.4\n", b""))
    assert detect_kind(path) == "pdf"


@pytest.mark.parametrize("suffix", [".key", ".mp4", ".zip", ".exe", ""])
def test_unsupported_suffix(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"file{suffix}"
    path.write_bytes(b"whatever")
    assert _problem(path).kind is ProblemKind.UNSUPPORTED


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    problem = _problem(path)
    assert problem.kind is ProblemKind.EMPTY
    assert problem.detail == "0 bytes"


def test_empty_zip_named_xlsx_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    assert _problem(path).kind is ProblemKind.EMPTY


def test_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 101)
    problem = _problem(path, Limits(max_file_bytes=100))
    assert problem.kind is ProblemKind.TOO_LARGE
    assert "101" in problem.detail
    assert detect_kind(path, Limits(max_file_bytes=101)) == "text"


def test_missing_file_and_directory_are_unreadable(tmp_path: Path) -> None:
    assert _problem(tmp_path / "gone.pdf").kind is ProblemKind.UNREADABLE
    folder = tmp_path / "folder.pdf"
    folder.mkdir()
    assert _problem(folder).kind is ProblemKind.UNREADABLE


@pytest.mark.parametrize("name", ["old.doc", "old.xls", "old.ppt", "old.DOC", "old.wps", "old.et"])
def test_an_unreadable_ole2_container_is_corrupt(tmp_path: Path, name: str) -> None:
    """Legacy names are read now; an OLE2 header over zeros has no directory to read: damaged."""
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    problem = _problem(path)
    assert problem.kind is ProblemKind.CORRUPT
    assert "OLE2" in problem.detail


def test_works_and_wordperfect_are_named_as_old_formats(shared_dir: Path) -> None:
    tika = shared_dir / "legacy" / "apache-tika"
    for name, what in (("testWORKS.wps", "Microsoft Works"), ("testWORKSWordProcessor3.0.wps", "Microsoft Works"),
                       ("testWordPerfect_42.doc", "WordPerfect")):
        problem = _problem(tika / name)
        assert problem.kind is ProblemKind.LEGACY, name
        assert what in problem.detail and "Works or WordPerfect" in problem_message(ProblemKind.LEGACY, "en")


def test_legacy_kinds_by_content(shared_dir: Path) -> None:
    legacy = shared_dir / "legacy"
    assert detect_kind(legacy / "kingsoft-wps-sample" / "test.wps") == "doc"  # WPS Writer
    assert detect_kind(legacy / "sheetjs-test-files" / "wps" / "fn.et") == "xls"  # WPS Spreadsheets
    assert detect_kind(legacy / "apache-tika" / "testPPT.ppt") == "ppt"
    assert detect_kind(legacy / "sheetjs-test-files" / "biff5" / "sushi.xls") == "xls"  # BIFF5 "Book" stream
    # an .xls holding Word attachments: its own Workbook stream decides, not the embedded WordDocument
    assert detect_kind(legacy / "apache-tika" / "testWPSAttachment.xls") == "xls"


def test_ooxml_saved_under_a_legacy_name_is_read(tmp_path: Path) -> None:
    assert detect_kind(_docx_like(tmp_path / "really-new.doc")) == "docx"
    assert detect_kind(_xlsx_like(tmp_path / "really-new.xls")) == "xlsx"


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("zip.pdf", b"PK\x03\x04" + b"\x00" * 100, "zip"),
        ("pdf.docx", PDF_BYTES, "PDF"),
        ("pdf.xlsx", PDF_BYTES, "PDF"),
        ("text.docx", b"just some words, no zip", "not a zip"),
        ("png.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "PNG"),
        ("pdf.csv", PDF_BYTES, "PDF"),
        ("words.pdf", b"This is plain text with a .pdf name\n" * 3, "no %PDF header"),
    ],
)
def test_wrong_type(tmp_path: Path, name: str, content: bytes, said: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    problem = _problem(path)
    assert problem.kind is ProblemKind.WRONG_TYPE
    assert said in problem.detail


def test_workbook_named_docx_is_wrong_type(tmp_path: Path) -> None:
    problem = _problem(_xlsx_like(tmp_path / "book.docx"))
    assert problem.kind is ProblemKind.WRONG_TYPE
    assert "Excel" in problem.detail
    problem = _problem(_docx_like(tmp_path / "letter.xlsx"))
    assert problem.kind is ProblemKind.WRONG_TYPE
    assert "Word" in problem.detail


def test_office_package_without_document_part_is_wrong_type(tmp_path: Path) -> None:
    path = _zip(tmp_path / "theme.docx", {"[Content_Types].xml": b"<Types/>", "theme/theme1.xml": b"<t/>"})
    assert _problem(path).kind is ProblemKind.WRONG_TYPE


def test_broken_zip_is_left_to_the_parser(tmp_path: Path) -> None:
    """A damaged package is the OOXML parser's to report (CORRUPT); the name and magic fit."""
    path = tmp_path / "cut.docx"
    data = _docx_like(tmp_path / "whole.docx").read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert detect_kind(path) == "docx"


# --- OLE2 containers, from the shared corpus ------------------------------------------------------------


def test_encrypted_ooxml_is_encrypted(shared_dir: Path) -> None:
    folder = shared_dir / "malformed" / "encrypted-ooxml"
    for name in (
        "protected_agile.docx",
        "58616.xlsx",
        "encryptSHA1.xlsx",
        "bug53475-password-is-solrcell.docx",
    ):
        problem = _problem(folder / name)
        assert problem.kind is ProblemKind.ENCRYPTED, name
        assert "EncryptedPackage" in problem.detail


def test_legacy_doc_renamed_docx_is_read_as_what_it_is(shared_dir: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "renamed.docx"
    shutil.copy(shared_dir / "malformed" / "legacy-formats" / "legacy_sample.doc", renamed)
    assert detect_kind(renamed) == "doc"


def test_encrypted_container_is_found_through_the_directory_not_by_luck(
    tmp_path: Path, shared_dir: Path
) -> None:
    """The stream name is read from the OLE2 directory; a damaged directory falls back to a byte search."""
    data = bytearray((shared_dir / "malformed" / "encrypted-ooxml" / "protected_agile.docx").read_bytes())
    data[0x30:0x34] = (0xFFFFFFF0).to_bytes(4, "little")  # directory start sector: nonsense
    path = tmp_path / "damaged.docx"
    path.write_bytes(bytes(data))
    assert _problem(path).kind is ProblemKind.ENCRYPTED


def test_images_are_sniffed_by_content(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    (tmp_path / "photo.jpg").write_bytes(png)  # a PNG saved under a .jpg name is still an image
    assert detect_kind(tmp_path / "photo.jpg") == "image"
    (tmp_path / "scan.tiff").write_bytes(b"II*\x00" + b"\x00" * 64)
    assert detect_kind(tmp_path / "scan.tiff") == "image"
    (tmp_path / "IMG_0001.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64)
    assert detect_kind(tmp_path / "IMG_0001.heic") == "image"
    (tmp_path / "fake.png").write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
    with pytest.raises(FileProblem) as caught:
        detect_kind(tmp_path / "fake.png")
    assert caught.value.kind is ProblemKind.WRONG_TYPE and "a PDF" in caught.value.detail

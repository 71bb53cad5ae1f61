"""Legacy and WPS formats through the real library: ../shared/corpora/legacy indexed in worker processes.

Every .doc/.dot/.wps/.xls/.xlt/.et/.ppt/.pps/.dps there either indexes with text or ends in the one reason
listed here for it; the text matches the source projects' expected text (node-word-extractor snapshots,
textract's raw_text.txt) at >= 0.95 word (character, for Chinese) recall.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from indexing.errors import ProblemKind
from indexing.filetypes import SUPPORTED_SUFFIXES, detect_kind
from indexing.library import Library
from tests.corpus_truth import legacy_truth, recall

LEGACY_KINDS = {"doc", "xls", "ppt"}
E = ProblemKind

# Files of a legacy name that do not index, and the one reason each must give.
NOT_INDEXED: dict[str, ProblemKind] = {
    # Microsoft Works and WordPerfect: named, not read
    "apache-tika/testWORKS.wps": E.LEGACY,
    "apache-tika/testWORKS2000.wps": E.LEGACY,
    "apache-tika/testWORKSWordProcessor3.0.wps": E.LEGACY,
    "apache-tika/testWORKSWordProcessor4.0.wps": E.LEGACY,
    "apache-tika/testWordPerfect_42.doc": E.LEGACY,
    # password-protected (see test_passwords.py for opening them), or rights-managed
    "apache-tika/testWORD_protected_passtika.doc": E.ENCRYPTED,
    "apache-tika/testEXCEL_protected_passtika.xls": E.ENCRYPTED,
    "apache-tika/testPPT_protected_passtika.ppt": E.ENCRYPTED,
    "apache-tika/testWORD_protected_drm.doc": E.ENCRYPTED,
    **{f"sheetjs-test-files/password_2002_{n}.xls": E.ENCRYPTED for n in (
        "128_enhanced", "128_enhdss", "128_enhrsa", "128_enhrsasc", "128_strong", "40_972000",
        "40_basecrypto", "40_dhsc", "40_dss", "40_xor")},
    "sheetjs-test-files/biff5/password_2002_40_xor.xls": E.ENCRYPTED,
    # only embedded objects or pictures, no text of their own
    "apache-tika/Doc1_ole.doc": E.EMPTY,
    "apache-tika/testWPSAttachment.doc": E.EMPTY,
    "apache-tika/testWPSAttachment.ppt": E.EMPTY,
    "apache-tika/testWPSAttachment.xls": E.EMPTY,
    "apache-tika/pictures.ppt": E.EMPTY,
    "apache-tika/testWORD_multi_authors.doc": E.EMPTY,  # one empty paragraph
    "apache-tika/testWORD_phonetic.doc": E.EMPTY,  # only an EQ field (ruby text), which is field code
    "apache-tika/testPPT_masterText.ppt": E.EMPTY,  # text on the slide master only
    "apache-tika/testPPT_masterText2.ppt": E.EMPTY,
    "calamine-tests/picture.xls": E.EMPTY,
    "xlrd-samples/picture_in_cell.xls": E.EMPTY,
    "apache-tika/testEXCEL_embeddedPDF_mac.xls": E.EMPTY,
    "apache-tika/testEXCEL_embeddedPDF_windows.xls": E.EMPTY,
    "apache-tika/testExcel_embeddedPDF.xls": E.EMPTY,
    "apache-tika/testEXCEL_textbox.xls": E.EMPTY,  # text in a drawing's text box, not in cells
    "apache-tika/testMSChart-govdocs-428996.xls": E.EMPTY,  # a chart
    # workbooks with no cell values (formatting, properties, names only; issue_385 once decrypted with
    # Excel's built-in password)
    "apache-tika/testEXCEL_95.xls": E.EMPTY,
    **{f"calamine-tests/{n}.xls": E.EMPTY for n in (
        "capitalized_wbook_stream", "issue127", "issue343", "issue_385", "misc_biff5_parsing")},
    **{f"sheetjs-test-files/{n}.xls": E.EMPTY for n in (
        "BlankSheetTypes", "author_snowman", "custom_properties", "page_margins_2016", "page_margins_2016_5",
        "biff5/custom_properties")},
    # damaged
    "calamine-tests/OOM_alloc3.xls": E.CORRUPT,  # a FAT sector past the end of the file
    "node-word-extractor/badfile-01-bad-header.doc": E.CORRUPT,
    "calamine-tests/too_small.xls": E.WRONG_TYPE,  # a text attachment named .xls
}


def _legacy_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()
                  and SUPPORTED_SUFFIXES.get(p.suffix.lower()) in LEGACY_KINDS)


@pytest.fixture(scope="module")
def indexed(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, dict[str, dict]]:
    root = shared_dir / "legacy"
    lib = Library.open(tmp_path_factory.mktemp("legacy-lib"))
    events = {e.path: e.to_json() for e in lib.add([str(p) for p in _legacy_files(root)], workers=2)
              if e.kind == "file_done"}
    yield lib, events
    lib.close()


def test_every_legacy_file_indexes_or_gives_its_one_reason(shared_dir: Path, indexed) -> None:
    _lib, events = indexed
    root = shared_dir / "legacy"
    files = _legacy_files(root)
    assert len(files) >= 250
    wrong = []
    for path in files:
        rel = path.relative_to(root).as_posix()
        event = events[str(path)]
        want = NOT_INDEXED.get(rel)
        if want is None:
            if event["status"] != "indexed" or event["chunks"] < 1:
                wrong.append((rel, event["status"], event.get("detail")))
        elif event["status"] != "failed" or not (event.get("detail") or "").startswith(want.value + ":"):
            wrong.append((rel, want.value, event.get("detail")))
    assert not wrong, wrong
    indexed_count = sum(e["status"] == "indexed" for e in events.values())
    assert indexed_count == len(files) - len(NOT_INDEXED)


def test_text_matches_the_expected_text(shared_dir: Path, indexed) -> None:
    lib, _events = indexed
    truth = legacy_truth(shared_dir)
    assert len(truth) >= 18
    scores = {}
    for path, expected in truth.items():
        got = "\n".join(text for _loc, text in lib.passages(path))
        scores[path.name] = recall(expected, got)
    low = {name: round(score, 3) for name, score in scores.items() if score < 0.95}
    assert not low, low


def test_chinese_word_and_wps_files(shared_dir: Path, indexed) -> None:
    lib, _events = indexed
    root = shared_dir / "legacy"
    chinese = "\n".join(t for _l, t in lib.passages(root / "node-word-extractor" / "test11.doc"))
    assert "这是一个用来测试nodejs解析Word文档" in chinese
    wps = lib.passages(root / "kingsoft-wps-sample" / "test.wps")
    wps_text = "\n".join(t for _l, t in wps)
    assert "包含5个或以上不同的电话号码" in wps_text  # a WPS Writer table, read row by row
    assert any(loc.table is not None for loc, _t in wps)
    et = "\n".join(t for _l, t in lib.passages(root / "sheetjs-test-files" / "wps" / "fn.et"))
    assert et.strip()


def test_word_structure_headings_tables_and_notes(shared_dir: Path, indexed) -> None:
    lib, _events = indexed
    root = shared_dir / "legacy"
    tika = lib.passages(root / "apache-tika" / "testWORD.doc")
    assert any(loc.heading == "Heading Level 1 > Heading Level 2" for loc, _t in tika)
    # headings of a localized template are user-defined styles named "Επικεφαλίδα 1" (Greek for Heading 1)
    greek = lib.passages(root / "docling-tests" / "greek_heading_styles.doc")
    assert any(loc.heading == "Problem mit lokalisierten Dokumenten" and t.startswith("Problem mit")
               for loc, t in greek)
    table = lib.passages(root / "node-word-extractor" / "test12.doc")
    rows = [(loc, t) for loc, t in table if loc.table == 1]
    # the empty middle cell of row 2 is a cell, not the row's end: row 2 keeps its third cell
    assert rows and "Row 2, cell 3" in rows[0][1] and "Row 2, cell 1" in rows[0][1]
    notes = "\n".join(t for _l, t in lib.passages(root / "node-word-extractor" / "test13.doc"))
    assert "This is a footnote" in notes and "This is an endnote" in notes


def test_biff_versions_and_code_pages(shared_dir: Path, indexed) -> None:
    lib, _events = indexed
    root = shared_dir / "legacy" / "sheetjs-test-files"

    def text(path: Path) -> str:
        return "\n".join(t for _l, t in lib.passages(path))

    assert "Μαρ" in text(root / "biff5" / "number_format_greek.xls")  # BIFF5, code page 1253
    assert "р." in text(root / "biff5" / "numfmt_1_russian.xls")  # BIFF5, code page 1251
    assert "Examination Coverage" in text(shared_dir / "legacy" / "apache-tika" / "testEXCEL_4.xls")  # BIFF4
    assert text(root / "crlf" / "CRLFX5_2.XLS").strip()  # BIFF2
    assert text(root / "crlf" / "CRLFX5_3.XLS").strip()  # BIFF3
    sheet = lib.passages(shared_dir / "legacy" / "textract-tests" / "xls" / "raw_text.xls")
    assert {loc.sheet for loc, _t in sheet} >= {"Sheet1"} and all(loc.rows for loc, _t in sheet)


def test_powerpoint_97_slides(shared_dir: Path, indexed) -> None:
    lib, _events = indexed
    slides = lib.passages(shared_dir / "legacy" / "kreuzberg-test-documents" / "simple.ppt")
    by_slide = {}
    for loc, text in slides:
        by_slide.setdefault(loc.slide, []).append(text)
    assert set(by_slide) == {1, 2}
    assert "Title Slide" in "\n".join(by_slide[1]) and "How much is enough?" in "\n".join(by_slide[2])
    assert any(loc.title == "Things to think about" for loc, _t in slides if loc.slide == 2)


# --- sniffing: the bytes decide, not the name ----------------------------------------------------------


def test_content_decides_the_reader(shared_dir: Path, tmp_path: Path) -> None:
    legacy = shared_dir / "legacy"
    assert detect_kind(legacy / "apache-tika" / "testWORDML_tableInsideParagraph.doc") == "wordml"
    assert detect_kind(legacy / "unstructured-example-docs" / "language-docs" / "eng_spa_mult.ppt") == "pptx"
    assert detect_kind(legacy / "apache-tika" / "testEXCEL_4.xls") == "xls"  # a bare BIFF4 stream
    rtf = tmp_path / "memo.doc"
    rtf.write_bytes(rb"{\rtf1\ansi\ansicpg936 {\fonttbl\f0 SimSun;}\f0 \'d6\'d0\'ce\'c4 Leave policy\par}")
    assert detect_kind(rtf) == "rtf"
    html = tmp_path / "export.doc"
    html.write_text("<html><head><meta charset='utf-8'></head><body><p>年假 15 天</p></body></html>",
                    encoding="utf-8")
    assert detect_kind(html) == "html"
    renamed = tmp_path / "really-word.docx"
    renamed.write_bytes((legacy / "node-word-extractor" / "test05.doc").read_bytes())
    assert detect_kind(renamed) == "doc"


def test_markup_saved_as_doc_indexes(tmp_path: Path) -> None:
    rtf = tmp_path / "memo.doc"
    rtf.write_bytes(rb"{\rtf1\ansi\ansicpg936 {\fonttbl\f0 SimSun;}\f0 \'d6\'d0\'ce\'c4 Leave policy\par}")
    html = tmp_path / "export.doc"
    html.write_text("<html><head><meta charset='utf-8'></head><body><p>年假 15 天</p><script>x()</script>"
                    "</body></html>", encoding="utf-8")
    with Library.open(tmp_path / "lib") as lib:
        events = [e for e in lib.add([rtf, html], workers=0) if e.kind == "file_done"]
        assert [e.status for e in events] == ["indexed", "indexed"]
        assert "中文 Leave policy" in lib.passages(rtf)[0][1]
        assert lib.passages(html)[0][1] == "年假 15 天"


def _biff5_stream(text: str, codepage: int, encoding: str) -> bytes:
    """A minimal Excel 5/95 workbook stream: globals (BOF, CODEPAGE, BOUNDSHEET, EOF), one sheet, one cell."""
    def rec(num: int, data: bytes) -> bytes:
        return struct.pack("<HH", num, len(data)) + data

    name = b"Sheet1"
    head = rec(0x0809, struct.pack("<HHHH", 0x0500, 0x0005, 0, 0)) + rec(0x0042, struct.pack("<H", codepage))
    sheet_at = len(head) + 4 + 7 + len(name) + 4  # after the BOUNDSHEET and EOF records
    head += rec(0x0085, struct.pack("<IHB", sheet_at, 0, len(name)) + name) + rec(0x000A, b"")
    raw = text.encode(encoding)
    label = rec(0x0204, struct.pack("<HHHH", 0, 0, 0, len(raw)) + raw)
    return head + rec(0x0809, struct.pack("<HHHH", 0x0500, 0x0010, 0, 0)) + label + rec(0x000A, b"")


@pytest.mark.parametrize(("codepage", "encoding", "text"), [
    (10000, "mac_roman", "Café crème brûlée"),  # Mac Roman
    (1251, "cp1251", "Отчёт о продажах"),  # Cyrillic
    (1253, "cp1253", "Πωλήσεις ανά μήνα"),  # Greek
    (1257, "cp1257", "Pārdošanas atskaite"),  # Baltic
    (1258, "cp1258", "Bán hàng theo tháng"),  # Vietnamese
])
def test_biff5_text_is_read_in_its_code_page(tmp_path: Path, codepage: int, encoding: str, text: str) -> None:
    path = tmp_path / f"cp{codepage}.xls"
    path.write_bytes(_biff5_stream(text, codepage, encoding))
    assert detect_kind(path) == "xls"
    with Library.open(tmp_path / "lib") as lib:
        assert [e.status for e in lib.add([path], workers=0) if e.kind == "file_done"] == ["indexed"]
        assert lib.passages(path)[0][1] == f"Sheet1 | {text}"
        assert lib.search(text.split()[0], k=1)[0].file == str(path)

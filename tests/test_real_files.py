"""Real files through the whole library path: samples, the shared corpora, and every malformed file in
one batch. Each chunk's text really is at its claimed location."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pypdfium2
import pytest
from openpyxl import load_workbook

from indexing.library import Library
from indexing.records import IndexEvent

_WS = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", text))


def _add(lib: Library, paths: list[Path], workers: int | None = 2) -> dict[str, IndexEvent]:
    return {e.path: e for e in lib.add(paths, workers=workers) if e.kind == "file_done"}


@pytest.fixture(scope="module")
def sample_library(tmp_path_factory: pytest.TempPathFactory, samples_dir: Path) -> Library:
    lib = Library.open(tmp_path_factory.mktemp("samples") / "lib")
    docs = [p for p in samples_dir.iterdir() if p.suffix.lower() in {".pdf", ".docx", ".xlsx", ".txt", ".md"}
            and p.name != "README.md"]
    events = _add(lib, docs)
    assert {e.status for e in events.values()} == {"indexed"}, events
    yield lib
    lib.close()


def test_every_sample_question_finds_its_location(sample_library: Library, samples_dir: Path) -> None:
    questions = json.loads((samples_dir / "questions.json").read_text(encoding="utf-8"))
    misses = []
    for q in questions:
        if not q["answerable"]:
            continue
        hits = sample_library.search(q["question"], k=5)
        good = [h for h in hits if Path(h.file).name == q["file"] and _location_matches(h.location.to_json(),
                                                                                          q["location"])]
        if not good:
            misses.append((q["id"], q["question"], [(Path(h.file).name, h.location.to_json()) for h in hits[:2]]))
    assert not misses, misses


def _location_matches(got: dict, want: dict) -> bool:
    for key, value in want.items():
        if key == "rows" or key == "lines":
            lo, hi = got.get(key, [0, -1])
            if not (lo <= value[1] and value[0] <= hi):
                return False
        elif key == "heading":
            if not str(got.get("heading", "")).startswith(value):
                return False
        elif got.get(key) != value:
            return False
    return True


def test_pdf_chunks_are_on_their_page(sample_library: Library, samples_dir: Path) -> None:
    _check_pdf_chunks(sample_library, next(samples_dir.glob("*.pdf")))


def test_xlsx_chunks_hold_their_rows(sample_library: Library, samples_dir: Path) -> None:
    path = next(samples_dir.glob("*.xlsx"))
    doc = sample_library.document(path)
    assert doc is not None and doc.sheets and doc.chunks > 0
    wb = load_workbook(path, data_only=True, read_only=True)
    checked = 0
    for _cid, _o, text, loc, _h in sample_library.store.chunks_of(doc.doc_id):
        assert loc.sheet in wb.sheetnames and loc.rows is not None
        ws = wb[loc.sheet]
        cells = [c for row in ws.iter_rows(min_row=loc.rows[0], max_row=loc.rows[1], values_only=True)
                 for c in row if isinstance(c, str) and len(c) >= 3]
        assert cells, (loc, text)
        for cell in cells:
            assert _squash(cell) in _squash(text), (cell, loc, text)
            checked += 1
    assert checked > 50


def test_text_chunks_are_on_their_lines(sample_library: Library, samples_dir: Path) -> None:
    path = next(samples_dir.glob("*.txt"))
    lines = path.read_bytes().decode("gbk").splitlines()
    doc = sample_library.document(path)
    assert doc is not None
    for _cid, _o, text, loc, _h in sample_library.store.chunks_of(doc.doc_id):
        assert loc.lines is not None
        source = _squash("".join(lines[loc.lines[0] - 1 : loc.lines[1]]))
        assert _squash(text) in source or source in _squash(text), (loc, text)


def _check_pdf_chunks(lib: Library, path: Path) -> None:
    doc = lib.document(path)
    assert doc is not None and doc.status == "indexed", doc
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        pages = [_squash(pdf[i].get_textpage().get_text_range()) for i in range(len(pdf))]
    finally:
        pdf.close()
    for _cid, _o, text, loc, _h in lib.store.chunks_of(doc.doc_id):
        assert loc.page is not None and 1 <= loc.page <= len(pages)
        if lib.page_lines(path, loc.page):  # read by OCR (a scanned cover): no text layer to hold it
            assert not pages[loc.page - 1] or len(pages[loc.page - 1]) < 10, (path.name, loc.page)
            continue
        piece = _squash(text)[:40]
        assert piece in pages[loc.page - 1], (path.name, loc.page, piece)


@pytest.mark.shared
@pytest.mark.slow
def test_real_corpora_index_and_pdf_chunks_sit_on_their_pages(shared_dir: Path, tmp_path: Path) -> None:
    files = []
    for kind, n in (("pdf", 40), ("docx", 40), ("xlsx", 30)):
        files += sorted(p for p in (shared_dir / kind).rglob(f"*.{kind}"))[:n]
    with Library.open(tmp_path / "lib") as lib:
        events = _add(lib, files)
        assert len(events) == len(files)
        indexed = [p for p, e in events.items() if e.status == "indexed"]
        assert len(indexed) >= 0.8 * len(files), [(Path(p).name, e.reason) for p, e in events.items()
                                                  if e.status != "indexed"]
        for e in events.values():
            if e.status == "failed":
                assert e.reason and e.detail
        pdfs = [Path(p) for p in indexed if p.endswith(".pdf")][:15]
        assert pdfs
        for pdf in pdfs:
            _check_pdf_chunks(lib, pdf)


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_malformed_file_ends_in_a_message_and_the_batch_goes_on(shared_dir: Path, samples_dir: Path,
                                                                      tmp_path: Path) -> None:
    malformed = shared_dir / "malformed"
    good = next(samples_dir.glob("*.docx"))
    with Library.open(tmp_path / "lib") as lib:
        events = _add(lib, [malformed, good])
        expected = [p for p in malformed.rglob("*") if p.is_file() and not p.name.startswith(".")]
        assert len(events) == len(expected) + 1
        assert events[str(good.resolve())].status == "indexed"
        for path, e in events.items():
            assert e.status in {"indexed", "failed", "skipped"}, (path, e)
            if e.status != "indexed":
                assert e.reason and e.detail, (path, e)
        failed = [e for e in events.values() if e.status == "failed"]
        kinds = {e.detail.split(":")[0] for e in failed}
        assert {"encrypted", "corrupt", "bomb"} <= kinds, kinds  # (its .doc/.xls are read now)
        assert not any("died" in (e.detail or "") for e in failed), "a parser process crashed"
        assert lib.search("password rotation", k=1)[0].file == str(good.resolve())

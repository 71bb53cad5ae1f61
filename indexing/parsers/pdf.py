"""PDF: one block per page, text from PDFium (pypdfium2).

Why PDFium and not pypdf: on the 55-page Chinese manual in the test corpus PDFium extracts 300-400
pages/s against pypdf's 16-31, and its text matches the corpus's expected text as well (word F1 0.962 vs
0.961, over 13 documents); tests/bench/bench_pdf_extractors.py measures both. pypdf stays as the fallback
for the few damaged files PDFium refuses (a PDF without its %PDF header).
PDFium objects are not thread-safe: one parse runs in one thread at a time, which is how the indexer
calls us (a worker process per file).

Pages without a usable text layer (a scan; text drawn as curves; a layer that extracts as garbage: fonts
without a Unicode map, byte-swapped text) are rendered and read by OCR (parsers/ocr.py), page by page;
their recognised lines and boxes go to info.page_lines for highlighting.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.normalize import normalize_text
from indexing.page_lines import PageLine, page_text
from indexing.parsers import better_title

# FPDF_GetLastError codes after a failed load (fpdfview.h).
_ERR_FILE = 2
_ERR_PASSWORD = 4
_ERR_SECURITY = 5  # an encryption handler PDFium does not support: we cannot decrypt it either
_ERR_SUCCESS = 0  # "loaded" but FPDF_GetPageCount < 1: a document without pages


def parse(path: Path, info: DocumentInfo, limits: Limits, password: str | None = None) -> Iterator[Block]:
    """Yield one Block per page that has text; raise NO_TEXT when no page has any.

    `password`: the user password of a protected PDF, for this parse only.
    """
    info.kind = "pdf"
    try:
        doc = _open(path, password)
    except FileProblem as problem:
        if problem.kind is not ProblemKind.CORRUPT:
            raise
        # PDFium gives up on some damaged files that pypdf's repair reads (a missing %PDF header).
        yield from _pypdf_fallback(path, info, limits, problem, password)
        return
    try:
        count = len(doc)
        info.pages = count
        if count > limits.max_pages:
            raise FileProblem(ProblemKind.TOO_LARGE, detail=f"{count} pages > limit {limits.max_pages}")
        title = _metadata_title(doc)
        if title:
            info.title = better_title(info.title or path.stem, title)
        yield from _pages(doc, count, info, limits)
    finally:
        doc.close()


def _open(path: Path, password: str | None = None) -> pdfium.PdfDocument:
    # A file object rather than a path: PDFium's own fopen() cannot open non-ASCII paths on Windows,
    # and Chinese file names are the norm for our users. Same speed (measured).
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise FileProblem(ProblemKind.UNREADABLE, detail=f"{type(exc).__name__}: {exc}") from exc
    try:
        return pdfium.PdfDocument(stream, password=password, autoclose=True)
    except pdfium.PdfiumError as exc:
        stream.close()
        problem = _load_problem(exc)
        if password and getattr(exc, "err_code", None) == _ERR_PASSWORD:
            from indexing.messages import wrong_password_message

            problem = FileProblem(ProblemKind.ENCRYPTED, problem.detail, message=wrong_password_message())
        raise problem from exc
    except BaseException:
        stream.close()
        raise


def _load_problem(exc: pdfium.PdfiumError) -> FileProblem:
    code = getattr(exc, "err_code", None)
    detail = f"PDFium: {exc}"
    if code in (_ERR_PASSWORD, _ERR_SECURITY):
        return FileProblem(ProblemKind.ENCRYPTED, detail=detail)
    if code == _ERR_FILE:
        return FileProblem(ProblemKind.UNREADABLE, detail=detail)
    if code == _ERR_SUCCESS:
        return FileProblem(ProblemKind.EMPTY, detail="the PDF has no pages")
    return FileProblem(ProblemKind.CORRUPT, detail=detail)


def _pages(doc: pdfium.PdfDocument, count: int, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    yielded = 0
    empty: list[int] = []
    failed: list[int] = []
    drawn = False  # does any page without text show something (a scan) or are they blank?
    use_ocr = limits.ocr and _ocr_available()
    early: dict[int, tuple[str, bool] | None] = {}  # the first pages, read once to find running lines
    for index in range(min(count, RUNNING_SAMPLE)):
        try:
            early[index] = _page_text_and_objects(doc, index)
        except pdfium.PdfiumError:
            early[index] = None
    running = running_lines([e[0] for e in early.values() if e and not text_layer_is_garbage(e[0])])
    for index in range(count):
        number = index + 1
        try:
            got = early.pop(index) if index in early else _page_text_and_objects(doc, index)
            if got is None:
                raise pdfium.PdfiumError("page failed")
            text, has_objects = got
        except pdfium.PdfiumError:
            failed.append(number)
            continue
        garbage = bool(text) and text_layer_is_garbage(text)
        if garbage:
            text, has_objects = "", True
        text = strip_running(text, running)
        if not text and has_objects and use_ocr:
            lines = _ocr_page(doc, index)
            if lines:
                info.page_lines[number] = lines
                text = join_cjk_lines(page_text(lines))
        if not text:
            empty.append(number)
            drawn = drawn or has_objects
            continue
        # FPDF_GetPageLabel answers only where the document defines /PageLabels; "" otherwise.
        label = doc.get_page_label(index) or None
        yield Block(text, Location(page=number, page_label=label), group=("page", number))
        yielded += 1
    if yielded == 0:
        if failed:
            raise FileProblem(ProblemKind.CORRUPT, detail=f"no page could be read ({len(failed)} failed)")
        if not drawn:
            raise FileProblem(ProblemKind.EMPTY, detail=f"all {count} pages are blank")
        if use_ocr:
            raise FileProblem(ProblemKind.EMPTY, detail=f"OCR found no text on {count} scanned pages")
        raise FileProblem(ProblemKind.NO_TEXT, detail=f"none of {count} pages has a text layer")
    _note_skipped(info, count, empty, failed)


RUNNING_SAMPLE = 12  # pages read to find running headers and footers
_RUNNING_EDGE = 2  # lines at the top and at the bottom of a page that may be running lines
_NUMBERS = re.compile(r"\d+")


def _line_key(line: str) -> str:
    return _NUMBERS.sub("#", line.strip())  # "第 3 页 / 共 7 页" and "第 4 页 / 共 7 页" are one running line


def _edges(text: str) -> list[str]:
    lines = [x for x in text.split("\n") if x.strip()]
    k = min(_RUNNING_EDGE, len(lines) // 2)  # a short page: its middle is content
    return lines[:k] + lines[len(lines) - k:]


def running_lines(texts: list[str]) -> frozenset[str]:
    """Running headers and footers: a line (numbers aside) at the top or bottom of at least half of the
    pages, and of 3 at least. They are not the page's content: repeated in every passage they match every
    search for the company's or the document's name and fill quotes and the model's prompt. (Content that
    also repeats at the same edge of half the pages, numbers aside, would be taken for one: a page left
    with nothing keeps its text.)"""
    texts = [t for t in texts if t.strip()]
    counts: dict[str, int] = {}
    for text in texts:
        for key in {_line_key(x) for x in _edges(text)}:
            counts[key] = counts.get(key, 0) + 1
    need = max(3, (len(texts) + 1) // 2)
    return frozenset(k for k, n in counts.items() if n >= need and len(k) > 1)


def strip_running(text: str, running: frozenset[str]) -> str:
    """The page's text without its running lines at the top and bottom (all of it, when that is all)."""
    if not running:
        return text
    lines = text.split("\n")
    start, end = 0, len(lines)
    for _ in range(_RUNNING_EDGE):
        while start < end and not lines[start].strip():
            start += 1
        if start < end and _line_key(lines[start]) in running:
            start += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        if end > start and _line_key(lines[end - 1]) in running:
            end -= 1
    kept = "\n".join(lines[start:end]).strip()
    return kept or text


def _ocr_available() -> bool:
    from indexing.parsers import ocr

    return ocr.available()


def _ocr_page(doc: pdfium.PdfDocument, index: int) -> list[PageLine]:
    """Render one page (as displayed: /Rotate applied) and OCR it."""
    from indexing.parsers import ocr

    page = doc[index]
    try:
        width, height = page.get_size()
        # Grey is all the recogniser needs, and a third of the memory of colour.
        bitmap = page.render(scale=ocr.render_scale(width, height), grayscale=True)
        image = bitmap.to_pil()
    finally:
        page.close()
    return ocr.recognize(image)


# --- text layers that are there but say nothing ---------------------------------------------------

_MIN_GOOD_SHARE = 0.5  # of the characters: letters, digits and ordinary punctuation


def text_layer_is_garbage(text: str) -> bool:
    """Whether an extracted text layer is unusable: mostly control characters, private-use or unassigned
    code points and replacement characters (fonts without a Unicode map), or ASCII shifted into the high
    byte of UTF-16 ("䴀甀氀琀" for "Mult": a byte-swapped layer), or symbols with hardly a letter.
    Measured on ../shared/corpora: flags the 3 garbage layers in scans/ and none of the pages of pdf/
    (tests/bench/bench_ocr.py --garbage)."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return False
    swapped = sum(1 for ch in chars if 0x2000 <= ord(ch) <= 0x7E00 and ord(ch) & 0xFF == 0)
    if len(chars) >= 4 and swapped >= 0.3 * len(chars):
        return True
    # Punctuation says nothing either way (a table of contents is mostly dot leaders): letters and digits
    # against symbols, control characters, private-use and unassigned code points.
    kinds = [unicodedata.category(ch) for ch in chars]
    letters = sum(1 for k in kinds if k[0] in "LN")
    others = sum(1 for k in kinds if k[0] not in "LNP")
    if letters < _MIN_GOOD_SHARE * (letters + others):
        return True
    if len(chars) >= 3 and letters <= 1 and not _plain_symbols(chars):
        return True
    bad = sum(1 for k in kinds if k in ("Cc", "Co", "Cn", "Cs")) + text.count("\ufffd")
    return bad >= 0.3 * len(chars)


def _plain_symbols(chars: list[str]) -> bool:
    """A page of ordinary symbols and numbers (a table of dashes, a page of bullets) is not garbage."""
    return all(ch.isascii() and (ch.isalnum() or ch in "-–—.,:;()[]|/*•_=+·") for ch in chars)


def _note_skipped(info: DocumentInfo, count: int, empty: list[int], failed: list[int]) -> None:
    if empty:
        info.warnings.append(f"{len(empty)} of {count} pages have no text (scanned?): {_pages_list(empty)}")
    if failed:
        info.warnings.append(f"{len(failed)} pages could not be read: {_pages_list(failed)}")


def _page_text_and_objects(doc: pdfium.PdfDocument, index: int) -> tuple[str, bool]:
    """One page's text, normalised, with CJK lines that wrap mid-sentence joined again; and whether
    a page without text draws anything (a scan) or nothing (blank)."""
    page = doc[index]
    try:
        textpage = page.get_textpage()
        try:
            raw = textpage.get_text_range()
        finally:
            textpage.close()
        # PDFium marks a hyphen it removed at a line end with U+FFFE and drops the line break
        # ("Ef\ufffefects"); normalize_text deletes U+FFFE, which gives back the word.
        text = join_cjk_lines(normalize_text(raw))
        # Counting objects is cheap, and only needed to tell a scan from a blank page.
        has_objects = not text and pdfium.raw.FPDFPage_CountObjects(page) > 0
    finally:
        page.close()
    return text, has_objects


def _pypdf_fallback(
    path: Path, info: DocumentInfo, limits: Limits, problem: FileProblem, password: str | None = None
) -> Iterator[Block]:
    """Read with pypdf what PDFium refused; if pypdf fails too, the PDFium problem stands."""
    import pypdf

    # pypdf logs every repair it makes on a damaged file; that is noise here, the outcome is what counts.
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        reader = pypdf.PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(password or ""):
            raise FileProblem(ProblemKind.ENCRYPTED, detail="pypdf: needs a password")
        count = len(reader.pages)
        labels = reader.page_labels
    except FileProblem:
        raise
    except Exception as exc:  # pypdf raises many kinds on a damaged file: all mean the same here
        raise FileProblem(
            problem.kind, detail=f"{problem.detail}; pypdf: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        logger.setLevel(level)
    if count == 0 or count > limits.max_pages:
        raise problem
    info.pages = count
    info.warnings.append("read with the fallback reader (the PDF is damaged)")
    yielded = 0
    for index in range(count):
        try:
            text = join_cjk_lines(normalize_text(reader.pages[index].extract_text() or ""))
        except Exception:  # a page pypdf cannot read is skipped like an empty one
            text = ""
        if text:
            label = labels[index] if index < len(labels) and labels[index] != str(index + 1) else None
            yield Block(text, Location(page=index + 1, page_label=label), group=("page", index + 1))
            yielded += 1
    if yielded == 0:
        raise problem


def _pages_list(numbers: list[int], shown: int = 10) -> str:
    text = ", ".join(str(n) for n in numbers[:shown])
    return text + (", ..." if len(numbers) > shown else "")


def _metadata_title(doc: pdfium.PdfDocument) -> str:
    try:
        return normalize_text(doc.get_metadata_value("Title") or "")
    except (pdfium.PdfiumError, UnicodeDecodeError, ValueError):
        return ""


# --- CJK line joins ---------------------------------------------------------------------------------

# Ideographs and kana: scripts written without spaces between words. Not hangul: Korean puts spaces
# between words, and a line end there may stand for a space or split a word; we cannot tell which.
_CJK_LETTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK_LETTERS}]")
# A wrapped line may end in a letter or in punctuation that never ends a sentence...
_JOIN_AFTER = re.compile(f"[{_CJK_LETTERS}，、；：“‘（《〈【]$")
# ...and the next line starts with a letter or with punctuation that never starts an item.
_JOIN_BEFORE = re.compile(f"^[{_CJK_LETTERS}，。、；：！？”’）》〉】]")
# A line at least this share of the page's widest CJK line was wrapped by the layout, not by the author.
_FULL_LINE = 0.8


def join_cjk_lines(text: str) -> str:
    """Undo line wrapping inside Chinese/Japanese text: "包内共享常\\n量" -> "包内共享常量".

    Only where the earlier line is (nearly) as wide as the page's widest line, so a short line (a
    heading such as "第一章 总则", the end of a paragraph) keeps its line break. Widths count a CJK
    character as two columns, as it is drawn.
    """
    if not _HAS_CJK.search(text):
        return text
    lines = text.split("\n")
    widths = [_width(line) for line in lines]
    full = max((w for line, w in zip(lines, widths, strict=True) if _HAS_CJK.search(line)), default=0)
    out = [lines[0]]
    for previous, width, line in zip(lines, widths, lines[1:], strict=False):  # pairs of neighbours
        if width >= _FULL_LINE * full and _JOIN_AFTER.search(previous) and _JOIN_BEFORE.match(line):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def _width(line: str) -> int:
    if line.isascii():
        return len(line)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)

"""Decide what a file really is, from its name and its first bytes, before any parser touches it.

The name says what the person expects; the magic bytes say what the file is. When they disagree we say so
(WRONG_TYPE, LEGACY, ENCRYPTED) instead of letting a parser fail with a confusing technical error.
"""

from __future__ import annotations

import mmap
import re
import struct
import zipfile
from pathlib import Path

from indexing.errors import FileProblem, ProblemKind
from indexing.limits import DEFAULT_LIMITS, Limits

# Suffix -> kind. Macro-enabled and template variants have the same XML parts as the plain formats.
SUPPORTED_SUFFIXES: dict[str, str] = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".docm": "docx",
    ".dotx": "docx",
    ".dotm": "docx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xltx": "xlsx",
    ".xltm": "xlsx",
    ".pptx": "pptx",
    ".pptm": "pptx",
    ".ppsx": "pptx",
    ".ppsm": "pptx",
    ".potx": "pptx",
    ".potm": "pptx",
    # Binary Office 97-2003 and WPS Office: what they really are is decided from their bytes.
    ".doc": "doc",
    ".dot": "doc",
    ".wps": "doc",
    ".wpt": "doc",
    ".xls": "xls",
    ".xlt": "xls",
    ".et": "xls",
    ".ett": "xls",
    ".ppt": "ppt",
    ".pps": "ppt",
    ".pot": "ppt",
    ".dps": "ppt",
    ".dpt": "ppt",
    ".rtf": "rtf",
    ".txt": "text",
    ".text": "text",
    ".log": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".csv": "csv",
    ".tsv": "csv",
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif", ".webp", ".heic", ".heif"), "image"),
}
KINDS = frozenset(SUPPORTED_SUFFIXES.values()) | {"wordml", "html"}
# Names whose content may be any Office format: sniffed, then sent to the reader of what the bytes are.
_SNIFFED_KINDS = frozenset({"doc", "xls", "ppt", "rtf"})

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ZIP_EMPTY_MAGIC = b"PK\x05\x06"  # an end-of-central-directory record first: a zip with no members
_PDF_MAGIC = b"%PDF-"
# PDF readers accept junk before the header; Acrobat looks within the first 1024 bytes.
_PDF_HEADER_WINDOW = 1024
_HEAD_BYTES = 4096

# Magic bytes that mean "certainly not text" for a file named .txt/.md/.csv.
_BINARY_MAGICS: dict[bytes, str] = {
    _PDF_MAGIC: "a PDF",
    _ZIP_MAGIC: "a zip archive (perhaps a Word or Excel file)",
    _OLE2_MAGIC: "an old Office binary file",
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf\x27\x1c": "a 7-zip archive",
    b"Rar!": "a RAR archive",
    b"\x7fELF": "a program",
    b"MZ": "a Windows program",
}

# The main part of each OOXML flavour, to tell a .docx that is really a workbook (and so on).
_MAIN_PARTS: dict[str, str] = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "xl/workbook.bin": "xlsb",
    "ppt/presentation.xml": "pptx",
}
# OLE2 stream (lower-cased) -> the kind it makes the container.
_OLE2_STREAMS: dict[str, str] = {
    "worddocument": "doc",
    "workbook": "xls",
    "book": "xls",
    "powerpoint document": "ppt",
}
_BARE_BIFF = (b"\x09\x00", b"\x09\x02", b"\x09\x04")  # BOF of Excel 2.x-4.0 files (no OLE2 container)
_WORDPERFECT_MAGIC = b"\xffWPC"
_KIND_NAMES = {
    "docx": "a Word document",
    "xlsx": "an Excel workbook",
    "xlsb": "a binary Excel workbook",
    "pptx": "a PowerPoint presentation",
    "doc": "a Word 97-2003 document",
    "xls": "an Excel 97-2003 workbook",
    "ppt": "a PowerPoint 97-2003 presentation",
    "other": "an Office package with no Word or Excel content (a theme, perhaps)",
}


def is_supported_name(path: str | Path) -> bool:
    """True for names we would try to index. Office lock files ('~$report.docx') are not documents."""
    name = Path(path).name
    if name.startswith("~$"):
        return False
    return Path(name).suffix.lower() in SUPPORTED_SUFFIXES


def detect_kind(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The kind to parse `path` as: "pdf", "docx", "xlsx", "pptx", "doc", "xls", "ppt", "rtf", "wordml",
    "html", "text", "markdown" or "csv".

    Raises FileProblem (UNSUPPORTED, LEGACY, UNREADABLE, EMPTY, TOO_LARGE, WRONG_TYPE, ENCRYPTED) when the
    file should not reach a parser at all.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    expected = SUPPORTED_SUFFIXES.get(suffix)
    if expected is None:
        raise FileProblem(ProblemKind.UNSUPPORTED, detail=f"suffix {suffix or '(none)'!r}")
    size = _file_size(path)
    if size == 0:
        raise FileProblem(ProblemKind.EMPTY, detail="0 bytes")
    if size > limits.max_file_bytes:
        raise FileProblem(ProblemKind.TOO_LARGE, detail=f"{size} bytes > limit {limits.max_file_bytes}")
    head = _read_head(path)
    if expected in _SNIFFED_KINDS:
        return _sniff_office(path, head)
    if expected == "pdf":
        return _check_pdf(path, head, size)
    if expected in ("docx", "xlsx", "pptx"):
        return _check_ooxml(path, head, expected)
    if expected == "image":
        return _check_image(head)
    return _check_text(head, expected)


def _file_size(path: Path) -> int:
    try:
        st = path.stat()
    except OSError as exc:
        raise FileProblem(ProblemKind.UNREADABLE, detail=f"{type(exc).__name__}: {exc}") from exc
    if not path.is_file():
        raise FileProblem(ProblemKind.UNREADABLE, detail="not a regular file")
    return st.st_size


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(_HEAD_BYTES)
    except OSError as exc:
        raise FileProblem(ProblemKind.UNREADABLE, detail=f"{type(exc).__name__}: {exc}") from exc


def _read_tail(path: Path, size: int, count: int = 2048) -> bytes:
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, size - count))
            return fh.read(count)
    except OSError as exc:
        raise FileProblem(ProblemKind.UNREADABLE, detail=f"{type(exc).__name__}: {exc}") from exc


def _sniff_office(path: Path, head: bytes) -> str:
    """A .doc/.xls/.ppt/.wps/.et/.dps/.rtf name: what the bytes are decides the reader.

    Word, Excel and WPS save OOXML, RTF, HTML and Word 2003 XML under the old names, and an .xls may be a
    bare Excel 2.x-4.0 stream. Microsoft Works and WordPerfect files are told apart and named.
    """
    suffix = path.suffix.lower()
    if head.startswith(_OLE2_MAGIC):
        return _ole2_kind(path)
    if head.startswith(_ZIP_MAGIC):
        actual = _ooxml_main_kind(path)
        if actual in ("docx", "xlsx", "pptx"):
            return actual
        raise FileProblem(ProblemKind.WRONG_TYPE, detail=f"named {suffix} but is a zip archive ({actual})")
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head[:2] in _BARE_BIFF and len(head) >= 4 and head[2] in (4, 6, 8) and head[3] == 0:
        return "xls"
    if head[:4] in (b"\x09\x08\x08\x00", b"\x09\x08\x10\x00"):  # a bare BIFF5/8 workbook stream
        return "xls"
    if head.startswith(_WORDPERFECT_MAGIC) or head.startswith(b"\xcb\x0a\x01"):
        raise FileProblem(ProblemKind.LEGACY, detail="a WordPerfect document")
    text = _markup_head(head)
    if text.startswith("<?xml") or text.startswith("<w:worddocument"):
        if "w:worddocument" in text or 'progid="word.document"' in text:
            return "wordml"
        raise FileProblem(ProblemKind.UNSUPPORTED, detail=f"named {suffix} but is an XML file")
    if text.startswith(("<html", "<!doctype html", "mime-version:")) or "<html" in text[:512]:
        return "html"
    other = _binary_magic(head)
    if other:
        raise FileProblem(ProblemKind.WRONG_TYPE, detail=f"named {suffix} but is {other}")
    raise FileProblem(ProblemKind.WRONG_TYPE, detail=f"named {suffix} but is not an Office file")


def _markup_head(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        data = head.decode("utf-16", "replace")
    else:
        data = head.decode("utf-8", "replace")
    return data.lstrip("\ufeff \t\r\n").lower()


def _ole2_kind(path: Path) -> str:
    """doc, xls or ppt from the container's top-level streams (embedded objects have their own, deeper
    down); ENCRYPTED for an encrypted OOXML package or a rights-managed document."""
    entries = _ole2_paths(path)
    if entries is None:  # olefile cannot walk it: the raw directory scan still finds the main stream
        top = {name.lower() for name in _ole2_names(path)}
        all_names = top
        if not top - {"root entry"}:
            raise FileProblem(ProblemKind.CORRUPT, detail="OLE2 container whose directory cannot be read")
    else:
        top = {e[0].lower() for e in entries if len(e) == 1}
        all_names = {part.lower() for e in entries for part in e}
    if "encryptedpackage" in top:
        raise FileProblem(ProblemKind.ENCRYPTED, detail="OLE2 container with an EncryptedPackage stream")
    if any(name.endswith("drmcontent") for name in all_names):  # its WordDocument holds only a notice
        raise FileProblem(ProblemKind.ENCRYPTED, detail="rights-management (IRM) protected")
    for stream, kind in _OLE2_STREAMS.items():
        if stream in top:
            return kind
    if {"contents", "mn0"} & top:
        raise FileProblem(ProblemKind.LEGACY, detail="a Microsoft Works document")
    raise FileProblem(ProblemKind.UNSUPPORTED, detail=f"OLE2 container with streams {sorted(top)[:8]}")


def _ole2_paths(path: Path) -> list[list[str]] | None:
    try:
        import olefile
    except ImportError:
        return None
    try:
        with olefile.OleFileIO(str(path)) as ole:
            return [list(entry) for entry in ole.listdir(streams=True, storages=True)]
    except Exception:
        return None


def _check_pdf(path: Path, head: bytes, size: int) -> str:
    if _PDF_MAGIC in head[:_PDF_HEADER_WINDOW]:
        return "pdf"
    other = _binary_magic(head)
    if other:
        raise FileProblem(ProblemKind.WRONG_TYPE, detail=f"named .pdf but is {other}")
    # No header, but PDF structure (objects, trailer): PDFium repairs these, so let it try.
    tail = _read_tail(path, size)
    if re.search(rb"\d+\s+\d+\s+obj\b", head) and (b"%%EOF" in tail or b"startxref" in tail):
        return "pdf"
    raise FileProblem(ProblemKind.WRONG_TYPE, detail="named .pdf but has no %PDF header")


def _check_ooxml(path: Path, head: bytes, expected: str) -> str:
    if head.startswith(_ZIP_EMPTY_MAGIC):
        raise FileProblem(ProblemKind.EMPTY, detail="a zip archive with no members")
    if head.startswith(_OLE2_MAGIC):
        # An encrypted OOXML package (ENCRYPTED), or Word and Excel 97-2003 files renamed to the new name:
        # read them as what they are.
        return _ole2_kind(path)
    if not head.startswith(_ZIP_MAGIC):
        other = _binary_magic(head) or "not a zip package"
        raise FileProblem(ProblemKind.WRONG_TYPE, detail=f"named {path.suffix.lower()} but is {other}")
    actual = _ooxml_main_kind(path)
    if actual is not None and actual != expected:
        raise FileProblem(
            ProblemKind.WRONG_TYPE,
            detail=f"named {path.suffix.lower()} but is {_KIND_NAMES.get(actual, actual)}",
        )
    return expected


def _ooxml_main_kind(path: Path) -> str | None:
    """Which OOXML flavour a zip holds, from its member names; None when unsure (the parser decides).

    "other" for a well-formed Office package with no Word/Excel/PowerPoint part (a theme, say).
    A zip whose directory cannot be read is the parser's to report as CORRUPT.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    for part, kind in _MAIN_PARTS.items():
        if part in names:
            return kind
    has_folder = any(name.startswith(("word/", "xl/", "ppt/")) for name in names)
    if "[Content_Types].xml" in names and not has_folder:
        return "other"
    return None


_IMAGE_MAGICS = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*", b"BM")
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def _check_image(head: bytes) -> str:
    """Any image format we read, whatever the suffix says (a .jpg that is really a PNG is still an image)."""
    if head.startswith(_IMAGE_MAGICS) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "image"
    other = _binary_magic(head) or "not an image"
    raise FileProblem(ProblemKind.WRONG_TYPE, detail=f"named as an image but is {other}")


def _check_text(head: bytes, expected: str) -> str:
    other = _binary_magic(head)
    if other:
        raise FileProblem(ProblemKind.WRONG_TYPE, detail=f"named as text but is {other}")
    return expected


def _binary_magic(head: bytes) -> str | None:
    for magic, what in _BINARY_MAGICS.items():
        if head.startswith(magic):
            return what
    return None


# --- OLE2 (Compound File Binary) directory, just enough to list stream names -------------------------

_FREE_OR_END = 0xFFFFFFFA  # sector numbers at or above this are markers (end of chain, free, FAT, DIFAT)
_MAX_SECTORS_WALKED = 1_000_000


def _ole2_names(path: Path) -> set[str]:
    """Every directory entry name; for a container too damaged to walk, the stream names found by search."""
    try:
        with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            try:
                names = _ole2_entry_names(data)
            except (struct.error, ValueError, IndexError):
                names = set()
            if "Root Entry" in names:
                return names
            wanted = ["EncryptedPackage", "WordDocument", "Workbook", "Book", "PowerPoint Document"]
            return {name for name in wanted if data.find(name.encode("utf-16-le")) >= 0}
    except (OSError, ValueError):
        return set()


def _ole2_entry_names(data: mmap.mmap) -> set[str]:
    sector_size = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    if sector_size not in (512, 4096):
        raise ValueError(f"sector size {sector_size}")
    fat_sectors = _ole2_fat_sector_list(data, sector_size)
    per_sector = sector_size // 4

    def next_sector(sector: int) -> int:
        fat_sector = fat_sectors[sector // per_sector]
        return struct.unpack_from("<I", data, (fat_sector + 1) * sector_size + 4 * (sector % per_sector))[0]

    names: set[str] = set()
    sector = struct.unpack_from("<I", data, 0x30)[0]
    seen: set[int] = set()
    while sector < _FREE_OR_END and sector not in seen and len(seen) < _MAX_SECTORS_WALKED:
        seen.add(sector)
        base = (sector + 1) * sector_size
        for entry in range(base, base + sector_size, 128):
            length = struct.unpack_from("<H", data, entry + 0x40)[0]
            if 2 <= length <= 64:
                names.add(bytes(data[entry : entry + length - 2]).decode("utf-16-le", "replace"))
        sector = next_sector(sector)
    return names


def _ole2_fat_sector_list(data: mmap.mmap, sector_size: int) -> list[int]:
    """The sectors holding the FAT: 109 listed in the header, the rest in a chain of DIFAT sectors."""
    fat_count = struct.unpack_from("<I", data, 0x2C)[0]
    listed = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < _FREE_OR_END]
    difat = struct.unpack_from("<I", data, 0x44)[0]
    per_sector = sector_size // 4 - 1
    seen: set[int] = set()
    while difat < _FREE_OR_END and difat not in seen and len(listed) < fat_count:
        seen.add(difat)
        base = (difat + 1) * sector_size
        listed.extend(s for s in struct.unpack_from(f"<{per_sector}I", data, base) if s < _FREE_OR_END)
        difat = struct.unpack_from("<I", data, base + 4 * per_sector)[0]
    return listed

"""Safety checks for a .docx/.xlsx package, run BEFORE python-docx, openpyxl or calamine open it.

Why a separate pass: the readers trust the zip's central directory and parse every XML part they load. A
hostile package can declare gigabytes of content, inflate far beyond what it declares, hide `../` member
names, or carry a DOCTYPE whose entities expand exponentially ("billion laughs") or fetch outside content
(XXE). Every member is checked here once, with bounded reads, so the readers only ever see packages whose
sizes are known, whose CRCs are right and whose XML has no DOCTYPE.
"""

from __future__ import annotations

import itertools
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits

CONTENT_TYPES = "[Content_Types].xml"

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# Other types people save under an Office name, told apart by their first bytes.
_OTHER_MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF file"),
    (b"{\\rtf", "an RTF file"),
    (b"BZh", "a bzip2 archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)
# The ratio rule applies above this size only: small parts legitimately compress very well.
_BIG_MEMBER = 10 * 1024 * 1024
_PROLOG_LIMIT = 1024 * 1024  # an XML prolog (before the root element) longer than this is hiding something
_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zip local file header, 30 bytes
_URL_SCHEMA = re.compile(rb"schemaLocation\s*=\s*[\"'][a-zA-Z][a-zA-Z0-9+.-]*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Package:
    """What the check learned: member names and the content type of every part."""

    names: frozenset[str]
    content_types: dict[str, str] = field(default_factory=dict)  # "/word/document.xml" -> content type
    defaults: dict[str, str] = field(default_factory=dict)  # extension -> content type
    main_part: str = ""  # target of the package's officeDocument relationship, e.g. "word/document.xml"
    strict: bool = False  # ISO 29500 Strict: other namespaces, which python-docx and openpyxl do not read

    @property
    def main_type(self) -> str:
        return self.content_type(self.main_part) if self.main_part else ""

    def content_type(self, part: str) -> str:
        """Content type of a part name like 'word/document.xml' (OPC names are case-insensitive)."""
        name = "/" + part.lstrip("/")
        for key, value in self.content_types.items():
            if key.lower() == name.lower():
                return value
        return self.defaults.get(PurePosixPath(name).suffix.lstrip(".").lower(), "")


def check_package(path: Path, limits: Limits, required: tuple[str, ...] = (CONTENT_TYPES,)) -> Package:
    """Raise FileProblem unless `path` is an Office Open XML package that is safe to hand to a reader.

    required: members that must exist (missing: CORRUPT).
    """
    head, size = _read_head(path)
    _check_magic(path, head)
    if size > limits.max_file_bytes:
        raise FileProblem(ProblemKind.TOO_LARGE, f"{size} bytes (limit {limits.max_file_bytes})")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_directory(infos, limits)
            names = frozenset(info.filename for info in infos)
            with path.open("rb") as raw:
                for info in infos:
                    _verify_member(raw, info)
            for info in infos:
                _check_xml_part(zf, info)
            missing = [name for name in required if name not in names]
            if missing:
                raise FileProblem(ProblemKind.CORRUPT, f"package has no {', '.join(missing)}")
            return _read_content_types(zf, names)
    except FileProblem:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error) as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"bad zip: {exc}") from exc
    except NotImplementedError as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"zip feature not used by Office: {exc}") from exc
    except OSError as exc:
        raise FileProblem(ProblemKind.UNREADABLE, str(exc)) from exc


def _read_head(path: Path) -> tuple[bytes, int]:
    try:
        with path.open("rb") as fh:
            return fh.read(16), path.stat().st_size
    except OSError as exc:
        raise FileProblem(ProblemKind.UNREADABLE, str(exc)) from exc


def _check_magic(path: Path, head: bytes) -> None:
    """Tell an encrypted or legacy Office file, or another type, from a damaged package."""
    if not head:
        raise FileProblem(ProblemKind.EMPTY, "0 bytes")
    if head.startswith(_OLE2_MAGIC):
        if _contains(path, _ENCRYPTED_PACKAGE):
            raise FileProblem(ProblemKind.ENCRYPTED, "OLE2 container with an EncryptedPackage stream")
        raise FileProblem(ProblemKind.LEGACY, "OLE2 compound file (legacy .doc/.xls) under an OOXML name")
    if head.startswith(_ZIP_MAGICS):
        return
    for magic, what in _OTHER_MAGICS:
        if head.startswith(magic):
            raise FileProblem(ProblemKind.WRONG_TYPE, f"the file is {what}")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<?xml", b"<html", b"<!doctype html", b"<w:document")):
        raise FileProblem(ProblemKind.WRONG_TYPE, "the file is XML/HTML text, not a zip package")
    raise FileProblem(ProblemKind.CORRUPT, f"not a zip package (starts with {head[:8]!r})")


def _contains(path: Path, needle: bytes) -> bool:
    """Streamed search, so a large OLE2 file is never read whole."""
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            if needle in tail + chunk:
                return True
            tail = chunk[-len(needle) :]
    return False


def _check_directory(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Declared sizes, names and layout, before a single byte is inflated."""
    if not infos:
        raise FileProblem(ProblemKind.EMPTY, "zip package with no members")
    if len(infos) > limits.max_zip_members:
        raise FileProblem(ProblemKind.BOMB, f"{len(infos)} members (limit {limits.max_zip_members})")
    total = 0
    for info in infos:
        _check_name(info.filename)
        if info.flag_bits & 0x1:
            raise FileProblem(ProblemKind.ENCRYPTED, f"zip member {info.filename!r} is encrypted")
        size = info.file_size
        if size > limits.max_member_bytes:
            raise FileProblem(ProblemKind.BOMB, f"member {info.filename!r} declares {size} bytes")
        if size > _BIG_MEMBER and size > limits.max_zip_ratio * max(info.compress_size, 1):
            ratio = size / max(info.compress_size, 1)
            raise FileProblem(ProblemKind.BOMB, f"member {info.filename!r} compression ratio {ratio:.0f}")
        total += size
        if total > limits.max_unzipped_bytes:
            raise FileProblem(
                ProblemKind.BOMB, f"package unzips to more than {limits.max_unzipped_bytes} bytes"
            )
    _check_overlap(infos)


def _check_name(name: str) -> None:
    """Zip-slip: a member name that climbs out of, or starts outside, the package."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        raise FileProblem(ProblemKind.BOMB, f"member name escapes the package: {name[:120]!r}")


def _check_overlap(infos: list[zipfile.ZipInfo]) -> None:
    """Overlapping members (Fifield's zip bomb) share compressed bytes to multiply their output."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for one, nxt in itertools.pairwise(ordered):
        if nxt.header_offset < one.header_offset + 30 + one.compress_size:
            raise FileProblem(ProblemKind.BOMB, f"members {one.filename!r} and {nxt.filename!r} overlap")


def _verify_member(raw: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Inflate one member with a hard cap at its declared size and check its CRC.

    zipfile itself stops at the declared size, but calamine's zip reader inflates the whole stream, so
    a member whose deflate stream runs past its declared size is a bomb, not just a damaged file.
    """
    if info.is_dir():
        return
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
        raise FileProblem(ProblemKind.CORRUPT, f"member {info.filename!r}: bad local header")
    fields = _LOCAL_HEADER.unpack(header)
    raw.seek(fields[-2] + fields[-1], 1)  # skip the local name and extra field
    if info.compress_type == zipfile.ZIP_STORED:
        crc, size = _crc_stored(raw, info.compress_size)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        crc, size = _crc_deflated(raw, info)
    else:
        raise FileProblem(ProblemKind.CORRUPT, f"member {info.filename!r}: compression {info.compress_type}")
    if size != info.file_size:
        raise FileProblem(
            ProblemKind.CORRUPT, f"member {info.filename!r}: {size} bytes, declared {info.file_size}"
        )
    if crc != info.CRC:
        raise FileProblem(ProblemKind.CORRUPT, f"member {info.filename!r}: bad CRC")


def _crc_stored(raw: BinaryIO, length: int) -> tuple[int, int]:
    crc, size = 0, 0
    while size < length:
        chunk = raw.read(min(_CHUNK, length - size))
        if not chunk:
            break
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
    return crc, size


def _crc_deflated(raw: BinaryIO, info: zipfile.ZipInfo) -> tuple[int, int]:
    inflater = zlib.decompressobj(-15)
    crc, size, left = 0, 0, info.compress_size
    try:
        while left > 0 and not inflater.eof:
            chunk = raw.read(min(_CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            # max_length keeps one chunk's output bounded even at deflate's ~1000:1 ratio.
            data = inflater.decompress(chunk, _CHUNK * 4)
            while True:
                size += len(data)
                if size > info.file_size:
                    raise FileProblem(
                        ProblemKind.BOMB, f"member {info.filename!r} inflates past its declared size"
                    )
                crc = zlib.crc32(data, crc)
                if not inflater.unconsumed_tail:
                    break
                data = inflater.decompress(inflater.unconsumed_tail, _CHUNK * 4)
    except zlib.error as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"member {info.filename!r}: {exc}") from exc
    if not inflater.eof:
        raise FileProblem(ProblemKind.CORRUPT, f"member {info.filename!r}: deflate stream cut short")
    return crc, size


def _check_xml_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """No DOCTYPE anywhere in the prolog of any XML part: Office never writes one.

    python-docx's parser does not resolve entities and lxml does not fetch from the network by default,
    but the prolog check makes that independent of every reader's settings (calamine, openpyxl, ...).
    """
    if info.is_dir() or info.file_size == 0:
        return
    with zf.open(info) as fh:
        head = fh.read(_CHUNK)
        if not _looks_like_xml(head):
            return
        _check_prolog(_read_prolog(fh, head), info.filename)
    if info.filename.lower().endswith("xmlmaps.xml"):
        with zf.open(info) as fh:
            _check_xml_map(fh.read(_PROLOG_LIMIT), info.filename)


def _looks_like_xml(head: bytes) -> bool:
    text = _ascii_view(head[:64]).lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    return text.startswith(b"<")


def _ascii_view(data: bytes) -> bytes:
    """UTF-16/32 markup with its NUL bytes dropped reads as ASCII, which is all the checks look at."""
    if b"\x00" in data[:4]:
        return data.replace(b"\x00", b"")
    return data


def _read_prolog(fh: BinaryIO, head: bytes) -> bytes:
    """Everything before the root element, read in chunks up to _PROLOG_LIMIT."""
    data = head
    while True:
        view = _ascii_view(data)
        end = _root_start(view)
        if end is not None:
            return view[:end]
        if len(data) > _PROLOG_LIMIT:
            raise FileProblem(ProblemKind.BOMB, "XML prolog longer than 1 MB")
        chunk = fh.read(_CHUNK)
        if not chunk:
            return view
        data += chunk


def _root_start(view: bytes) -> int | None:
    """Where the prolog ends in `view`: the root element's '<', skipping the declaration, PIs and comments.

    A DOCTYPE ends the scan at once with the whole view as prolog: _check_prolog rejects it anyway.
    """
    pos = 0
    while True:
        pos = view.find(b"<", pos)
        if pos < 0 or pos + 1 >= len(view):
            return None
        if view.startswith(b"<?", pos):
            end = view.find(b"?>", pos)
        elif view.startswith(b"<!--", pos):
            end = view.find(b"-->", pos)
        elif view.startswith(b"<!", pos):
            return len(view)
        else:
            return pos
        if end < 0:
            return None
        pos = end + 1


def _check_prolog(prolog: bytes, name: str) -> None:
    upper = prolog.upper()
    if b"<!ENTITY" in upper:
        raise FileProblem(ProblemKind.BOMB, f"{name}: XML declares entities (entity expansion or XXE)")
    if b"<!DOCTYPE" in upper:
        raise FileProblem(ProblemKind.BOMB, f"{name}: XML declares a DOCTYPE")


def _check_xml_map(data: bytes, name: str) -> None:
    """An XML map's schema that imports from a URL: external content no reader should follow."""
    if _URL_SCHEMA.search(_ascii_view(data)):
        raise FileProblem(ProblemKind.BOMB, f"{name}: XML schema refers to an outside location")


def _read_content_types(zf: zipfile.ZipFile, names: Iterable[str]) -> Package:
    """The Default/Override table of [Content_Types].xml and the main part named by _rels/.rels."""
    names = frozenset(names)
    if CONTENT_TYPES not in names:
        return Package(names=names)
    overrides: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for el in _xml_children(zf, CONTENT_TYPES):
        local = el.tag.rsplit("}", 1)[-1]
        if local == "Override" and el.get("PartName"):
            overrides[el.get("PartName", "")] = el.get("ContentType", "")
        elif local == "Default" and el.get("Extension"):
            defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
    main_part, strict = "", False
    if "_rels/.rels" in names:
        for el in _xml_children(zf, "_rels/.rels"):
            rel_type = el.get("Type", "")
            if rel_type.endswith("/officeDocument") and not main_part:
                main_part = el.get("Target", "").lstrip("/")
                strict = "purl.oclc.org/ooxml" in rel_type
    return Package(names, overrides, defaults, main_part, strict)


def _xml_children(zf: zipfile.ZipFile, name: str) -> list:
    """Children of a small XML part's root, parsed with a parser that resolves and fetches nothing."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(zf.read(name), parser)
    except etree.XMLSyntaxError as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"{name}: {exc}") from exc
    return [el for el in root if isinstance(el.tag, str)]


def read_part(zf: zipfile.ZipFile, name: str) -> Any:
    """A package part as an lxml element; check_package has already refused any DOCTYPE in it."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.fromstring(zf.read(name), parser)
    except KeyError as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"part {name} is missing") from exc
    except etree.XMLSyntaxError as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"{name}: {exc}") from exc

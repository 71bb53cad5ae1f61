"""PowerPoint 97-2003 (.ppt/.pps/.pot) and WPS Presentation (.dps) to blocks: the text of each slide.

The "PowerPoint Document" stream is a tree of records. The current edit (named by the "Current User"
stream) leads to the persist directory, which maps ids to record offsets; the document's slide list
gives the slides in presentation order, each with its placeholder text (title and body) and a reference
to the slide's own record, whose drawing holds the text of the other shapes (text boxes, tables drawn as
shapes), and to its notes. Text of a slide comes from both, each line once.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.normalize import normalize_text
from indexing.parsers.legacy_ole import open_ole, read_stream, stream_names

_DOCUMENT = 0x03E8
_SLIDE = 0x03EE
_SLIDE_ATOM = 0x03EF
_NOTES = 0x03F0
_SLIDE_PERSIST = 0x03F3
_LIST_WITH_TEXT = 0x0FF0
_TEXT_HEADER = 0x0F9F
_TEXT_CHARS = 0x0FA0
_TEXT_BYTES = 0x0FA8
_CSTRING = 0x0FBA
_USER_EDIT = 0x0FF5
_PERSIST_DIRECTORY = 0x1772
_TITLE_TYPES = (0, 6)  # TextHeaderAtom: title, centred title
_MAX_DEPTH = 32
_MAX_EDITS = 1000


@dataclass(slots=True)
class _Slide:
    persist_id: int
    title: str = ""
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, text: str, title: bool = False) -> None:
        text = normalize_text(text.replace("\r", "\n").replace("\x0b", "\n"))
        if not text or text in self.lines or text == self.title:
            return
        if title and not self.title:
            self.title = " ".join(text.split())
        else:
            self.lines.append(text)


def parse(path: Path, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    info.kind = "ppt"
    ole = open_ole(path)
    try:
        names = stream_names(ole)
        if "powerpoint document" not in names:
            raise FileProblem(ProblemKind.UNSUPPORTED, "no PowerPoint Document stream")
        data = read_stream(ole, names["powerpoint document"], limits)
        user = read_stream(ole, names["current user"], limits) if "current user" in names else b""
    finally:
        ole.close()
    slides = _Deck(data, user).slides()
    info.pages = len(slides)
    for number, slide in enumerate(slides, 1):
        group = ("slide", number)
        location = Location(slide=number, title=slide.title or None)
        if slide.title:
            yield Block(slide.title, location, group=group, heading=slide.title, is_heading=True)
        for line in slide.lines:
            yield Block(line, location, group=group, heading=slide.title or None)
        for line in slide.notes:
            yield Block(line, location, group=group, heading=slide.title or None)


class _Deck:
    def __init__(self, data: bytes, current_user: bytes) -> None:
        self.data = data
        self.persist: dict[int, int] = {}
        self.document_offset: int | None = None
        if len(current_user) >= 20:
            try:
                self._read_edits(struct.unpack_from("<I", current_user, 16)[0])
            except (struct.error, IndexError):
                self.persist = {}

    def _header(self, at: int) -> tuple[int, int, int, int]:
        """(version, instance, type, length) of the record at `at`."""
        ver_inst, rtype, length = struct.unpack_from("<HHI", self.data, at)
        return ver_inst & 0xF, ver_inst >> 4, rtype, length

    def _read_edits(self, offset: int) -> None:
        seen: set[int] = set()
        doc_ref = None
        while offset and offset not in seen and len(seen) < _MAX_EDITS and offset + 8 <= len(self.data):
            seen.add(offset)
            _v, _i, rtype, length = self._header(offset)
            if rtype != _USER_EDIT:
                break
            body = offset + 8
            last_edit, persist_at, doc_id = struct.unpack_from("<III", self.data, body + 8)
            if length >= 32 and struct.unpack_from("<I", self.data, body + 28)[0]:  # encryptSessionPersistIdRef
                raise FileProblem(ProblemKind.ENCRYPTED, "PowerPoint document is encrypted")
            doc_ref = doc_ref if doc_ref is not None else doc_id
            self._read_directory(persist_at)
            offset = last_edit
        if doc_ref is not None and doc_ref in self.persist:
            self.document_offset = self.persist[doc_ref]

    def _read_directory(self, at: int) -> None:
        _v, _i, rtype, length = self._header(at)
        if rtype != _PERSIST_DIRECTORY:
            return
        pos, end = at + 8, min(at + 8 + length, len(self.data))
        while pos + 4 <= end:
            (entry,) = struct.unpack_from("<I", self.data, pos)
            first, count = entry & 0xFFFFF, entry >> 20
            pos += 4
            for k in range(count):
                if pos + 4 > end:
                    break
                self.persist.setdefault(first + k, struct.unpack_from("<I", self.data, pos)[0])  # newest wins
                pos += 4

    def _children(self, at: int) -> Iterator[tuple[int, int, int, int, int]]:
        """(offset, version, instance, type, length) of the records inside the container at `at`."""
        _v, _i, _t, length = self._header(at)
        pos, end = at + 8, min(at + 8 + length, len(self.data))
        while pos + 8 <= end:
            ver, inst, rtype, rlen = self._header(pos)
            yield pos, ver, inst, rtype, rlen
            pos += 8 + rlen

    def _texts(self, at: int, depth: int = 0) -> Iterator[tuple[str, int | None]]:
        """Every text atom under the record at `at`, with the text type of its header atom."""
        kind = None
        for pos, ver, _inst, rtype, rlen in self._children(at):
            if ver == 0xF and depth < _MAX_DEPTH:
                yield from self._texts(pos, depth + 1)
            elif rtype == _TEXT_HEADER and rlen >= 4:
                kind = struct.unpack_from("<I", self.data, pos + 8)[0]
            elif rtype in (_TEXT_CHARS, _TEXT_BYTES):
                yield self._atom_text(pos, rtype, rlen), kind

    def _atom_text(self, pos: int, rtype: int, rlen: int) -> str:
        raw = self.data[pos + 8 : pos + 8 + rlen]
        return raw.decode("utf-16-le", "replace") if rtype == _TEXT_CHARS else raw.decode("latin-1")

    def slides(self) -> list[_Slide]:
        if self.document_offset is None:
            found = self._find(_DOCUMENT)
            if found is None:
                raise FileProblem(ProblemKind.CORRUPT, "no document record in the PowerPoint stream")
            self.document_offset = found
        slides: list[_Slide] = []
        for pos, _ver, inst, rtype, _len in self._children(self.document_offset):
            if rtype == _LIST_WITH_TEXT and inst == 0:
                slides.extend(self._slide_list(pos))
        for slide in slides:
            self._add_drawing_text(slide)
        return [s for s in slides if s.title or s.lines or s.notes]

    def _find(self, rtype: int) -> int | None:
        pos = 0
        while pos + 8 <= len(self.data):
            _v, _i, t, length = self._header(pos)
            if t == rtype:
                return pos
            pos += 8 + length
        return None

    def _slide_list(self, at: int) -> list[_Slide]:
        slides: list[_Slide] = []
        kind = None
        for pos, _ver, _inst, rtype, rlen in self._children(at):
            if rtype == _SLIDE_PERSIST and rlen >= 4:
                slides.append(_Slide(struct.unpack_from("<I", self.data, pos + 8)[0]))
            elif rtype == _TEXT_HEADER and rlen >= 4:
                kind = struct.unpack_from("<I", self.data, pos + 8)[0]
            elif rtype in (_TEXT_CHARS, _TEXT_BYTES) and slides:
                slides[-1].add(self._atom_text(pos, rtype, rlen), title=kind in _TITLE_TYPES)
        return slides

    def _add_drawing_text(self, slide: _Slide) -> None:
        offset = self.persist.get(slide.persist_id)
        if offset is None or offset + 8 > len(self.data) or self._header(offset)[2] != _SLIDE:
            return
        notes_id = 0
        for pos, _ver, _inst, rtype, rlen in self._children(offset):
            if rtype == _SLIDE_ATOM and rlen >= 20:
                notes_id = struct.unpack_from("<I", self.data, pos + 8 + 16)[0]
        for text, kind in self._texts(offset):
            slide.add(text, title=kind in _TITLE_TYPES)
        notes = self.persist.get(notes_id) if notes_id else None
        if notes is not None and notes + 8 <= len(self.data) and self._header(notes)[2] == _NOTES:
            for text, kind in self._texts(notes):
                line = normalize_text(text.replace("\r", "\n"))
                if line and kind not in (None, 0, 6) and line not in slide.notes and line not in slide.lines:
                    slide.notes.append(line)

"""PowerPoint (.pptx/.pptm/.ppsx/.potx) to blocks: each slide's text in reading order, then its notes.

Read straight from the package XML after ooxml.check_package (zip and XML bombs refused), without
python-pptx: the text is a few elements deep and python-pptx would add Pillow and XlsxWriter to the bundle.
Slides come in presentation order (presentation.xml's slide list); on a slide, the title first, then the
shapes top to bottom and left to right (groups read as their members), tables as rows under their header
row, and the speaker notes last. Every block carries {"slide": n, "title": …}.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.normalize import normalize_text
from indexing.parsers.ooxml import Package, check_package, read_part
from indexing.parsers.tables import table_blocks

_P = "http://schemas.openxmlformats.org/presentationml/2006/main"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_TITLE_TYPES = frozenset({"title", "ctrTitle"})
_SKIPPED_PLACEHOLDERS = frozenset({"sldNum", "dt", "ftr", "hdr", "sldImg"})
_MAX_DEPTH = 50


def parse(path: Path, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    package = check_package(path, limits)
    _check_type(package)
    info.kind = "pptx"
    with zipfile.ZipFile(path) as zf:
        slides = _slide_parts(zf, package.main_part)
        info.pages = len(slides)
        for number, part in enumerate(slides, 1):
            yield from _slide_blocks(zf, part, number)


def _check_type(package: Package) -> None:
    main = package.main_type
    if "presentationml" in main or "ms-powerpoint" in main:
        return
    if "wordprocessingml" in main or "ms-word" in main:
        raise FileProblem(ProblemKind.WRONG_TYPE, "the package is a Word document, not a presentation")
    if "spreadsheetml" in main or "ms-excel" in main:
        raise FileProblem(ProblemKind.WRONG_TYPE, "the package is an Excel workbook, not a presentation")
    raise FileProblem(ProblemKind.WRONG_TYPE, f"the package has no presentation part (main: {main or 'none'})")


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (target part, relationship type's last word) of `part`."""
    base = PurePosixPath(part).parent
    name = str(base / "_rels" / (PurePosixPath(part).name + ".rels"))
    if name not in zf.namelist():
        return {}
    out: dict[str, tuple[str, str]] = {}
    for el in read_part(zf, name):
        if el.get("TargetMode") == "External":
            continue
        target = el.get("Target") or ""
        member = target.lstrip("/") if target.startswith("/") else _join(base, target)
        out[el.get("Id") or ""] = (member, (el.get("Type") or "").rsplit("/", 1)[-1])
    return out


def _join(base: PurePosixPath, target: str) -> str:
    parts: list[str] = []
    for piece in (base / target).parts:
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in (".", ""):
            parts.append(piece)
    return "/".join(parts)


def _slide_parts(zf: zipfile.ZipFile, main: str) -> list[str]:
    main = main or "ppt/presentation.xml"
    root = read_part(zf, main)
    rels = _rels(zf, main)
    names = set(zf.namelist())
    slides = []
    for sld in root.iter(f"{{{_P}}}sldId"):
        target = rels.get(sld.get(f"{{{_R}}}id") or "")
        if target and target[1] == "slide" and target[0] in names:
            slides.append(target[0])
    return slides


def _slide_blocks(zf: zipfile.ZipFile, part: str, number: int) -> Iterator[Block]:
    root = read_part(zf, part)
    tree = root.find(f"{{{_P}}}cSld/{{{_P}}}spTree")
    if tree is None:
        return
    title, items = _shapes(tree)
    location = Location(slide=number, title=title or None)
    group = ("slide", number)
    if title:
        yield Block(title, location, group=group, heading=title, is_heading=True)
    tables = 0
    for item in items:
        if isinstance(item, str):
            yield Block(item, location, group=group, heading=title or None)
        else:
            tables += 1
            yield from table_blocks(item, tables, title or None, location=location)
    for note in _notes(zf, part):
        yield Block(note, location, group=group, heading=title or None)


def _shapes(tree: Any) -> tuple[str, list[str | list[list[str]]]]:
    """The slide's title and its other content (text per shape, tables as rows) in reading order."""
    title = ""
    found: list[tuple[tuple[int, int], int, str | list[list[str]]]] = []
    for order, (shape, position) in enumerate(_leaf_shapes(tree, (0, 0), 0)):
        tag = shape.tag.rsplit("}", 1)[-1]
        if tag == "graphicFrame":
            rows = _table(shape)
            if rows:
                found.append((position, order, rows))
            continue
        ph = shape.find(f"{{{_P}}}nvSpPr/{{{_P}}}nvPr/{{{_P}}}ph")
        ph_type = ph.get("type", "body") if ph is not None else None
        if ph_type in _SKIPPED_PLACEHOLDERS:
            continue
        text = _text_body(shape.find(f"{{{_P}}}txBody"))
        if not text:
            continue
        if ph_type in _TITLE_TYPES and not title:
            title = " ".join(text.split())
            continue
        found.append((position, order, text))
    found.sort(key=lambda item: (item[0], item[1]))
    return title, [item[2] for item in found]


def _leaf_shapes(container: Any, offset: tuple[int, int], depth: int) -> Iterator[tuple[Any, tuple[int, int]]]:
    """Text shapes and graphic frames with their (top, left) on the slide; groups opened up in place."""
    if depth > _MAX_DEPTH:
        return
    for child in container:
        tag = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
        if tag == "grpSp":
            yield from _leaf_shapes(child, _position(child, offset), depth + 1)
        elif tag == "sp" or tag == "graphicFrame":
            yield child, _position(child, offset)
        elif tag == "AlternateContent":
            choice = next((c for c in child if str(c.tag).endswith("Choice")), None)
            if choice is not None:
                yield from _leaf_shapes(choice, offset, depth + 1)


def _position(shape: Any, offset: tuple[int, int]) -> tuple[int, int]:
    off = None
    for el in shape.iter(f"{{{_A}}}off"):
        off = el
        break
    if off is None:
        return offset
    try:
        return int(off.get("y", "0")), int(off.get("x", "0"))
    except ValueError:
        return offset


def _text_body(body: Any) -> str:
    if body is None:
        return ""
    lines = []
    for p in body.iter(f"{{{_A}}}p"):
        parts = []
        for el in p.iter(f"{{{_A}}}t", f"{{{_A}}}br"):
            parts.append(el.text or "" if el.tag.endswith("}t") else "\n")
        lines.append("".join(parts))
    return normalize_text("\n".join(lines))


def _table(frame: Any) -> list[list[str]]:
    rows = []
    for tr in frame.iter(f"{{{_A}}}tr"):
        cells = []
        for tc in tr.findall(f"{{{_A}}}tc"):
            if tc.get("hMerge") or tc.get("vMerge"):
                cells.append("")
                continue
            cells.append(" ".join(_text_body(tc.find(f"{{{_A}}}txBody")).split()))
        rows.append(cells)
    return rows


def _notes(zf: zipfile.ZipFile, slide_part: str) -> Iterator[str]:
    for target, kind in _rels(zf, slide_part).values():
        if kind != "notesSlide" or target not in zf.namelist():
            continue
        tree = read_part(zf, target).find(f"{{{_P}}}cSld/{{{_P}}}spTree")
        if tree is None:
            continue
        for shape, _pos in _leaf_shapes(tree, (0, 0), 0):
            ph = shape.find(f"{{{_P}}}nvSpPr/{{{_P}}}nvPr/{{{_P}}}ph")
            if ph is not None and ph.get("type") == "body":
                text = _text_body(shape.find(f"{{{_P}}}txBody"))
                if text:
                    yield text

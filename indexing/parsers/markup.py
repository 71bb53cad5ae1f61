"""Word documents saved as markup under an old name: RTF, Word 2003 XML (WordprocessingML) and HTML.

Word, WPS and many web systems write these with a .doc name; the bytes decide (indexing.filetypes).
Each paragraph becomes a block, located by its paragraph number as in the .docx reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from pathlib import Path

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.normalize import normalize_text

_WORDML_NS = "http://schemas.microsoft.com/office/word/2003/wordml"
_MAX_MARKUP_BYTES = 64 * 1024 * 1024  # text markup this large is not a document anyone typed


def parse(path: Path, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    data = _read(path)
    if info.kind == "rtf":
        yield from _paragraph_blocks(_rtf_text(data).split("\n"))
    elif info.kind == "wordml":
        yield from _paragraph_blocks(_wordml_paragraphs(data))
    else:
        yield from _paragraph_blocks(_html_paragraphs(data))


def _read(path: Path) -> bytes:
    size = path.stat().st_size
    if size > _MAX_MARKUP_BYTES:
        raise FileProblem(ProblemKind.TOO_LARGE, f"{size} bytes of markup")
    return path.read_bytes()


def _paragraph_blocks(paragraphs: Iterable[str]) -> Iterator[Block]:
    number = 0
    for raw in paragraphs:
        text = normalize_text(raw)
        if not text:
            continue
        number += 1
        yield Block(text, Location(paragraph=number), group=("section", None))


def _rtf_text(data: bytes) -> str:
    from striprtf.striprtf import rtf_to_text

    # RTF is 7-bit; \\'xx escapes carry bytes in the code page that \\ansicpg names (936 for GBK).
    text = data.decode("latin-1")
    match = re.search(r"\\ansicpg(\d+)", text[:2048])
    encoding = f"cp{match.group(1)}" if match else "cp1252"
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "cp1252"
    try:
        return rtf_to_text(text, encoding=encoding, errors="replace")
    except (ValueError, IndexError, LookupError) as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"RTF: {exc!r}") from exc


def _wordml_paragraphs(data: bytes) -> Iterator[str]:
    from lxml import etree

    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:4096], re.IGNORECASE):
        raise FileProblem(ProblemKind.BOMB, "Word XML declares a DOCTYPE")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"Word XML: {exc}") from exc
    p_tag, t_tag, tab, br = (f"{{{_WORDML_NS}}}{t}" for t in ("p", "t", "tab", "br"))
    for p in root.iter(p_tag):
        if any(anc.tag == p_tag for anc in p.iterancestors()):
            continue
        parts = []
        for el in p.iter(t_tag, tab, br):
            parts.append(el.text or "" if el.tag == t_tag else ("\t" if el.tag == tab else "\n"))
        yield "".join(parts)


class _HtmlText(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table",
                         "title", "td", "th"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self._BLOCKS:
            self.parts.append(" | " if tag in ("td", "th") else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_paragraphs(data: bytes) -> Iterator[str]:
    match = re.search(rb"charset=[\"']?([\w-]+)", data[:4096], re.IGNORECASE)
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        text = data.decode(encoding, "replace")
    except LookupError:
        text = data.decode("utf-8", "replace")
    reader = _HtmlText()
    reader.feed(text)
    reader.close()
    for line in "".join(reader.parts).split("\n"):
        line = line.strip(" |")
        if line:
            yield line

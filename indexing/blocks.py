"""What a parser yields: small structural units of text, each with its exact location."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexing.locations import Location
from indexing.page_lines import PageLine


@dataclass(frozen=True, slots=True)
class Block:
    """One structural unit: a PDF page's text, a Word paragraph, one table row, a sheet row, a run of lines.

    The chunker packs consecutive blocks into passages. Blocks merge only when `group` is equal
    (same page, same heading section, same table, same sheet, same file), so a passage never
    straddles a page, a heading, a table or a sheet.

    text:    what the person sees, already self-describing for table rows
             ("Name: Zhang San | Dept: IT").
    header:  for table rows, the header line the chunker repeats at the top of each table chunk.
    heading: the heading path in force ("3 Leave > 3.2 Sick leave"); added to the indexed text.
    """

    text: str
    location: Location
    group: tuple = ()
    header: str | None = None
    heading: str | None = None
    is_heading: bool = False


@dataclass(slots=True)
class DocumentInfo:
    """What a parser learned about the whole document, filled in while it yields blocks."""

    kind: str = ""  # "pdf", "docx", "xlsx", "text", "markdown", "csv", "image"
    title: str = ""
    pages: int | None = None  # PDF pages
    sheets: list[str] = field(default_factory=list)  # Excel sheet names
    encoding: str | None = None  # text files
    warnings: list[str] = field(default_factory=list)
    page_lines: dict[int, list[PageLine]] = field(default_factory=dict)  # OCRed pages: recognised lines

"""Where a passage came from: the exact place a citation points to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Location:
    """One place inside a document.

    Which fields are set depends on the format:
    PDF: page (1-based) and page_label when the document defines one;
    Excel: sheet and rows (1-based, inclusive, as Excel numbers them);
    Word: heading path ("3 Leave > 3.2 Sick leave") and paragraph (1-based, the first of the chunk),
          or heading, table (1-based) and rows (1-based data rows, inclusive);
    text/Markdown/CSV: lines (1-based, inclusive);
    PowerPoint: slide (1-based) and the slide's title when it has one.
    """

    page: int | None = None
    page_label: str | None = None
    sheet: str | None = None
    rows: tuple[int, int] | None = None
    heading: str | None = None
    paragraph: int | None = None
    table: int | None = None
    lines: tuple[int, int] | None = None
    slide: int | None = None
    title: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The `location` object of the command line's --json contract."""
        out: dict[str, Any] = {}
        if self.page is not None:
            out["page"] = self.page
            if self.page_label and self.page_label != str(self.page):
                out["label"] = self.page_label
        if self.sheet is not None:
            out["sheet"] = self.sheet
        if self.slide is not None:
            out["slide"] = self.slide
            if self.title:
                out["title"] = self.title
        if self.heading is not None or self.paragraph is not None or self.table is not None:
            out["heading"] = self.heading or ""
        if self.paragraph is not None:
            out["paragraph"] = self.paragraph
        if self.table is not None:
            out["table"] = self.table
        if self.rows is not None:
            out["rows"] = [self.rows[0], self.rows[1]]
        if self.lines is not None:
            out["lines"] = [self.lines[0], self.lines[1]]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Location:
        rows = data.get("rows")
        lines = data.get("lines")
        return cls(
            page=data.get("page"),
            page_label=data.get("label"),
            sheet=data.get("sheet"),
            rows=(int(rows[0]), int(rows[1])) if rows else None,
            heading=data.get("heading"),
            paragraph=data.get("paragraph"),
            table=data.get("table"),
            lines=(int(lines[0]), int(lines[1])) if lines else None,
            slide=data.get("slide"),
            title=data.get("title"),
        )

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> Location:
        return cls.from_json(json.loads(text))

    def describe(self) -> str:
        """A short human label: 'p. 3', 'Sheet1 rows 12-14', 'A > B ¶7', 'lines 10-24', 'slide 4 (Budget)'."""
        parts: list[str] = []
        if self.slide is not None:
            parts.append(f"slide {self.slide} ({self.title})" if self.title else f"slide {self.slide}")
        if self.page is not None:
            label = f" ({self.page_label})" if self.page_label and self.page_label != str(self.page) else ""
            parts.append(f"p. {self.page}{label}")
        if self.sheet is not None:
            parts.append(self.sheet)
        if self.heading:
            parts.append(self.heading)
        if self.table is not None:
            parts.append(f"table {self.table}")
        if self.paragraph is not None:
            parts.append(f"¶{self.paragraph}")
        if self.rows is not None:
            parts.append(_span("rows", self.rows))
        if self.lines is not None:
            parts.append(_span("lines", self.lines))
        return ", ".join(parts)


def _span(word: str, span: tuple[int, int]) -> str:
    return f"{word} {span[0]}" if span[0] == span[1] else f"{word} {span[0]}-{span[1]}"

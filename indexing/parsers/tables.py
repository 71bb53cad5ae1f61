"""Table rows to blocks for readers that have rows of cell texts (Word binary, PowerPoint), rendered the
way the .docx reader renders its tables: a header row detected, each data row a self-describing record."""

from __future__ import annotations

from collections.abc import Iterator

from indexing.blocks import Block
from indexing.locations import Location
from indexing.parsers.docx import _Cell, _grid_width, _header_layout, _header_names, _render_row, _Row


def table_blocks(cells: list[list[str]], number: int, heading: str | None,
                 location: Location | None = None) -> Iterator[Block]:
    """`location` (e.g. a slide's) is used for every row instead of Word's table/rows location."""
    rows = [_Row([_Cell(col, 1, text, None) for col, text in enumerate(row)], False) for row in cells]
    width = _grid_width(rows)
    caption, header_count = _header_layout(rows, width)
    names = _header_names(rows[caption : caption + header_count], width) if header_count else [""] * width
    header = " | ".join(dict.fromkeys(n for n in names if n)) or None
    group = ("table", number) if location is None else ("table", number, location)
    if caption:
        text = next(c.text for c in rows[0].cells if c.text)
        where = location or Location(heading=heading, table=number)
        yield Block(text, where, group=group, heading=heading)
    for index, row in enumerate(rows[caption + header_count :], start=1):
        text = _render_row(row, names, width)
        if not text:
            continue
        where = location or Location(heading=heading, table=number, rows=(index, index))
        yield Block(text, where, group=group, header=header, heading=heading)

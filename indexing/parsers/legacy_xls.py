"""Excel 97-2003 (.xls/.xlt) and WPS Spreadsheets (.et) binary workbooks, BIFF2 to BIFF8, to blocks.

Which reader, by measurement on ../shared/corpora/legacy (tests/bench/bench_legacy.py prints it):
- xlrd first, for every BIFF version: BIFF2/3/4 (Excel 2.x-4.0, a bare BIFF stream that calamine cannot
  read at all), BIFF5/7 (Excel 5/95) and BIFF8 (Excel 97-2003, WPS Spreadsheets). Of the 168 corpus files
  both read, xlrd finds more values in 23 and fewer in none (textract's raw_text.xls: 2,073 cells against
  1,733; calamine leaves error cells and some formula results empty), and it decodes text in the file's
  CODEPAGE (Cyrillic
  cp1251, Greek cp1253, Baltic cp1257, Vietnamese cp1258, Mac Roman 10000), as calamine does too.
  An .xls holds at most 65,536 rows, so xlrd's pure-Python speed (~1.2 s for the 190 corpus files,
  calamine 0.14 s) costs little.
- python-calamine when xlrd refuses a file (damaged directories and string tables it is stricter about).
Rows go through the same renderer as .xlsx sheets (header detection, self-describing records).
"""

from __future__ import annotations

import datetime as dt
import io
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.parsers.xlsx import Row, SheetScan, _SheetRenderer

# BOF record ids of the bare BIFF2, BIFF3 and BIFF4 streams.
BARE_BIFF_BOFS = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")  # BIFF8: a decrypted stream


def parse(path: Path, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    info.kind = "xls"
    with path.open("rb") as fh:
        head = fh.read(8)
    sheets = _xlrd_sheets(path, fallback=head[:2] not in BARE_BIFF_BOFS)
    count = 0
    for name, rows in sheets:
        info.sheets.append(name)
        for block in _SheetRenderer(name, limits, info).render((rows, SheetScan())):
            count += 1
            yield block
    if count == 0:
        raise FileProblem(ProblemKind.EMPTY, "no values in any worksheet")


def _calamine_sheets(path: Path, first_error: str) -> Iterator[tuple[str, Iterator[Row]]]:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as exc:
        raise FileProblem(ProblemKind.ENCRYPTED, f"calamine: {exc}") from exc
    except (python_calamine.CalamineError, ValueError, KeyError, OSError) as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"{first_error}; calamine: {exc}") from exc
    try:
        for meta in book.sheets_metadata:
            if str(meta.typ).rsplit(".", 1)[-1].lower() != "worksheet":
                continue  # chart, dialog and macro sheets hold no rows
            yield meta.name, _calamine_rows(book, meta.name)
    finally:
        book.close()


def _calamine_rows(book: Any, name: str) -> Iterator[Row]:
    import python_calamine

    try:
        data = book.get_sheet_by_name(name)
        first_row, first_col = data.start if data.start else (0, 0)
        for offset, values in enumerate(data.iter_rows()):
            cells = {first_col + col: v for col, v in enumerate(values) if v != "" and v is not None}
            if cells:
                yield first_row + offset + 1, cells
    except (python_calamine.CalamineError, ValueError, KeyError) as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"sheet {name!r}: {exc}") from exc


def _xlrd_sheets(path: Path, fallback: bool) -> Iterator[tuple[str, Iterator[Row]]]:
    import xlrd

    try:
        # xlrd writes its warnings to stdout unless given a log file: keep them out of the output.
        book = xlrd.open_workbook(str(path), logfile=io.StringIO())
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise FileProblem(ProblemKind.ENCRYPTED, f"xlrd: {exc}") from exc
        problem = f"xlrd: {exc}"
    except (AssertionError, ValueError, IndexError, KeyError, struct.error, xlrd.compdoc.CompDocError) as exc:
        problem = f"xlrd: {exc!r}"
    else:
        yield from _xlrd_book(book)
        return
    if not fallback:
        raise FileProblem(ProblemKind.CORRUPT, problem)
    yield from _calamine_sheets(path, problem)


def _xlrd_book(book: Any) -> Iterator[tuple[str, Iterator[Row]]]:
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            yield sheet.name, _xlrd_rows(sheet, book.datemode)
    finally:
        book.release_resources()


def _xlrd_rows(sheet: Any, datemode: int) -> Iterator[Row]:
    import xlrd

    for r in range(sheet.nrows):
        cells: dict[int, Any] = {}
        for c, cell in enumerate(sheet.row(r)):
            value = cell.value
            if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) or value == "":
                continue
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    value = xlrd.xldate_as_datetime(value, datemode)
                    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
                        value = value.date()
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    pass
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(value)
            elif cell.ctype == xlrd.XL_CELL_ERROR:  # what Excel shows in the cell: #VALUE!, #N/A, ...
                value = xlrd.error_text_from_code.get(value, "")
                if not value:
                    continue
            cells[c] = value
        if cells:
            yield r + 1, cells

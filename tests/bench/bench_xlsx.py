"""How fast can a 100k-row sheet be read? Compares the ways to read .xlsx values and our parser.

Run: .venv/bin/python tests/bench/bench_xlsx.py [--rows 100000] [--keep DIR]

The workbook is written with openpyxl's write-only mode (inline strings, as openpyxl writes them) and a
copy is rewritten to shared strings, as Excel writes them. Each reader runs once per workbook. Rates
are per CPU second (process time): on a shared machine wall time mostly measures the neighbours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from indexing.blocks import DocumentInfo  # noqa: E402
from indexing.limits import Limits  # noqa: E402
from indexing.parsers import xlsx  # noqa: E402

SHEET = "xl/worksheets/sheet1.xml"
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def write_workbook(path: Path, rows: int) -> None:
    """Eight columns of the usual kinds: text, Chinese text, dates, money, a percentage, integers."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    sheet.append(["Name", "Dept", "Date", "Amount", "Rate", "Count", "Note", "City"])
    rnd = random.Random(1)
    depts = ["IT", "HR", "Finance", "Sales", "研发部", "市场部"]
    start = dt.date(2024, 1, 1)
    for i in range(rows):
        rate = WriteOnlyCell(sheet, round(rnd.random(), 4))
        rate.number_format = "0.0%"
        sheet.append(
            [f"Person {i}", rnd.choice(depts), start + dt.timedelta(days=i % 365), round(rnd.random() * 1e4, 2),
             rate, i, f"note {rnd.randint(0, 999)}", "杭州"]
        )  # fmt: skip
    book.save(path)


_INLINE = re.compile(rb'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t>([^<]*)</t></is></c>')


def to_shared_strings(src: Path, dst: Path) -> None:
    """The same workbook with a shared-strings table, as Excel saves it."""
    strings: dict[bytes, int] = {}

    def shared(match: re.Match[bytes]) -> bytes:
        index = strings.setdefault(match.group(3), len(strings))
        return b'<c r="%s"%s t="s"><v>%d</v></c>' % (match.group(1), match.group(2), index)

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == SHEET:
                data = _INLINE.sub(shared, data)
            elif name == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdSS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
                )
            zout.writestr(name, data)
        items = b"".join(b"<si><t>%s</t></si>" % s for s in strings)
        zout.writestr(
            "xl/sharedStrings.xml",
            b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            b'2006/main" count="%d" uniqueCount="%d">%s</sst>' % (len(strings), len(strings), items),
        )


def read_openpyxl(path: Path) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    return sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))


def read_calamine(path: Path) -> int:
    import python_calamine

    sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    return sum(1 for _ in sheet.iter_rows())


def read_lxml(path: Path) -> int:
    """Streaming the sheet XML with lxml, raw values only (no shared strings, no types): a lower bound."""
    from lxml import etree

    count = 0
    with zipfile.ZipFile(path) as zf, zf.open(SHEET) as fh:
        for _, row in etree.iterparse(fh, events=("end",), tag=NS + "row", resolve_entities=False):
            _values = ["".join(c.itertext()) for c in row]
            count += 1
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
    return count


def scan_only(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        scan = xlsx.scan_sheet(zf, SHEET, {5: xlsx.NumberFormat(percent=True, decimals=1)})
    return scan.max_row


def our_parser(path: Path) -> int:
    return sum(1 for _ in xlsx.parse(path, DocumentInfo(), Limits()))


READERS: dict[str, Callable[[Path], int]] = {
    "openpyxl read-only": read_openpyxl,
    "calamine iter_rows": read_calamine,
    "lxml iterparse (raw)": read_lxml,
    "scan pass only": scan_only,
    "our parser (blocks)": our_parser,
}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__)
    args.add_argument("--rows", type=int, default=100_000)
    args.add_argument("--keep", type=Path, help="write the workbooks here and keep them")
    args.add_argument("--skip", action="append", default=[], help="reader name prefix to skip")
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = opts.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        inline, shared = folder / "inline.xlsx", folder / "shared.xlsx"
        started = time.perf_counter()
        if not inline.exists():
            write_workbook(inline, opts.rows)
        if not shared.exists():
            to_shared_strings(inline, shared)
        print(f"wrote {opts.rows} rows in {time.perf_counter() - started:.1f} s")
        for book in (inline, shared):
            print(f"\n{book.name} ({book.stat().st_size / 1e6:.1f} MB)")
            for name, reader in READERS.items():
                if any(name.startswith(s) for s in opts.skip):
                    continue
                started, cpu = time.perf_counter(), time.process_time()
                count = reader(book)
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
                print(
                    f"  {name:22} {seconds:6.2f} s wall {cpu:6.2f} s cpu  {opts.rows / cpu:9,.0f} rows/s (cpu)"
                    f"  [{count} rows]"
                )


if __name__ == "__main__":
    main()

"""Compare PDF text extractors on speed and on agreement with known-good text.

    .venv/bin/python tests/bench/bench_pdf_extractors.py [--all]

Quality: the PDFs in ../shared/corpora/pdf that come with expected text (docling's expected Markdown,
pypdf's expected .txt). Score = F1 of word unigrams (bag of words: did the words come out?) and of word
bigrams (order: did they come out in reading order?). CJK characters count as one word each.
Speed: pages per second over the quality set, over the 55-page Chinese manual, and with --all over every
PDF in the corpus (slow with pypdf: minutes).
"""

from __future__ import annotations

import argparse
import itertools
import logging
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from indexing.normalize import normalize_text  # noqa: E402

PDF_DIR = ROOT.parent / "shared" / "corpora" / "pdf"
ALIBABA = PDF_DIR / "alibaba-p3c" / "Java开发手册(黄山版).pdf"

Extractor = Callable[[Path], list[str]]


def pdfium_pages(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path)
    try:
        out = []
        for index in range(len(doc)):
            page = doc[index]
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return out
    finally:
        doc.close()


def pypdf_pages(path: Path) -> list[str]:
    import pypdf

    reader = pypdf.PdfReader(path)
    return [page.extract_text() or "" for page in reader.pages]


def our_parser_pages(path: Path) -> list[str]:
    """The project's own parser (pypdfium2 plus normalisation and CJK line joins)."""
    from indexing.blocks import DocumentInfo
    from indexing.limits import DEFAULT_LIMITS
    from indexing.parsers import pdf

    return [block.text for block in pdf.parse(path, DocumentInfo(), DEFAULT_LIMITS)]


EXTRACTORS: dict[str, Extractor] = {
    "pypdfium2": pdfium_pages,
    "pypdf": pypdf_pages,
    "indexing.parsers.pdf": our_parser_pages,
}

_MD_NOISE = re.compile(r"<!--.*?-->|!\[[^\]]*\]\([^)]*\)|\]\([^)]*\)|^#+\s|\|[-:| ]+\||[*_`|]", re.M)
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u9fff]+")


def words(text: str) -> list[str]:
    return _WORD.findall(normalize_text(text).lower())


def f1(expected: list, got: list) -> float:
    if not expected and not got:
        return 1.0
    common = sum((Counter(expected) & Counter(got)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def bigrams(tokens: list[str]) -> list[tuple[str, str]]:
    return list(itertools.pairwise(tokens))


def quality_pairs() -> list[tuple[Path, str]]:
    pairs: list[tuple[Path, str]] = []
    docling = PDF_DIR / "docling-tests"
    for md in sorted((docling / "expected-md").glob("*.md")):
        pdf_path = docling / "pdf" / "sources" / f"{md.stem}.pdf"
        if pdf_path.is_file():
            pairs.append((pdf_path, _MD_NOISE.sub(" ", md.read_text(encoding="utf-8"))))
    resources = PDF_DIR / "pypdf-resources"
    for pdf_name, txt_name in [
        ("crazyones.pdf", "crazyones.txt"),
        ("pdflatex-forms.pdf", "010-pdflatex-forms.txt"),
    ]:
        if (resources / pdf_name).is_file() and (resources / txt_name).is_file():
            pairs.append((resources / pdf_name, (resources / txt_name).read_text(encoding="utf-8")))
    return pairs


def timed(extractor: Extractor, path: Path) -> tuple[list[str], float]:
    start = time.perf_counter()
    try:
        pages = extractor(path)
    except Exception as exc:  # a benchmark reports failures, it does not stop on them
        print(f"  {path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        pages = []
    return pages, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--all", action="store_true", help="also time every PDF of the corpus")
    args = parser.parse_args()
    # pypdf logs each font and repair issue it meets; the table is what this script is for.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if not PDF_DIR.is_dir():
        sys.exit(f"no corpus at {PDF_DIR}")
    pairs = quality_pairs()
    names = list(EXTRACTORS)
    print(f"{'document':38} " + " ".join(f"{n[:20]:>22}" for n in names))
    print(f"{'':38} " + " ".join(f"{'uni/bi F1':>22}" for _ in names))
    totals = {n: [0, 0.0, 0.0, 0.0] for n in names}  # pages, seconds, sum uni, sum bi
    for path, expected in pairs:
        exp_words = words(expected)
        cells = []
        for name in names:
            pages, seconds = timed(EXTRACTORS[name], path)
            got = words("\n".join(pages))
            uni, bi = f1(exp_words, got), f1(bigrams(exp_words), bigrams(got))
            t = totals[name]
            t[0] += len(pages)
            t[1] += seconds
            t[2] += uni
            t[3] += bi
            cells.append(f"{uni:.3f}/{bi:.3f}")
        print(f"{path.stem[:38]:38} " + " ".join(f"{c:>22}" for c in cells))
    print(
        f"{'MEAN F1 (uni/bi)':38} "
        + " ".join(
            f"{totals[n][2] / len(pairs):.3f}/{totals[n][3] / len(pairs):.3f}".rjust(22) for n in names
        )
    )
    print(f"{'pages/s, quality set':38} " + " ".join(f"{totals[n][0] / totals[n][1]:>22.0f}" for n in names))
    if ALIBABA.is_file():
        cells = []
        for name in names:
            pages, seconds = timed(EXTRACTORS[name], ALIBABA)
            cells.append(f"{len(pages)}p {seconds:.2f}s {len(pages) / seconds:.0f}/s")
        print(f"{'alibaba-p3c (Chinese, 55 p)':38} " + " ".join(f"{c:>22}" for c in cells))
    if args.all:
        every = sorted(PDF_DIR.rglob("*.pdf"))
        cells = []
        for name in names:
            pages_total, seconds_total = 0, 0.0
            for path in every:
                pages, seconds = timed(EXTRACTORS[name], path)
                pages_total += len(pages)
                seconds_total += seconds
            cells.append(f"{pages_total}p {seconds_total:.1f}s")
        print(f"{f'all {len(every)} corpus PDFs':38} " + " ".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()

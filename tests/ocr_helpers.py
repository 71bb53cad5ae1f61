"""Scans made from real text PDFs: pages rendered to images and put into an image-only PDF, so the text layer
of the original is the truth the OCR is measured against."""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pypdfium2 as pdfium


def image_only_pdf(source: Path, pages: list[int], out: Path, dpi: int = 150) -> Path:
    """Pages (1-based) of `source` rendered at `dpi` and written as a PDF with images and no text."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    doc = pdfium.PdfDocument(source)
    try:
        first = doc[pages[0] - 1].get_size()
        pdf = canvas.Canvas(str(out), pagesize=first)
        for number in pages:
            page = doc[number - 1]
            width, height = page.get_size()
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            pdf.setPageSize((width, height))
            pdf.drawImage(ImageReader(io.BytesIO(buffer.getvalue())), 0, 0, width=width, height=height)
            pdf.showPage()
        pdf.save()
    finally:
        doc.close()
    return out


def page_text_layer(source: Path, page: int) -> str:
    doc = pdfium.PdfDocument(source)
    try:
        return doc[page - 1].get_textpage().get_text_range()
    finally:
        doc.close()


_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"


def comparable(text: str) -> str:
    """What character accuracy compares: NFKC, no whitespace (layouts differ in where they break lines and
    in spaces between Chinese characters; the characters are what a search needs)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def char_accuracy(got: str, truth: str) -> float:
    """1 - CER: one minus the edit distance over the length of the truth (both made comparable)."""
    a, b = comparable(got), comparable(truth)
    if not b:
        return 1.0 if not a else 0.0
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return max(0.0, 1 - previous[-1] / len(b))


def char_accuracy_any_order(got: str, truth: str) -> float:
    """1 - CER with the order of the characters ignored: a page read in another order (footer first, table
    by columns) loses nothing, a wrong, missing or extra character costs one as in CER."""
    from collections import Counter

    a, b = Counter(comparable(got)), Counter(comparable(truth))
    total = sum(b.values())
    if not total:
        return 1.0 if not a else 0.0
    return max(0.0, 1 - max(sum((b - a).values()), sum((a - b).values())) / total)

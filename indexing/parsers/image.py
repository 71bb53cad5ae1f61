"""Image files (.png .jpg .tif .bmp .gif .webp, .heic where pillow-heif is installed): read by OCR.

Each frame of a multi-page TIFF is a page ({"page": n}, like a PDF); an animated GIF or WebP is read by
its first frame only. Pillow reads only the header on open, so the size is checked before any pixel is
decoded: a JPEG is decoded at a reduced scale (draft mode) when that still leaves enough pixels for OCR,
and an image too large to decode within the worker's memory is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.page_lines import page_text
from indexing.parsers import ocr
from indexing.parsers.pdf import join_cjk_lines

_MULTI_PAGE_FORMATS = ("TIFF",)


def parse(path: Path, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    info.kind = "image"
    if not limits.ocr or not ocr.available():
        raise FileProblem(ProblemKind.NO_TEXT, detail="an image, and OCR is turned off")
    from PIL import Image, ImageOps

    _register_heif()
    Image.MAX_IMAGE_PIXELS = ocr.MAX_DECODE_PIXELS  # Pillow's own bomb check, at our limit
    try:
        image = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise FileProblem(ProblemKind.TOO_LARGE, detail=str(exc)) from exc
    with image:
        frames = getattr(image, "n_frames", 1) if image.format in _MULTI_PAGE_FORMATS else 1
        if frames > limits.max_pages:
            raise FileProblem(ProblemKind.TOO_LARGE, detail=f"{frames} pages > limit {limits.max_pages}")
        info.pages = frames
        for index in range(frames):
            image.seek(index)
            frame = ImageOps.exif_transpose(_decoded(image))  # boxes refer to the image as displayed
            lines = ocr.recognize(frame)
            if lines:
                number = index + 1
                info.page_lines[number] = lines
                yield Block(join_cjk_lines(page_text(lines)), Location(page=number), group=("page", number))


def _decoded(image: Any) -> Any:
    width, height = image.size
    if width * height > ocr.MAX_DECODE_PIXELS:
        raise FileProblem(ProblemKind.TOO_LARGE, detail=f"{width}x{height} pixels")
    if image.format == "JPEG" and max(width, height) > 2 * ocr.MAX_SIDE:
        # JPEG decodes at 1/2, 1/4 or 1/8 scale directly: the full-size pixels never exist.
        image.draft("RGB", (width * ocr.MAX_SIDE // max(width, height), height * ocr.MAX_SIDE // max(width, height)))
    image.load()
    return image


def _register_heif() -> None:
    with contextlib.suppress(ImportError):
        from pillow_heif import register_heif_opener

        register_heif_opener()

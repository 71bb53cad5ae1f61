"""Limits that keep one hostile or huge file from hanging or exhausting the machine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    max_file_bytes: int = 512 * 1024 * 1024  # larger files: TOO_LARGE
    max_unzipped_bytes: int = 1024 * 1024 * 1024  # total uncompressed size of an OOXML package
    max_member_bytes: int = 512 * 1024 * 1024  # one member of an OOXML package
    max_zip_ratio: float = 200.0  # compression ratio of one member above this (and > 10 MB): BOMB
    max_zip_members: int = 20_000
    max_pages: int = 20_000
    max_rows_per_sheet: int = 2_000_000
    parse_seconds: float = 300.0  # wall-clock limit for one file in a worker process
    worker_memory_bytes: int = 3 * 1024 * 1024 * 1024  # address-space cap of a parsing worker
    ocr: bool = True  # read scanned pages and image files with OCR (a setting turns it off)


DEFAULT_LIMITS = Limits()

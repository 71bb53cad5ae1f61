"""Expected text and passwords that ../shared/corpora ships beside its files, and the recall measure.

Used by the legacy-format and password tests and by tests/bench/bench_legacy.py, so the tests check
and the benchmark reports the same numbers.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")


def tokens(text: str) -> list[str]:
    """Words of Latin and other spaced scripts, and single CJK characters; case and width folded."""
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def recall(expected: str, got: str) -> float:
    """Share of the expected tokens (with multiplicity) found in `got`: word recall, character recall
    for Chinese."""
    want, have = Counter(tokens(expected)), Counter(tokens(got))
    total = sum(want.values())
    return sum(min(n, have[t]) for t, n in want.items()) / total if total else 1.0


def snapx_body(path: Path) -> str:
    """The "body" text of a node-word-extractor Jest snapshot (a JSON string inside a template literal)."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r'"body": "(.*)",\n', text)
    if match is None:
        raise ValueError(f"no body in {path}")
    literal = match.group(1).replace("\\\\", "\\")  # the template literal doubled every backslash
    return json.loads(json.loads(f'"{literal}"'))


def legacy_truth(corpora: Path) -> dict[Path, str]:
    """Legacy file -> the text its source project expects from it."""
    legacy = corpora / "legacy"
    out: dict[Path, str] = {}
    for snap in sorted((legacy / "node-word-extractor").glob("*.doc.snapx")):
        doc = snap.with_name(snap.name[: -len(".snapx")])
        if doc.exists():
            out[doc] = snapx_body(snap)
    for sub in ("doc", "xls"):
        folder = legacy / "textract-tests" / sub
        out[folder / f"raw_text.{sub}"] = (folder / "raw_text.txt").read_text(encoding="utf-8")
    # textract printed xlrd's internal code of the "Help" column's error cells (15); Excel, and we, show
    # the error's text, #VALUE!.
    xls = legacy / "textract-tests" / "xls" / "raw_text.xls"
    out[xls] = re.sub(r" 15$", " #VALUE!", out[xls], flags=re.MULTILINE)
    return out


# Passwords: legacy/MANIFEST.md's table, and the notes of malformed/MANIFEST.md (checked by opening each
# file with it). Files whose password no source states, or that no library decrypts, are not listed.
MALFORMED_PASSWORDS: dict[str, str] = {
    "encrypted-ooxml/bug53475-password-is-solrcell.docx": "solrcell",  # the name says it
    "encrypted-ooxml/encryptSHA1.xlsx": "password",  # excelize crypt_test.go
    "encrypted-ooxml/protected_sha512.xlsx": "this is a test",  # Apache POI's tests
    "encrypted-ooxml/extenxls_pwd123.xlsx": "pwd123",  # the name says it (bytes after the last cipher block)
    "encrypted-pdf/2206.01062_pg3.pdf": "1234",  # docling tests/test_pdf_password.py
    "encrypted-pdf/password.pdf": "password",  # unstructured's tests
    "encrypted-pdf/pr6531_1.pdf": "asdfasdf",  # pdf.js test manifest
    "encrypted-pdf/pdfminer/aes-128.pdf": "foo",
    "encrypted-pdf/pdfminer/rc4-128.pdf": "foo",
    # MANIFEST.md says "foo"; the file opens with pdfminer's own test password (tests/test_tools_pdf2txt.py)
    "encrypted-pdf/pdfminer/aes-256-r6.pdf": "usersecret",
    "encrypted-pdf/pypdf/crazyones-encrypted-256.pdf": "password",
    "encrypted-pdf/pypdf/r2-user-password.pdf": "asdfzxcv",
    "encrypted-pdf/pypdf/r3-user-password.pdf": "asdfzxcv",
    "encrypted-pdf/pypdf/r4-user-password.pdf": "asdfzxcv",
    "encrypted-pdf/pypdf/r6-both-passwords.pdf": "foo",  # pypdf tests: user "foo", owner "bar"
}


def legacy_passwords(corpora: Path) -> dict[Path, str]:
    """legacy/MANIFEST.md: file -> password, for the rows that name a real password."""
    out: dict[Path, str] = {}
    for line in (corpora / "legacy" / "MANIFEST.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("`") or not cells[1].startswith("`"):
            continue
        name, password = cells[0].strip("`"), cells[1].strip("`")
        if password.startswith("(") or " " in password or password == "unknown":
            continue  # "(none)", "password (presumed)", "unknown"
        out[corpora / name] = password
    return out

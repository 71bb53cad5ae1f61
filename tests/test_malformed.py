"""Every broken, hostile or protected file in ../shared/corpora/malformed ends in text or in one clear
FileProblem of the expected kind: never another exception, a crash or a hang.

The bombs/ folder is covered by the OOXML safety tests, which run it under memory and time limits.
Expectations: a rule per folder, narrowed per file where we know what the file really holds (see
MANIFEST.md beside the files); TEXT means the file opens and yields at least one block of text.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from indexing.errors import FileProblem, ProblemKind
from indexing.filetypes import detect_kind
from indexing.parsers import PARSER_MODULES, open_document

# Known at collection time (the shared_dir fixture skips the tests where it is absent).
MALFORMED = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "malformed"
TEXT = "text"
Outcome = ProblemKind | str
_METADATA = {"SOURCES.md", "provenance.jsonl", "LICENSE", "NOTICE", "MANIFEST.md", "NOTES.md"}

E, K = ProblemKind, TEXT
FOLDER_RULES: dict[str, Outcome] = {
    "empty": E.EMPTY,
    "truncated": E.CORRUPT,
    "corrupt-pdf": E.CORRUPT,
    "fuzzed-ooxml": E.CORRUPT,
    "encrypted-ooxml": E.ENCRYPTED,
    # encrypted-pdf: from MANIFEST.md, see _encrypted_pdf_outcome
    "legacy-formats": K,  # .doc and .xls are read now
    "protected-but-readable": K,
    "wrong-type": E.WRONG_TYPE,
}

# Files whose outcome differs from their folder's rule, and why.
EXCEPTIONS: dict[str, Outcome] = {
    # truncated, but PDFium's repair still finds the page and its text
    "truncated/scan-bad.pdf": K,
    "truncated/zen_of_python_corrupted.pdf": K,
    # truncated before any content: the repaired document is one blank page
    "truncated/issue15590.pdf": E.EMPTY,
    # fuzzed page content: PDFium opens them and the single page draws nothing
    "corrupt-pdf/GHOSTSCRIPT-698804-1-fuzzed.pdf": E.EMPTY,
    "corrupt-pdf/PDFBOX-4352-0.pdf": E.EMPTY,
    # damaged but repairable: unstructured's "failure" cases and junk before the header
    "corrupt-pdf/failure-after-repair.pdf": K,
    "corrupt-pdf/invalid-pdf-structure-pdfminer-one-page.pdf": K,
    "corrupt-pdf/pdf-bad-color-space.pdf": K,
    "corrupt-pdf/test2238.pdf": K,
    # an encrypted OOXML container (EncryptedPackage stream) among the fuzzer files
    "fuzzed-ooxml/crash-9bf3cd4bd6f50a8a9339d363c2c7af14b536865c.xlsx": E.ENCRYPTED,
    # a password-protected legacy .doc (RC4, no EncryptedPackage): found by msoffcrypto-tool
    "encrypted-ooxml/PasswordProtected.doc": E.ENCRYPTED,
    # encrypted with Excel's built-in password (write protection only): Excel opens it without asking
    "encrypted-ooxml/58616.xlsx": K,
    # open with the empty user password, but their only page is blank
    "encrypted-pdf/empty_protected.pdf": E.EMPTY,
    "encrypted-pdf/secHandler.pdf": E.EMPTY,
    # readable workbooks whose sheets hold no value at all (checked with openpyxl)
    "protected-but-readable/sheetProtection_allLocked.xlsx": E.EMPTY,
    "protected-but-readable/workbookProtection_workbook_revision_protected.xlsx": E.EMPTY,
    "wrong-type/45431.xlsm": E.EMPTY,
    # "wrong type" that is valid content: macro-enabled and template packages, PDFs with odd headers
    "wrong-type/SimpleMacro.docm": K,
    "wrong-type/test.xltx": K,
    "wrong-type/bug1606566.pdf": K,  # no %PDF header at all: read by the pypdf fallback
    "wrong-type/issue6069.pdf": K,  # junk before the header
}

# Text that must come out of some of the readable files: "text" must be the real text.
EXPECTED_TEXT: dict[str, str] = {
    "corrupt-pdf/test2238.pdf": "Hello World",
    "wrong-type/bug1606566.pdf": "Bug 1606566",
    "encrypted-pdf/pdfminer/base.pdf": "Secret!",
    "encrypted-pdf/pypdf/r6-owner-password.pdf": "pdf encryption test",
    "truncated/zen_of_python_corrupted.pdf": "Beautiful is better than ugly.",
    "wrong-type/SimpleMacro.docm": "This is a macro word processing document",
    "protected-but-readable/documentProtection_readonly_no_password.docx": "Readonly senza password.",
}


def _files() -> list[str]:
    if not MALFORMED.is_dir():
        return ["(shared corpora absent)"]
    return sorted(
        p.relative_to(MALFORMED).as_posix()
        for p in MALFORMED.rglob("*")
        if p.is_file() and p.name not in _METADATA and p.relative_to(MALFORMED).parts[0] != "bombs"
    )


def _encrypted_pdf_outcome(relative: str) -> Outcome:
    """MANIFEST.md's probe column says which encrypted PDFs open with the empty user password."""
    manifest = (MALFORMED / "MANIFEST.md").read_text(encoding="utf-8")
    section = manifest.split("## encrypted-pdf/", 1)[1].split("\n## ", 1)[0]
    name = relative.split("/", 1)[1]
    row = re.search(rf"^\| `{re.escape(name)}` \|[^|]*\|[^|]*\| ([^|]*) \|", section, re.M)
    assert row, f"{relative} is not in MANIFEST.md"
    return TEXT if row.group(1).strip() == "opens" else ProblemKind.ENCRYPTED


def expected_outcome(relative: str) -> Outcome:
    if relative in EXCEPTIONS:
        return EXCEPTIONS[relative]
    folder = relative.split("/", 1)[0]
    if folder == "encrypted-pdf":
        return _encrypted_pdf_outcome(relative)
    assert folder in FOLDER_RULES, f"no expectation for the folder {folder!r}: add one"
    return FOLDER_RULES[folder]


def _skip_without_parser(path: Path) -> None:
    """OOXML files reach the docx/xlsx parsers, which another module provides."""
    try:
        kind = detect_kind(path)
    except FileProblem:
        return  # decided before any parser: always testable
    module = f"indexing.parsers.{PARSER_MODULES[kind]}"
    if importlib.util.find_spec(module) is None:
        pytest.skip("docx/xlsx parser not present")


@pytest.mark.shared
@pytest.mark.timeout(60)
@pytest.mark.parametrize("relative", _files())
def test_malformed_file_ends_in_text_or_one_clear_problem(shared_dir: Path, relative: str) -> None:
    path = shared_dir / "malformed" / relative
    _skip_without_parser(path)
    expected = expected_outcome(relative)
    try:
        doc = open_document(path)
        blocks = list(doc.blocks)
    except FileProblem as problem:
        assert problem.message, "a person must be told something"
        assert problem.kind is expected, f"{relative}: {problem.kind.value} ({problem.detail})"
        return
    # Any other exception fails the test by propagating: that is the crash this test is for.
    assert expected == TEXT, f"{relative}: opened, but {expected} was expected"
    assert blocks and all(b.text.strip() for b in blocks)
    if relative in EXPECTED_TEXT:
        assert EXPECTED_TEXT[relative] in "\n".join(b.text for b in blocks)


def test_every_exception_names_a_real_file(shared_dir: Path) -> None:
    """A renamed corpus file must not leave a stale expectation behind."""
    files = set(_files())
    assert set(EXCEPTIONS) <= files
    assert set(EXPECTED_TEXT) <= files

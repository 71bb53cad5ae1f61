"""Password-protected files: reported as such without the password, indexed with it (through the library,
its worker processes and the command line), and the password kept nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexing.errors import ProblemKind
from indexing.library import Library
from indexing.messages import problem_message, wrong_password_message
from tests.corpus_truth import MALFORMED_PASSWORDS, legacy_passwords
from tests.helpers import json_lines, run_cli

# Once open, these have no text of their own: their outcome with the password is that, not a password problem.
ONCE_OPEN = {"issue_385.xls": "empty"}  # a workbook with no values (pr6531_1.pdf's scanned page is OCRed)
# Opens with Excel's built-in password (write protection): indexes without asking, as Excel opens it.
OPENS_WITHOUT_ASKING = {"issue_385.xls"}


def _protected(shared_dir: Path) -> dict[Path, str]:
    files = legacy_passwords(shared_dir)
    files.update({shared_dir / "malformed" / rel: pw for rel, pw in MALFORMED_PASSWORDS.items()})
    return files


def _index(lib: Library, paths: list[Path], password: str | None = None) -> dict[str, dict]:
    return {e.path: e.to_json() for e in lib.add([str(p) for p in paths], workers=2, password=password)
            if e.kind == "file_done"}


def test_every_protected_file_is_reported_then_opens_with_its_password(shared_dir: Path, tmp_path: Path) -> None:
    files = _protected(shared_dir)
    assert len(files) >= 25
    with Library.open(tmp_path / "lib") as lib:
        first = _index(lib, list(files))
        for path in files:
            row = first[str(path)]
            if path.name in OPENS_WITHOUT_ASKING:
                assert not (row.get("detail") or "").startswith("encrypted"), row
                continue
            assert row["status"] == "failed" and row["detail"].startswith("encrypted:"), row
            assert row["reason"] == problem_message(ProblemKind.ENCRYPTED)
        by_password: dict[str, list[Path]] = {}
        for path, password in files.items():
            by_password.setdefault(password, []).append(path)
        for password, paths in by_password.items():  # one password per run, as --password-file gives it
            second = _index(lib, paths, password=password)
            for path in paths:
                row = second[str(path)]
                if path.name in ONCE_OPEN:
                    assert row["detail"].startswith(ONCE_OPEN[path.name] + ":"), row
                else:
                    assert row["status"] == "indexed" and row["chunks"] >= 1, (path, row)
        tika = lib.passages(shared_dir / "legacy" / "apache-tika" / "testWORD_protected_passtika.doc")
        assert "This is an encrypted Word 2007 File" in tika[0][1]
        hits = lib.search("encrypted PowerPoint 2007 slide", k=3)
        assert hits and hits[0].location.slide == 1
        texts = "\n".join(t for p in files for _l, t in lib.passages(p))
    # no password is kept in any file of the library (unless the document's own text says it)
    secrets = {pw for pw in files.values() if len(pw) >= 6 and pw not in texts and pw not in str(list(files))}
    assert len(secrets) >= 3
    for f in (tmp_path / "lib").rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            for secret in secrets:
                assert secret.encode() not in data and secret.encode("utf-16-le") not in data, (f, secret)


def test_a_wrong_password_says_so(shared_dir: Path, tmp_path: Path) -> None:
    paths = [shared_dir / "legacy" / "apache-tika" / "testEXCEL_protected_passtika.xls",
             shared_dir / "malformed" / "encrypted-pdf" / "pypdf" / "r2-user-password.pdf",
             shared_dir / "malformed" / "encrypted-ooxml" / "bug53475-password-is-solrcell.docx",
             shared_dir / "legacy" / "sheetjs-test-files" / "password_2002_40_xor.xls"]
    with Library.open(tmp_path / "lib") as lib:
        rows = _index(lib, paths, password="not-it")
    for path in paths:
        row = rows[str(path)]
        assert row["status"] == "failed" and row["detail"].startswith("encrypted:"), row
        assert row["reason"] == wrong_password_message()


def test_pdfs_that_open_with_the_empty_password_just_index(shared_dir: Path, tmp_path: Path) -> None:
    folder = shared_dir / "malformed" / "encrypted-pdf" / "pypdf"
    with Library.open(tmp_path / "lib") as lib:
        rows = _index(lib, [folder / "r2-empty-password.pdf", folder / "r6-owner-password.pdf"])
    assert all(r["status"] == "indexed" for r in rows.values()), rows


def test_rights_managed_word_file_is_protected_not_indexed_as_its_notice(shared_dir: Path, tmp_path: Path) -> None:
    path = shared_dir / "legacy" / "apache-tika" / "testWORD_protected_drm.doc"
    with Library.open(tmp_path / "lib") as lib:
        row = _index(lib, [path], password="anything")[str(path)]
    assert row["status"] == "failed" and "rights-management" in row["detail"]


@pytest.mark.parametrize("json_flag", [True, False])
def test_password_file_on_the_command_line(shared_dir: Path, tmp_path: Path, json_flag: bool) -> None:
    protected = shared_dir / "malformed" / "encrypted-pdf" / "pypdf" / "r2-user-password.pdf"
    lib = str(tmp_path / "lib")
    secret = tmp_path / "pw.txt"
    secret.write_text("asdfzxcv\n", encoding="utf-8")
    flags = ["--json"] if json_flag else []
    without = run_cli("index", str(protected), "--library", lib, *flags)
    assert without.returncode == 0
    with_pw = run_cli("index", str(protected), "--library", lib, "--password-file", str(secret), *flags)
    assert with_pw.returncode == 0, with_pw.stderr
    if json_flag:
        assert json_lines(without.stdout)[0]["detail"].startswith("encrypted:")
        assert json_lines(with_pw.stdout)[0]["status"] == "indexed"
    else:
        assert "password-protected" in without.stdout
        assert "indexed" in with_pw.stdout
    assert "asdfzxcv" not in with_pw.stderr + (with_pw.stdout if json_flag else "")
    with Library.open(lib) as library:
        record = library.document(protected)
        assert record is not None and "asdfzxcv" not in f"{record.error} {record.detail}"
        assert "pdf encryption test" in library.passages(protected)[0][1]
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    bad = run_cli("index", str(protected), "--library", lib, "--password-file", str(empty))
    assert bad.returncode == 2 and "empty" in bad.stderr

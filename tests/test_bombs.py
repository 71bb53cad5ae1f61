"""Hostile and broken Office files end in a specific FileProblem: never a crash, a hang or a memory blow-up.

Every file is parsed in a child process with its address space capped (RLIMIT_AS) and a time limit, so
a failure of our guards fails the test instead of taking the machine down. One child runs a whole group
of files and reports a JSON line per file; a child that dies names the file it was on.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT

MEMORY_CAP = 2 * 1024**3
GROUP_SECONDS = 150

_RUNNER = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from pathlib import Path
from indexing.blocks import DocumentInfo
from indexing.errors import FileProblem
from indexing.limits import Limits

def run(job):
    path, limits = Path(job["path"]), Limits(**job.get("limits", {}))
    if job["how"] == "check":
        from indexing.parsers.ooxml import check_package
        check_package(path, limits)
        return 0
    if job["how"] == "open":
        from indexing.parsers import open_document
        return sum(1 for _ in open_document(path, limits).blocks)
    from importlib import import_module
    module = import_module("indexing.parsers." + job["how"])
    return sum(1 for _ in module.parse(path, DocumentInfo(), limits))

for job in json.loads(sys.stdin.read()):
    print(json.dumps({"start": job["path"]}), flush=True)
    try:
        result = {"ok": run(job)}
    except FileProblem as problem:
        result = {"kind": problem.kind.value, "detail": problem.detail}
    except BaseException as exc:
        result = {"crash": f"{type(exc).__name__}: {exc}"[:300]}
    result["path"] = job["path"]
    print(json.dumps(result), flush=True)
"""


def run_isolated(jobs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Parse every job in one capped child process; results by path."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _RUNNER, str(MEMORY_CAP)],
            input=json.dumps(jobs),
            capture_output=True,
            text=True,
            timeout=GROUP_SECONDS,
            cwd=PROJECT_ROOT,
        )
        output, code, errors = done.stdout, done.returncode, done.stderr
    except subprocess.TimeoutExpired as exc:
        partial = exc.stdout or ""
        output, code, errors = partial.decode() if isinstance(partial, bytes) else partial, "timeout", ""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    results = {line["path"]: line for line in lines if "path" in line}
    started = [line["start"] for line in lines if "start" in line]
    if code != 0 or len(results) < len(jobs):
        stuck = started[-1] if started else "?"
        pytest.fail(f"child process ended with {code} while on {stuck}: {errors[-2000:]}")
    return results


def outcome(result: dict[str, Any]) -> str:
    if "crash" in result:
        return f"crash: {result['crash']}"
    return "ok" if "ok" in result else result["kind"]


def check_all(jobs: list[dict[str, Any]], expected: dict[str, set[str]]) -> None:
    results = run_isolated(jobs)
    wrong = {}
    for job in jobs:
        name = Path(job["path"]).name
        got = outcome(results[job["path"]])
        if got not in expected[name]:
            wrong[name] = (got, results[job["path"]].get("detail", ""))
    assert not wrong, wrong


def corpus_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix not in (".md", ".jsonl"))


def parser_for(path: Path) -> str:
    return "xlsx" if path.suffix.lower() in (".xlsx", ".xlsm", ".xltx") else "docx"


# ---------------------------------------------------------------------------------------------- corpus

# What MANIFEST.md says each bomb is, and what must become of it.
BOMBS = {
    "54764-2.xlsx": ("xlsx", {"bomb"}),  # billion laughs in sharedStrings, [Content_Types] and core.xml
    "poc-xmlbomb-empty.xlsx": ("xlsx", {"bomb"}),  # entity expansion in sharedStrings
    "ExternalEntityInText.docx": ("docx", {"bomb"}),  # XXE: SYSTEM entity fetching http://poi.apache.org/
    "xxe_in_schema.xlsx": ("xlsx", {"bomb"}),  # XML map schema redefining from http://localhost
    "ContentTypeHasEntities.ooxml": ("docx", {"bomb"}),  # external parameter entity in [Content_Types]
    "zip-slip.zip": ("check", {"bomb"}),  # ../../ member name
    "TestDataEncryptedAES.zip": ("check", {"encrypted"}),  # AES-encrypted zip members
    "10GB.gz.bz2": ("check", {"wrong_type"}),  # a bzip2 stream, not a package
    "bomb_giant.pdf": ("check", {"wrong_type"}),  # a PDF (its own parser's concern; see the dispatcher test)
}


@pytest.mark.shared
@pytest.mark.timeout(GROUP_SECONDS + 30)
def test_bombs_folder(shared_dir: Path) -> None:
    folder = shared_dir / "malformed" / "bombs"
    files = corpus_files(folder)
    assert {p.name for p in files} == set(BOMBS), "bombs/ changed: classify the new files"
    jobs = [{"how": BOMBS[p.name][0], "path": str(p)} for p in files]
    check_all(jobs, {name: kinds for name, (_, kinds) in BOMBS.items()})


@pytest.mark.shared
@pytest.mark.timeout(GROUP_SECONDS + 30)
def test_bombs_through_the_dispatcher(shared_dir: Path) -> None:
    """End to end: what the app does with each file of bombs/, whatever its name."""
    pytest.importorskip("indexing.filetypes")
    files = corpus_files(shared_dir / "malformed" / "bombs")
    expected = {name: kinds for name, (_, kinds) in BOMBS.items() if kinds == {"bomb"}}
    # Names the app does not read at all, and the PDF, whose text layer may be read or refused.
    expected |= {
        name: {"unsupported", "bomb"} for name in BOMBS if Path(name).suffix in (".zip", ".bz2", ".ooxml")
    }
    expected["bomb_giant.pdf"] = {"ok", "no_text", "bomb", "too_large", "corrupt"}
    check_all([{"how": "open", "path": str(p)} for p in files], expected)


# Expected outcome of each fuzzed package (zip-level damage is found before any reader runs).
FUZZED_ENCRYPTED = {"crash-9bf3cd4bd6f50a8a9339d363c2c7af14b536865c.xlsx"}  # OLE2 with an EncryptedPackage


@pytest.mark.shared
@pytest.mark.timeout(GROUP_SECONDS + 30)
def test_fuzzed_ooxml(shared_dir: Path) -> None:
    files = corpus_files(shared_dir / "malformed" / "fuzzed-ooxml")
    assert len(files) >= 15
    expected = {p.name: {"encrypted"} if p.name in FUZZED_ENCRYPTED else {"corrupt"} for p in files}
    check_all([{"how": parser_for(p), "path": str(p)} for p in files], expected)


@pytest.mark.shared
@pytest.mark.timeout(GROUP_SECONDS + 30)
def test_encrypted_ooxml(shared_dir: Path) -> None:
    files = corpus_files(shared_dir / "malformed" / "encrypted-ooxml")
    # A password-protected legacy .doc has no EncryptedPackage: it is reported as the legacy format it is.
    expected = {p.name: {"legacy"} if p.suffix == ".doc" else {"encrypted"} for p in files}
    check_all([{"how": parser_for(p), "path": str(p)} for p in files], expected)


# Protection without encryption must not stop reading. These two have no cell values at all (checked
# with openpyxl), so EMPTY is their honest outcome.
NO_VALUES = {"sheetProtection_allLocked.xlsx", "workbookProtection_workbook_revision_protected.xlsx"}


@pytest.mark.shared
@pytest.mark.timeout(GROUP_SECONDS + 30)
def test_protected_but_readable(shared_dir: Path) -> None:
    files = corpus_files(shared_dir / "malformed" / "protected-but-readable")
    expected = {p.name: {"empty"} if p.name in NO_VALUES else {"ok"} for p in files}
    check_all([{"how": parser_for(p), "path": str(p)} for p in files], expected)


# ---------------------------------------------------------------------------------------------- synthetic

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)


def write_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def central_entry(data: bytes, member: str) -> int:
    """Offset of `member`'s entry in the central directory, walked from the end-of-directory record."""
    end = data.rfind(b"PK\x05\x06")
    count, _size, offset = struct.unpack_from("<HLL", data, end + 10)
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, offset + 28)
        if data[offset + 46 : offset + 46 + name_len] == member.encode():
            return offset
        offset += 46 + name_len + extra_len + comment_len
    raise KeyError(member)


def patch_sizes(path: Path, member: str, declared: int) -> None:
    """Make the zip declare `declared` bytes for `member` in both its local and central headers."""
    data = bytearray(path.read_bytes())
    entry = central_entry(data, member)
    local = struct.unpack_from("<L", data, entry + 42)[0]
    struct.pack_into("<L", data, local + 22, declared)  # local header: uncompressed size
    struct.pack_into("<L", data, entry + 24, declared)  # central directory: uncompressed size
    path.write_bytes(bytes(data))


def point_at_first_member(path: Path, member: str) -> None:
    """Overlapping members: `member`'s central directory entry points at the first local header."""
    data = bytearray(path.read_bytes())
    struct.pack_into("<L", data, central_entry(data, member) + 42, 0)
    path.write_bytes(bytes(data))


def billion_laughs() -> bytes:
    lines = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    ]
    return ('<?xml version="1.0"?><!DOCTYPE lolz [' + "".join(lines) + "]><lolz>&lol9;</lolz>").encode()


def word_package(tmp: Path, name: str, document_xml: bytes) -> Path:
    """A real .docx whose word/document.xml is replaced."""
    docx = pytest.importorskip("docx")
    plain = tmp / f"plain-{name}"
    docx.Document().save(plain)
    with zipfile.ZipFile(plain) as zin:
        members = {n: zin.read(n) for n in zin.namelist()}
    members["word/document.xml"] = document_xml
    return write_zip(tmp / name, members)


@pytest.mark.timeout(GROUP_SECONDS + 60)
def test_synthetic_bombs(tmp_path: Path) -> None:
    jobs: list[dict[str, Any]] = []
    expected: dict[str, set[str]] = {}

    def add(path: Path, how: str, kinds: set[str], **limits: int) -> None:
        jobs.append({"how": how, "path": str(path), "limits": limits})
        expected[path.name] = kinds

    zeros = b"\0" * (24 * 1024 * 1024)  # 24 MB that deflate to ~24 KB: ratio ~1000 over the 10 MB floor
    add(write_zip(tmp_path / "ratio.docx", {"[Content_Types].xml": CONTENT_TYPES.encode(), "z.bin": zeros}),
        "docx", {"bomb"})  # fmt: skip
    add(write_zip(tmp_path / "member.xlsx", {"[Content_Types].xml": b"<a/>", "big.xml": b"<a/>" + b" " * 3_000_000}),
        "xlsx", {"bomb"}, max_member_bytes=1_000_000)  # fmt: skip
    add(write_zip(tmp_path / "total.xlsx", {f"p{i}.xml": b" " * 400_000 for i in range(4)}),
        "xlsx", {"bomb"}, max_unzipped_bytes=1_000_000)  # fmt: skip
    add(write_zip(tmp_path / "members.docx", {f"p{i}.xml": b"<a/>" for i in range(60)}),
        "docx", {"bomb"}, max_zip_members=50)  # fmt: skip

    lying = write_zip(
        tmp_path / "lying.docx", {"[Content_Types].xml": CONTENT_TYPES.encode(), "x.xml": zeros[:2_000_000]}
    )
    patch_sizes(lying, "x.xml", 1000)  # declares 1000 bytes, inflates to 2 MB
    add(lying, "docx", {"bomb"})
    overlap = write_zip(
        tmp_path / "overlap.docx", {"[Content_Types].xml": CONTENT_TYPES.encode(), "b.xml": b"<b/>"}
    )
    point_at_first_member(overlap, "b.xml")
    add(overlap, "docx", {"bomb"})

    add(
        write_zip(tmp_path / "absolute.docx", {"[Content_Types].xml": b"<a/>", "/etc/evil.xml": b"<a/>"}),
        "docx",
        {"bomb"},
    )
    add(
        write_zip(tmp_path / "backslash.xlsx", {"[Content_Types].xml": b"<a/>", "..\\..\\evil.xml": b"<a/>"}),
        "xlsx",
        {"bomb"},
    )
    add(write_zip(tmp_path / "bzip2.docx", {"[Content_Types].xml": CONTENT_TYPES.encode()}, zipfile.ZIP_BZIP2),
        "docx", {"corrupt"})  # fmt: skip

    add(word_package(tmp_path, "laughs.docx", billion_laughs()), "docx", {"bomb"})
    hidden = (
        b'<?xml version="1.0"?><!--'
        + b"x" * 200_000
        + b'--><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>'
    )
    add(word_package(tmp_path, "hidden-doctype.docx", hidden), "docx", {"bomb"})
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>'.encode("utf-16")
    add(word_package(tmp_path, "utf16-doctype.docx", utf16), "docx", {"bomb"})
    long_prolog = b'<?xml version="1.0"?><!--' + b"x" * 2_000_000 + b"--><d/>"
    add(word_package(tmp_path, "long-prolog.docx", long_prolog), "docx", {"bomb"})

    # Two cells at A1 and XFD1048576: calamine's dense grid would need ~500 GB and abort the process.
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active["A1"], book.active["XFD1048576"] = "corner", "far corner"
    book.save(tmp_path / "corners.xlsx")
    add(tmp_path / "corners.xlsx", "xlsx", {"ok"})

    check_all(jobs, expected)

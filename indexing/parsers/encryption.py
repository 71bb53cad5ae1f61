"""Password-protected Office files: telling them apart and, with the person's password, decrypting them.

msoffcrypto-tool knows every Office scheme: OOXML agile and standard encryption (an OLE2 container with
an EncryptedPackage stream), and the legacy RC4 / RC4 CryptoAPI / XOR schemes of .doc, .xls and .ppt.
The decrypted copy is a private temporary file that lives only while that one file is parsed; the
password is never stored or logged.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
import zipfile
from pathlib import Path

from indexing.errors import FileProblem, ProblemKind
from indexing.messages import wrong_password_message
from indexing.parsers import xls_xor

# Excel encrypts with this built-in password when a workbook is only write-protected: such files open
# without asking, so they must index without a password too.
EXCEL_DEFAULT_PASSWORD = "VelvetSweatshop"


def is_encrypted(path: Path) -> bool:
    """Whether an OLE2 Office file (.doc/.xls/.ppt, or an encrypted OOXML package) needs a password."""
    import msoffcrypto

    try:
        with path.open("rb") as fh:
            if msoffcrypto.OfficeFile(fh).is_encrypted():
                return True
    except Exception:
        pass
    stream = _workbook_stream(path)  # msoffcrypto does not know Excel 5/95 workbooks
    return stream is not None and xls_xor.filepass(stream) is not None


def _workbook_stream(path: Path) -> bytes | None:
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole:
            for entry in ole.listdir():
                if len(entry) == 1 and entry[0].lower() in ("workbook", "book"):
                    return ole.openstream(entry[0]).read()
    except Exception:
        return None
    return None


def _xor_workbook(path: Path, password: str) -> bytes | None:
    """The workbook stream in clear when the file uses Excel's XOR obfuscation and the password fits."""
    stream = _workbook_stream(path)
    if stream is None:
        return None
    found = xls_xor.filepass(stream)
    if found is None:
        return None
    return xls_xor.deobfuscate(stream, password)


def decrypt_to_temp(path: Path, password: str) -> Path:
    """A decrypted copy of `path` in a private temporary file (the caller deletes it).

    ENCRYPTED with a "wrong password" message when the password does not open the file.
    """
    import msoffcrypto
    from msoffcrypto.exceptions import DecryptionError, InvalidKeyError

    fd, name = tempfile.mkstemp(prefix="qwenrag-", suffix=path.suffix.lower())
    out = Path(name)
    if _is_xor_workbook(path):
        plain = _xor_workbook(path, password)
        if plain is None:
            os.close(fd)
            _remove(out)
            raise FileProblem(ProblemKind.ENCRYPTED, "the password did not open it (XOR verifier)",
                              message=wrong_password_message())
        with os.fdopen(fd, "wb") as dst:  # the bare workbook stream: the .xls reader takes it as it is
            dst.write(plain)
        return out
    try:
        with path.open("rb") as src, os.fdopen(fd, "wb") as dst:
            office = msoffcrypto.OfficeFile(src)
            try:
                office.load_key(password=password, verify_password=True)
            except TypeError:  # the legacy formats' readers check the password while decrypting
                office.load_key(password=password)
            except InvalidKeyError:
                if getattr(office, "type", "") not in ("agile", "standard"):
                    raise
                # Some writers (excelize) store a verifier msoffcrypto rejects for the right password:
                # decrypt anyway, and only a readable package proves the password right.
                office.load_key(password=password)
            try:
                office.decrypt(dst)
            except ValueError:
                if getattr(office, "type", "") != "standard":
                    raise
                dst.seek(0)
                dst.truncate()
                dst.write(_standard_package(path, office.secret_key))
        if getattr(office, "type", "") in ("agile", "standard") and not zipfile.is_zipfile(out):
            raise InvalidKeyError("the decrypted package is not a zip archive")
        return out
    except (InvalidKeyError, DecryptionError) as exc:
        _remove(out)
        raise FileProblem(ProblemKind.ENCRYPTED, f"the password did not open it ({type(exc).__name__})",
                          message=wrong_password_message()) from exc
    except Exception as exc:
        _remove(out)
        if "password" in str(exc).lower() or "key" in str(exc).lower():
            raise FileProblem(ProblemKind.ENCRYPTED, f"the password did not open it ({exc})",
                              message=wrong_password_message()) from exc
        raise FileProblem(ProblemKind.ENCRYPTED, f"cannot decrypt: {type(exc).__name__}: {exc}") from exc


def _standard_package(path: Path, key: bytes) -> bytes:
    """ECMA-376 Standard encryption, tolerant of bytes after the last cipher block: msoffcrypto decrypts the
    whole EncryptedPackage stream and fails when some writers (Apache POI's extenxls test file) leave a tail;
    only ceil(size / 16) blocks hold the package."""
    import olefile
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    with olefile.OleFileIO(str(path)) as ole:
        data = ole.openstream("EncryptedPackage").read()
    size = struct.unpack_from("<Q", data)[0]
    body = data[8:8 + size + (-size) % 16]
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # the standard's own mode
    return (decryptor.update(body) + decryptor.finalize())[:size]


def _is_xor_workbook(path: Path) -> bool:
    stream = _workbook_stream(path)
    found = xls_xor.filepass(stream) if stream is not None else None
    if found is None or stream is None or len(stream) < 6:
        return False
    return xls_xor.xor_verifier(found[1], struct.unpack_from("<H", stream, 4)[0] == 0x0600) is not None


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


remove_temp = _remove

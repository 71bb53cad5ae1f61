"""Excel's XOR obfuscation (the "weak" protection of Excel 95-2003), which msoffcrypto-tool reads only for
well-formed BIFF8 streams: here for BIFF5 and BIFF8 alike (MS-XLS 2.2.10, MS-OFFCRYPTO 2.3.7).

Each record's data byte at stream offset p was obfuscated as rol(byte, 5) ^ key[(p + record size) % 16],
with the 16-byte key array derived from the password; a few records are left in clear.
"""

from __future__ import annotations

import struct

_FILEPASS = 0x002F
_BOUNDSHEET = 0x0085
_EOF = 0x000A
# Never obfuscated: BOF (BIFF5/8), FILEPASS, UsrExcl, FileLock, InterfaceHdr, RRDInfo, RRDHead.
_CLEAR = frozenset({0x0809, _FILEPASS, 0x0194, 0x0195, 0x00E1, 0x0196, 0x0138})


def filepass(stream: bytes) -> tuple[int, bytes] | None:
    """(offset, data) of the workbook globals' FILEPASS record, or None when the stream is not protected."""
    pos = 0
    while pos + 4 <= len(stream):
        num, size = struct.unpack_from("<HH", stream, pos)
        if num == _FILEPASS:
            return pos, stream[pos + 4 : pos + 4 + size]
        if num == _EOF:
            return None
        pos += 4 + size
    return None


def xor_verifier(record: bytes, biff8: bool) -> tuple[int, int] | None:
    """(key, verifier) when FILEPASS says XOR obfuscation; None for RC4 (msoffcrypto's) or unknown."""
    if biff8:
        if len(record) < 6 or struct.unpack_from("<H", record, 0)[0] != 0:
            return None
        return struct.unpack_from("<HH", record, 2)
    return struct.unpack_from("<HH", record, 0) if len(record) >= 4 else None


def deobfuscate(stream: bytes, password: str) -> bytes | None:
    """The stream in clear (its FILEPASS blanked), or None when the password's verifier does not match."""
    from msoffcrypto.method.xor_obfuscation import DocumentXOR

    found = filepass(stream)
    if found is None:
        return None
    biff8 = struct.unpack_from("<H", stream, 4)[0] == 0x0600 if len(stream) >= 6 else False
    pair = xor_verifier(found[1], biff8)
    if pair is None or not password or not DocumentXOR.verifypw(password, pair[1]):
        return None
    xor_array = DocumentXOR.create_xor_array_method1(password[:15])
    out = bytearray(stream)
    pos = 0
    while pos + 4 <= len(stream):
        num, size = struct.unpack_from("<HH", stream, pos)
        start, end = pos + 4, min(pos + 4 + size, len(stream))
        if num == _FILEPASS:
            out[pos : pos + 2] = b"\0\0"  # renumbered 0, its data blanked: a record every reader skips
            out[start:end] = bytes(end - start)
        elif num not in _CLEAR:
            for i in range(start + (4 if num == _BOUNDSHEET else 0), end):
                value = stream[i] ^ xor_array[(i + size) % 16]
                out[i] = ((value >> 5) | (value << 3)) & 0xFF
        pos = end
    return bytes(out)

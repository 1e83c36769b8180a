"""Reading a key file's bytes: the part every key-file reader shares (dissect.keysources, dissect.espsources).

A key file is text; a capture given by mistake (a common slip: the pcap where the keys should go)
is recognised by its magic number and said so in one line.
"""
from __future__ import annotations

import os

__all__ = ["read_key_bytes"]

#: pcap (both byte orders, micro- and nanosecond) and pcapng magic numbers
_CAPTURE_MAGIC = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a")


def read_key_bytes(path: str, what: str, error: type[Exception], hint: str) -> bytes:
    """The bytes of the file at ``path``.  Raises ``error`` with a one-line message ``"<path>: ..."``
    when it cannot be read (the system's reason) or is binary ("a packet capture" or "binary", then
    ``"not <what>; <hint>"``)."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            raw = fh.read()
    except OSError as e:
        raise error(f"{name}: cannot read the {what}: {e.strerror or e}") from None
    if b"\x00" in raw[:8192]:
        kind = "a packet capture" if raw[:4] in _CAPTURE_MAGIC else "binary"
        raise error(f"{name}: {kind}, not {'an' if what[0] in 'aeiouAEIOU' else 'a'} {what}; {hint}")
    return raw

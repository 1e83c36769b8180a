"""Rows of Wireshark's UAT files (user access tables: ``ikev1_decryption_table``, ``esp_sa``, ...).

A row is comma-separated fields, each bare or in double quotes; inside quotes Wireshark writes
non-printable bytes and quotes as ``\\xHH`` escapes (epan/uat.c).  Shared by dissect.keysources
(IKEv1 table) and dissect.espsources (ESP SA table).
"""
from __future__ import annotations

import re

__all__ = ["UatError", "split_row"]

_FIELD = re.compile(r'[ \t]*(?:"((?:[^"\\]|\\.)*)"|([^,"]*))[ \t]*')
_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|(.))")


class UatError(ValueError):
    """A row that is not comma-separated fields; the message names the column."""


def split_row(line: str) -> list[str]:
    """The fields of one UAT row, quotes removed and escapes undone; a trailing comma gives an empty
    last field.  Raises UatError at a character that cannot start or follow a field."""
    fields: list[str] = []
    pos = 0
    while True:
        m = _FIELD.match(line, pos)
        if m[1] is not None:
            fields.append(_ESCAPE.sub(lambda e: chr(int(e[1], 16)) if e[1] else e[2], m[1]))
        else:
            fields.append(m[2].strip())
        pos = m.end()
        if pos == len(line):
            return fields
        if line[pos] != ",":
            raise UatError(f"unexpected {line[pos]!r} at column {pos + 1}; fields are separated by commas "
                           "and a quoted field needs both quotes")
        pos += 1
        if pos == len(line):
            fields.append("")
            return fields

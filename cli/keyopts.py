"""Key options shared by ``dissect`` and ``keys``: --keys, --psk, --dh-private, --dh-shared, --psk-candidates.

Bad key input never stops the run: each problem becomes one line on stderr
(what to fix), the rest of the key material is used, and the command ends
with exit status 1.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field

from dissect.espsa import EspSa
from dissect.espsources import EspSourceError, looks_like_esp_table, parse_esp_bytes
from dissect.keyfile import read_key_bytes
from dissect.keysources import KeyEntry, KeyFileError, hex_value, parse_key_bytes


def add_key_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("keys (IKEv1 decryption, RFC 2409)")
    g.add_argument("--keys", action="append", default=[], metavar="FILE",
                   help="key material: a TOML keys file, a strongSwan charon log (loglevel 4), Wireshark's "
                        "ikev1_decryption_table or esp_sa table, strongSwan save-keys' esp_sa, `ip xfrm state` "
                        "output, or tcpdump -E secrets; recognised by content; may be given several times")
    psk = g.add_mutually_exclusive_group()
    psk.add_argument("--psk", metavar="TEXT", help="the pre-shared key (for every IKE SA of the capture)")
    psk.add_argument("--psk-hex", metavar="HEX", help="the pre-shared key, in hex")
    g.add_argument("--dh-private", metavar="HEX", help="either peer's Diffie-Hellman private value")
    g.add_argument("--dh-shared", metavar="HEX", help="the shared Diffie-Hellman secret g^xy")
    g.add_argument("--psk-candidates", metavar="FILE",
                   help="a file of candidate PSKs, one a line: says which one matches (Aggressive Mode, or "
                        "Main Mode with a DH secret)")


@dataclass
class KeyMaterial:
    """What the key options gave: IKE key entries, PSK candidates, known ESP SAs (tables), and the
    problems, one-line messages for stderr."""
    entries: list[KeyEntry] = field(default_factory=list)
    candidates: list[tuple[str, bytes]] = field(default_factory=list)
    esp_sas: list[EspSa] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tables_given: bool = False  # an ESP SA table was given (even if none of its rows could be used)
    notes: list[str] = field(default_factory=list)  # remarks about usable rows (ESN, ...): not problems


#: Every kind of file --keys takes, for a message about one that is none of them
_ALL_KINDS = ("give a TOML keys file, a strongSwan charon log, Wireshark's ikev1_decryption_table or esp_sa, "
              "`ip xfrm state` output or tcpdump -E secrets")


def _read_keys(path: str) -> bytes:
    """The bytes of a --keys file, read once (it may be a pipe); "-" is standard input."""
    if path == "-":
        return sys.stdin.buffer.read()
    return read_key_bytes(path, "key file", KeyFileError, _ALL_KINDS)


def key_material(args: argparse.Namespace) -> KeyMaterial:
    """The key material of the options, read; bad parts become ``problems``."""
    km = KeyMaterial()
    entries, problems = km.entries, km.problems
    for path in args.keys:
        try:
            raw = _read_keys(path)
            name = "standard input" if path == "-" else path
            if looks_like_esp_table(raw[:65536].decode("utf-8", "replace")):
                km.tables_given = True
                km.esp_sas.extend(parse_esp_bytes(raw, name, problems, km.notes))
            else:
                entries.extend(parse_key_bytes(raw, name, problems))
        except (KeyFileError, EspSourceError) as e:
            problems.append(str(e))
    flag = KeyEntry(source="command line", explicit=True)
    if args.psk is not None:
        flag.psk = os.fsencode(args.psk)  # the bytes typed, even if they are not UTF-8
    for option, value, name in (("--psk-hex", args.psk_hex, "psk"), ("--dh-private", args.dh_private, "dh_private"),
                                ("--dh-shared", args.dh_shared, "dh_shared")):
        if value is not None:
            try:
                setattr(flag, name, hex_value(value, option))
            except KeyFileError as e:
                problems.append(str(e))
    if any(v is not None for v in (flag.psk, flag.dh_private, flag.dh_shared)):
        entries.append(flag)
    candidates = km.candidates
    if args.psk_candidates is not None:
        try:
            with open(args.psk_candidates, "rb") as f:
                if b"\x00" in f.read(8192):
                    raise OSError("binary, not a text file of PSKs")
                f.seek(0)
                candidates[:] = [(f"line {n} of {args.psk_candidates}",
                               line.rstrip(b"\r\n").removeprefix(b"\xef\xbb\xbf" if n == 1 else b""))
                              for n, line in enumerate(f, 1) if line.strip()]
        except OSError as e:
            problems.append(f"{args.psk_candidates or repr('')}: cannot read the PSK candidates: {e.strerror or e}")
        else:
            if not candidates:
                problems.append(f"{args.psk_candidates}: no PSK candidates in it (one PSK a line)")
    return km


def print_key_messages(km: KeyMaterial) -> None:
    """The problems (one line each, what to fix) and notes of the key material, on stderr."""
    for line in km.problems:
        print(f"ikescope: {line}", file=sys.stderr)
    for line in km.notes:
        print(f"ikescope: note: {line}", file=sys.stderr)

"""``ikescope keys CAPTURE``: each IKE SA's derived keys (masked unless --show-secrets) and verdict."""
from __future__ import annotations

import argparse
import json
import os
import sys

from dissect.capture import CaptureError
from dissect.decrypt import missing_material
from dissect.espsources import format_esp_sa_table, parse_esp_sas
from dissect.keysources import format_ikev1_decryption_table, parse_ikev1_decryption_table
from dissect.pipeline import Dissector

from .keyopts import key_material, print_key_messages
from .main import EXIT_OK, EXIT_PARTIAL, EXIT_UNUSABLE


def run_keys(args: argparse.Namespace) -> int:
    km = key_material(args)
    problems = km.problems
    print_key_messages(km)
    dis = Dissector(args.capture, ike_ports=args.ports, keys=km.entries, psk_candidates=km.candidates,
                    esp_sas=km.esp_sas)
    try:
        for _pkt in dis.packets():
            pass
    except CaptureError as e:
        print(f"ikescope: {e}", file=sys.stderr)
        return EXIT_UNUSABLE
    states = dis.decryptor.states if dis.decryptor else {}
    rows = []
    for sa in sorted(dis.tracker.sas.values(), key=lambda s: s.index):
        if sa.version != 1:
            continue
        row = {"sa": sa.index, "icookie": sa.icookie.hex(), "rcookie": sa.rcookie.hex(),
               "initiator": sa.initiator, "responder": sa.responder}
        st = states.get(sa.icookie)
        if st is not None:
            row.update(st.to_dict(args.show_secrets))
            row["esp_sas"] = [esp_sa_dict(e, args.show_secrets) for e in st.esp_made]
            row["esp_problems"] = list(st.esp_problems)
            row["missing"] = missing_material(st)
            if st.found_psk is not None:
                row["psk"] = st.found_psk.decode("utf-8", "replace") if args.show_secrets else "*" * 8
        else:
            row.update({"verdict": None, "detail": "no key material matches this IKE SA", "decrypted": 0,
                        "not_decrypted": 0, "cut_short": 0, "keys": None, "key_error": None, "key_source": None,
                        "note": None, "missing": "key material for this IKE SA (see --help)", "esp_sas": [],
                        "esp_problems": []})
        rows.append(row)
    derived = {id(sa) for st in states.values() for sa in st.esp_made}
    tables = [sa for sa in (dis.esp.sas if dis.esp is not None else []) if id(sa) not in derived]
    if args.json:
        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
    else:
        _print(rows)
        for sa in tables:
            e = esp_sa_dict(sa, args.show_secrets)
            print(f"ESP SA {'*' if sa.spi is None else e['spi']} {sa.src or '*'} -> {sa.dst or '*'}: "
                  f"{e['encryption']}-{e['enc_key_bits']} + {e['integrity']} ({e['source']})")
            print(f"    enc_key  {e['enc_key']}" + (f"\n    auth_key {e['auth_key']}" if e["auth_key"] else ""))
    written = True
    if args.wireshark is not None:
        ike = _write_wireshark(args.wireshark, args.capture, states)
        esp = _write_esp_sa(args.wireshark, dis) if ike is not None else None
        if ike is None or esp is None:
            return EXIT_UNUSABLE
        written = ike or esp
    unused = dis.decryptor.unused_entries() if dis.decryptor else []
    for e in unused:
        print(f"ikescope: {e.source} matches no IKE SA of this capture", file=sys.stderr)
    key_problems = dis.decryptor.key_problems() if dis.decryptor else []
    if dis.stats.truncated:
        print(f"ikescope: {dis.stats.truncated}", file=sys.stderr)
    partial = problems or key_problems or not written or dis.stats.truncated or dis.stats.undecodable
    return EXIT_PARTIAL if partial else EXIT_OK


def esp_sa_dict(sa, show_secrets: bool) -> dict:
    """One ESP SA for --json and the listing; keys masked unless ``show_secrets``."""
    def secret(b: bytes) -> str:
        return b.hex() if show_secrets else "*" * 8
    return {"spi": None if sa.spi is None else f"0x{sa.spi:08x}", "src": sa.src, "dst": sa.dst, "encryption": sa.enc.name,
            "enc_key_bits": 8 * (len(sa.enc_key) - sa.enc.salt_bytes), "integrity": sa.auth.name,
            "enc_key": secret(sa.enc_key), "auth_key": secret(sa.auth_key) if sa.auth_key else "",
            "source": sa.source}


def _private_file(path: str, text: str) -> None:
    """Write ``text`` to ``path``, readable by its owner only (the file holds keys); raises OSError."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _write_esp_sa(folder: str, dis: Dissector) -> bool | None:
    """Write (or update) FOLDER/esp_sa with the ESP SAs the Quick Modes gave, except those whose every
    packet failed its ICV; rows of an existing table for other SPIs are kept.  The 8-field form, which
    tshark 4.0 reads (see espsources.WIRESHARK_10_FIELD_NOTE for newer Wireshark).  True when written,
    False when there was nothing to write, None when it could not be written (message on stderr)."""
    path = os.path.join(folder, "esp_sa")
    # the SAs Quick Modes gave and those of the tables given, but not those whose every packet failed
    known = dis.esp.sas if dis.esp is not None else []
    stats = {id(st.sa): st for st in dis.esp.summary()} if dis.esp is not None else {}
    ours = [sa for sa in known if sa.problem() is None and not (
        stats.get(id(sa)) and stats[id(sa)].packets and stats[id(sa)].icv_failed == stats[id(sa)].packets)]
    if not ours:
        print(f"ikescope: no ESP SA to write to {path}: no Quick Mode gave ESP keys and no ESP table was given",
              file=sys.stderr)
        return False
    kept = _kept_esp_sa_lines(path, {(sa.spi, sa.src, sa.dst) for sa in ours})
    try:
        os.makedirs(folder, exist_ok=True)
        _private_file(path, "".join(kept) + format_esp_sa_table(ours))
    except OSError as e:
        print(f"ikescope: cannot write {path}: {e.strerror or e}", file=sys.stderr)
        return None
    rows = sum(1 for line in kept if line.strip() and not line.lstrip().startswith("#"))
    also = f", {rows} line(s) of the existing table kept as they were" if rows else ""
    print(f"wrote {path} ({len(ours)} ESP SA(s){also}) in the 8-field form of Wireshark 4.0 "
          f"(tshark {_tshark_version() or 'not installed here'}); {ESP_SA_FORM_HINT}", file=sys.stderr)
    return True


def _kept_esp_sa_lines(path: str, replaced: set) -> list[str]:
    """The lines of an existing esp_sa table to keep, as they are: comments, and the rows of other SAs
    than those written anew (same SPI and addresses); rows that do not read are left out, and said."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.readlines()
    except OSError:
        return []
    kept, dropped = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            kept.append(line if line.endswith("\n") else line + "\n")
            continue
        problems: list[str] = []
        try:
            sas = parse_esp_sas(line, path, problems=problems, notes=[])
        except ValueError:
            sas = []
        if not sas:  # Wireshark would refuse the whole table for it
            dropped.append(str(number))
        elif not all((sa.spi, sa.src, sa.dst) in replaced for sa in sas):
            kept.append(line if line.endswith("\n") else line + "\n")
    if dropped:
        print(f"ikescope: {path}: line(s) {', '.join(dropped)} of the existing table are no esp_sa rows "
              "Wireshark would read; left out", file=sys.stderr)
    return kept


#: What to tell a user of a newer Wireshark about the esp_sa form
ESP_SA_FORM_HINT = ("newer Wireshark (after 4.2) reads it too; README \"ESP decryption\" says how to write "
                    "its 10-field form")


def _tshark_version() -> str | None:
    """The installed tshark's version ("4.0.17"), or None."""
    import shutil
    import subprocess
    exe = shutil.which("tshark")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "-v"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.split()
    return parts[2] if len(parts) > 2 and parts[0] == "TShark" else None


def _write_wireshark(folder: str, capture: str, states: dict) -> bool | None:
    """Write (or update) FOLDER/ikev1_decryption_table with the cipher key of each IKE SA whose keys
    decrypt something; rows of an existing table for other cookies are kept.  The file holds keys:
    it is written readable by its owner only.  True when written, False when there was nothing to
    write, None when it could not be written (the message is on stderr)."""
    if not folder:
        print("ikescope: --wireshark needs a folder name", file=sys.stderr)
        return None
    path = os.path.join(folder, "ikev1_decryption_table")
    # keys that decrypted nothing (a wrong PSK) would only make Wireshark show garbage
    exported = [st for st in states.values() if st.keys and (st.decrypted or not st.failed)]
    for st in states.values():
        if st.keys and st not in exported:
            print(f"ikescope: {st.icookie.hex()} left out of the Wireshark table: its keys decrypt none of "
                  f"its messages ({st.verdict})", file=sys.stderr)
    if not exported:
        print(f"ikescope: no keys to write to {path}: no IKE SA has keys that decrypt", file=sys.stderr)
        return False
    ours = {st.icookie: st.keys.enc_key for st in exported}
    kept: list[tuple[bytes, bytes]] = []
    if os.path.isdir(folder) and os.path.exists(path):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                old = parse_ikev1_decryption_table(f.read(), path, problems=[])
        except OSError:
            old = []
        kept = [(e.icookie, e.enc_key) for e in old if e.icookie not in ours]
    try:
        os.makedirs(folder, exist_ok=True)
        _private_file(path, format_ikev1_decryption_table(kept + list(ours.items())))
    except FileExistsError:
        print(f"ikescope: --wireshark {folder}: not a folder; give a folder (it gets ikev1_decryption_table)",
              file=sys.stderr)
        return None
    except OSError as e:
        print(f"ikescope: cannot write {path}: {e.strerror or e}", file=sys.stderr)
        return None
    also = f", {len(kept)} row(s) of the existing table kept" if kept else ""
    print(f"wrote {path} ({len(ours)} IKE SA(s){also}); use it with: WIRESHARK_CONFIG_DIR={folder} "
          f"wireshark -r {capture} (or tshark), or copy the rows into your profile's ikev1_decryption_table",
          file=sys.stderr)
    return True


def _print(rows: list[dict]) -> None:
    if not rows:
        print("No IKEv1 SA in this capture.")
    for row in rows:
        print(f"IKE SA #{row['sa']} {row['icookie']}/{row['rcookie']}: {row['initiator']} (initiator) -> "
              f"{row['responder']}")
        print(f"  verdict: {row.get('verdict') or '-'}" + (f" ({row['detail']})" if row.get("detail") else ""))
        keys = row.get("keys")
        if keys:
            for name in ("hash", "cipher", "g_xy", "SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", "enc_key",
                         "phase1_iv", "source"):
                if keys.get(name) is not None:
                    print(f"  {name:<10} {keys[name]}")
        if row.get("key_error"):
            print(f"  problem: {row['key_error']}")
        if row.get("missing"):
            print(f"  missing: {row['missing']}")
        if row.get("note"):
            print(f"  note: {row['note']}")
        if row.get("psk"):
            print(f"  PSK found: {row['psk']}")
        for e in row.get("esp_sas") or []:
            print(f"  ESP SA {e['spi']} {e['src']} -> {e['dst']}: {e['encryption']}-{e['enc_key_bits']} + "
                  f"{e['integrity']} ({e['source'].rsplit(', ', 1)[-1]})")
            print(f"    enc_key  {e['enc_key']}")
            if e["auth_key"]:
                print(f"    auth_key {e['auth_key']}")
        for p in row.get("esp_problems") or []:
            print(f"  ESP keys: {p}")

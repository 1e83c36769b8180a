"""``ikescope keys CAPTURE``: each IKE SA's derived keys (masked unless --show-secrets) and verdict."""
from __future__ import annotations

import argparse
import json
import os
import sys

from dissect.capture import CaptureError
from dissect.decrypt import missing_material
from dissect.keysources import format_ikev1_decryption_table, parse_ikev1_decryption_table
from dissect.pipeline import Dissector

from .keyopts import key_material
from .main import EXIT_OK, EXIT_PARTIAL, EXIT_UNUSABLE


def run_keys(args: argparse.Namespace) -> int:
    entries, candidates, problems = key_material(args)
    for line in problems:
        print(f"ikescope: {line}", file=sys.stderr)
    dis = Dissector(args.capture, ike_ports=args.ports, keys=entries, psk_candidates=candidates)
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
            row["missing"] = missing_material(st)
            if st.found_psk is not None:
                row["psk"] = st.found_psk.decode("utf-8", "replace") if args.show_secrets else "*" * 8
        else:
            row.update({"verdict": None, "detail": "no key material matches this IKE SA", "decrypted": 0,
                        "not_decrypted": 0, "cut_short": 0, "keys": None, "key_error": None, "key_source": None,
                        "note": None, "missing": "key material for this IKE SA (see --help)"})
        rows.append(row)
    if args.json:
        for row in rows:
            sys.stdout.write(json.dumps(row) + "\n")
    else:
        _print(rows)
    written = _write_wireshark(args.wireshark, args.capture, states) if args.wireshark is not None else True
    if written is None:
        return EXIT_UNUSABLE
    unused = dis.decryptor.unused_entries() if dis.decryptor else []
    for e in unused:
        print(f"ikescope: {e.source} matches no IKE SA of this capture", file=sys.stderr)
    key_problems = dis.decryptor.key_problems() if dis.decryptor else []
    if dis.stats.truncated:
        print(f"ikescope: {dis.stats.truncated}", file=sys.stderr)
    partial = problems or key_problems or not written or dis.stats.truncated or dis.stats.undecodable
    return EXIT_PARTIAL if partial else EXIT_OK


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
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(format_ikev1_decryption_table(kept + list(ours.items())))
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

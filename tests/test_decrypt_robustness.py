"""Decryption and verdicts on real captures damaged the way captures get damaged (issue 3).

Each capture is the bundled IPv6 Main Mode lab case, rewritten at test time:
a message cut short by the snap length, a byte flipped in transit or in the
file, frames out of order, a frame missing, a stale Wireshark key-table row.
The keys are the case's real ones (truth.json).  What must hold: no damage is
taken for a wrong PSK when other messages prove the PSK right, and what can
still be decrypted is.
"""
from __future__ import annotations

import json
import struct
import subprocess
import sys

import dpkt
import pytest

from conftest import CAPTURES, REPO
from dissect.decrypt import HASH_R_MISMATCH, KEYS_VERIFIED, MISMATCH, PEERS_DIFFER, VERIFIED
from dissect.keysources import KeyEntry, load_key_file
from dissect.pipeline import Dissector

CASE = CAPTURES / "v6-aes128-sha1-modp1024"
TRUTH = json.loads((CASE / "truth.json").read_text())
MM5, MM6, QM1 = 4, 5, 6  # record indexes (frames 5, 6, 7)


def records() -> list[tuple[float, bytes]]:
    with open(CASE / "capture.pcap", "rb") as f:
        return [(ts, bytes(buf)) for ts, buf in dpkt.pcap.Reader(f)]


def write(path, recs, cut: dict[int, int] | None = None) -> str:
    """A pcap of ``recs``; ``cut`` = {index: bytes left out of the capture} (caplen < wire length)."""
    cut = cut or {}
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, (ts, buf) in enumerate(recs):
            kept = buf[:len(buf) - cut.get(i, 0)]
            f.write(struct.pack("<IIII", int(ts), round((ts % 1) * 1e6), len(kept), len(buf)) + kept)
    return str(path)


def flip(buf: bytes, back: int) -> bytes:
    """The frame with one byte flipped ``back`` bytes before its end (inside the ISAKMP ciphertext)."""
    i = len(buf) - back
    return buf[:i] + bytes([buf[i] ^ 0x5A]) + buf[i + 1:]


def psk_and_gxy() -> KeyEntry:
    return KeyEntry(source="truth", psk=TRUTH["psk"].encode(), dh_shared=bytes.fromhex(TRUTH["g_xy"]))


def run(path, keys, candidates=None):
    d = Dissector(path, keys=keys, psk_candidates=candidates)
    pkts = list(d.packets())
    (st,) = d.decryptor.states.values()
    return st, pkts, d


def test_mm5_cut_short_by_the_snap_length_is_no_verdict_on_the_psk(tmp_path):
    st, pkts, _ = run(write(tmp_path / "cut.pcap", records(), cut={MM5: 16}), [psk_and_gxy()])
    assert st.truncated == 1 and not pkts[MM5].isakmp.decrypted
    assert st.verdict == VERIFIED and "HASH(1)" in st.detail, st.detail
    assert pkts[QM1].isakmp.decrypted and pkts[QM1].isakmp.hash_check == "HASH(1) verified"


def test_a_corrupted_mm5_does_not_blame_the_psk(tmp_path):
    """MM6's HASH_R verifies: the responder accepted MM5, so the broken copy is the capture's fault."""
    recs = records()
    recs[MM5] = (recs[MM5][0], flip(recs[MM5][1], 40))
    st, pkts, _ = run(write(tmp_path / "flip.pcap", recs), [psk_and_gxy()])
    assert pkts[MM5].isakmp.hash_check == "HASH_I mismatch" and pkts[MM6].isakmp.hash_check == "HASH_R verified"
    assert st.verdict == VERIFIED and "HASH_I did not" in st.detail, st.detail


def test_mm6_captured_before_mm5_keeps_phase_2_decryptable(tmp_path):
    recs = records()
    recs[MM5], recs[MM6] = recs[MM6], recs[MM5]
    _, pkts, _ = run(write(tmp_path / "swap.pcap", recs), [psk_and_gxy()])
    later = [p for p in pkts[MM6 + 1:] if p.isakmp is not None]
    assert later and all(p.isakmp.decrypted for p in later), [p.frame for p in later if not p.isakmp.decrypted]


def test_a_stale_wireshark_row_does_not_override_the_psk_and_g_xy(tmp_path):
    table = tmp_path / "ikev1_decryption_table"
    table.write_text(f"{TRUTH['initiator_cookie']},{'11' * 16}\n")
    keys = load_key_file(str(CASE / "keys.toml")) + load_key_file(str(table))
    st, pkts, _ = run(str(CASE / "capture.pcap"), keys)
    assert st.verdict == VERIFIED and st.keys.enc_key == bytes.fromhex(TRUTH["enc_key"])
    assert "another cipher key" in st.conflict


@pytest.mark.parametrize("psk, verdict", [(TRUTH["psk"], VERIFIED), ("not-the-psk", MISMATCH)])
def test_the_cipher_key_alone_with_a_psk_checks_the_psk(psk, verdict):
    """HASH_I = prf(SKEYID, ...) needs SKEYID = prf(PSK, Ni_b | Nr_b), not g^xy (RFC 2409 §5)."""
    keys = load_key_file(str(CASE / "ikev1_decryption_table")) + [KeyEntry(source="cli", psk=psk.encode(),
                                                                            explicit=True)]
    st, pkts, _ = run(str(CASE / "capture.pcap"), keys)
    assert st.verdict == verdict and pkts[MM5].isakmp.decrypted
    assert pkts[MM5].isakmp.hash_check == ("HASH_I verified" if verdict == VERIFIED else "HASH_I mismatch")


def test_the_cipher_key_alone_decrypts_without_a_verdict_on_a_psk():
    st, pkts, _ = run(str(CASE / "capture.pcap"), load_key_file(str(CASE / "ikev1_decryption_table")))
    assert st.verdict is None and st.decrypted == 7 and "no hash" in st.detail


def test_psk_candidates_wait_for_mm5(tmp_path):
    recs = [r for i, r in enumerate(records()) if i != MM5]
    cands = [("line 1", b"wrong"), ("line 2", TRUTH["psk"].encode())]
    st, _, _ = run(write(tmp_path / "nomm5.pcap", recs), [KeyEntry(source="t", dh_shared=bytes.fromhex(
        TRUTH["g_xy"]))], cands)
    assert st.verdict is None and st.keys is None
    from dissect.decrypt import missing_material
    assert "MM5 is not in the capture" in missing_material(st)


def test_command_line_psk_wins_over_the_keys_file():
    keys = load_key_file(str(CASE / "keys.toml")) + [KeyEntry(source="command line", psk=b"typo", explicit=True)]
    st, _, _ = run(str(CASE / "capture.pcap"), keys)
    assert st.verdict == MISMATCH


def test_a_log_without_cookies_is_matched_to_its_sa_by_nonces(tmp_path):
    """v4-rekey-dpd has two IKE SAs with the same peer; a log without cookies names only the peer."""
    case = CAPTURES / "v4-rekey-dpd"
    t = json.loads((case / "truth.json").read_text())
    text = (case / "left.log").read_text()
    stripped = "\n".join(line for line in text.splitlines() if "[ENC]" not in line and "natd_chunk" not in line)
    log = tmp_path / "left-no-cookies.log"
    log.write_text(stripped + "\n")
    entries = load_key_file(str(log))
    assert all(e.icookie is None and e.peer for e in entries) and len(entries) == 2
    d = Dissector(str(case / "capture.pcap"), keys=entries)
    list(d.packets())
    for sa in t["ike_sas"]:
        st = d.decryptor.states[bytes.fromhex(sa["initiator_cookie"])]
        assert st.keys.skeyid == bytes.fromhex(sa["SKEYID"]) and st.verdict == KEYS_VERIFIED, st.detail


def _cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, capture_output=True, timeout=120,
                          **kw)


def test_cli_bad_flags_are_reported_one_by_one_and_echo_no_secret():
    psk_hex = TRUTH["psk"].encode().hex()
    r = _cli("dissect", str(CASE / "capture.pcap"), "--psk-hex", psk_hex + "z", "--dh-private", "zz",
             "--dh-shared", TRUTH["g_xy"], text=True)
    errors = [line for line in r.stderr.splitlines() if line.startswith("ikescope:")]
    assert r.returncode == 1 and len(errors) == 2 and "Traceback" not in r.stderr
    assert psk_hex not in r.stderr + r.stdout and TRUTH["psk"] not in r.stderr + r.stdout
    assert "--dh-private or --dh-shared" not in r.stdout  # the good --dh-shared was kept


def test_cli_psk_that_is_not_utf8():
    r = _cli("dissect", str(CASE / "capture.pcap"), "--psk", b"caf\xe9".decode("utf-8", "surrogateescape"),
             "--dh-shared", TRUTH["g_xy"], text=True)
    assert "Traceback" not in r.stderr and MISMATCH in r.stdout


def test_cli_candidates_file_with_a_byte_order_mark(tmp_path):
    f = tmp_path / "cands.txt"
    f.write_bytes(b"\xef\xbb\xbf" + TRUTH["psk"].encode() + b"\r\nother\r\n")
    r = _cli("dissect", str(CASE / "capture.pcap"), "--dh-shared", TRUTH["g_xy"], "--psk-candidates", str(f),
             text=True)
    assert r.returncode == 0 and VERIFIED in r.stdout and f"line 1 of {f}" in r.stdout


def test_cli_ragged_ciphertext_is_counted_as_malformed(tmp_path):
    """The last INFO loses 5 bytes of ciphertext (lengths fixed up): not whole cipher blocks."""
    recs = records()
    ts, buf = recs[-1]
    eth = dpkt.ethernet.Ethernet(buf)
    udp = eth.data.data
    payload = bytes(udp.data)[:-5]
    isakmp = payload[4:]
    payload = payload[:4] + isakmp[:24] + struct.pack(">I", len(isakmp)) + isakmp[28:]
    udp.data, udp.ulen, udp.sum = payload, 8 + len(payload), 0
    eth.data.data, eth.data.plen = udp, 8 + len(payload)
    recs[-1] = (ts, bytes(eth))
    r = _cli("dissect", write(tmp_path / "ragged.pcap", recs), "--keys", str(CASE / "keys.toml"), text=True)
    assert r.returncode == 1 and "Malformed: 1" in r.stdout and "not whole" in r.stdout


def test_cli_keys_on_a_truncated_capture_exits_1(tmp_path):
    cut = tmp_path / "head.pcap"
    cut.write_bytes((CASE / "capture.pcap").read_bytes()[:1500])
    r = _cli("keys", str(cut), "--keys", str(CASE / "keys.toml"), text=True)
    assert r.returncode == 1 and "Traceback" not in r.stderr


def test_cli_wireshark_export_keeps_other_rows_and_is_private(tmp_path):
    table = tmp_path / "ikev1_decryption_table"
    table.write_text("# This file is automatically generated, DO NOT MODIFY.\n0123456789abcdef,00112233\n"
                     f"{TRUTH['initiator_cookie']},{'22' * 16}\n")
    r = _cli("keys", str(CASE / "capture.pcap"), "--keys", str(CASE / "keys.toml"), "--wireshark", str(tmp_path),
             text=True)
    assert r.returncode == 0, r.stderr
    rows = [line.split(",") for line in table.read_text().splitlines() if not line.startswith("#")]
    assert rows == [["0123456789abcdef", "00112233"], [TRUTH["initiator_cookie"], TRUTH["enc_key"]]]
    assert table.stat().st_mode & 0o077 == 0
    nothing = _cli("keys", str(CASE / "capture.pcap"), "--psk", "x", "--wireshark", str(tmp_path / "new"),
                   text=True)
    assert nothing.returncode == 1 and "no keys to write" in nothing.stderr and not (tmp_path / "new").exists()


def test_clear_messages_cut_short_say_so(tmp_path):
    recs = records()
    st, _, _ = run(write(tmp_path / "snap.pcap", recs, cut={2: 100, 3: 100}), [psk_and_gxy()])
    from dissect.decrypt import missing_material
    assert st.keys is None and "MM3, MM4 cut short in the capture" in missing_material(st)


def test_both_peers_logs_each_decrypt_their_own_side():
    case = CAPTURES / "v6-psk-mismatch"
    keys = load_key_file(str(case / "right.log")) + load_key_file(str(case / "left.log"))
    d = Dissector(str(case / "capture.pcap"), keys=keys)
    pkts = list(d.packets())
    (st,) = d.decryptor.states.values()
    assert st.verdict == PEERS_DIFFER and "left.log" in st.entry.source  # left's keys decrypt MM5
    assert "right.log" in st.own_keys["responder"][0].source and st.conflict is None  # right's the INFO
    assert all(p.isakmp.decrypted for p in pkts if p.isakmp is not None and p.isakmp.encrypted)


def test_a_log_with_a_wrong_psk_marks_hash_i_as_the_psk_gives_it():
    """The log's keys decrypt; HASH_I in the list is checked with the given PSK's SKEYID, as the verdict."""
    keys = load_key_file(str(CASE / "left.log")) + [KeyEntry(source="cli", psk=b"wrong", explicit=True)]
    st, pkts, _ = run(str(CASE / "capture.pcap"), keys)
    assert st.verdict == MISMATCH and "does not give the SKEYID" in st.detail
    assert pkts[MM5].isakmp.decrypted and pkts[MM5].isakmp.hash_check == "HASH_I mismatch"
    assert pkts[QM1].isakmp.hash_check == "HASH(1) verified"


def test_psk_candidates_with_a_cipher_key_alone():
    cands = [("line 1", b"cisco"), ("line 2", TRUTH["psk"].encode())]
    st, _, _ = run(str(CASE / "capture.pcap"), load_key_file(str(CASE / "ikev1_decryption_table")), cands)
    assert st.verdict == VERIFIED and "line 2" in st.detail and st.found_psk == TRUTH["psk"].encode()


def test_aggressive_mode_candidates_are_for_when_no_psk_is_given():
    case = CAPTURES / "v6-aggressive"
    t = json.loads((case / "truth.json").read_text())
    d = Dissector(str(case / "capture.pcap"), keys=[KeyEntry(source="cli", psk=b"wrong", explicit=True)],
                  psk_candidates=[("line 1", t["psk"].encode())])
    list(d.packets())
    (st,) = d.decryptor.states.values()
    assert st.verdict == HASH_R_MISMATCH and "given PSK" in st.detail


def test_dh_private_and_shared_must_agree():
    from dissect import dhgroups
    grp = dhgroups.group(2)
    st, _, _ = run(str(CASE / "capture.pcap"), [KeyEntry(source="t", psk=TRUTH["psk"].encode(),
                                                         dh_private=b"\x05" * 20,
                                                         dh_shared=bytes.fromhex(TRUTH["g_xy"]))])
    assert st.keys is None and "neither peer" in st.key_error
    padded = b"\0\0" + bytes.fromhex(TRUTH["g_xy"])  # extra leading zeros change nothing
    assert dhgroups.check_shared_secret(grp, padded) == bytes.fromhex(TRUTH["g_xy"])

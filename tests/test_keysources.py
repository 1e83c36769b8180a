"""dissect.keysources: key material from TOML files, strongSwan logs and Wireshark tables.

Real values only: the shipped lab cases' charon logs are parsed and compared
with their truth.json (which the lab took from the same logs, line by line);
the shipped ikev1_decryption_table files and Wireshark's own test table are
parsed and written back byte for byte.  TOML inputs are written with values
from truth.json.
"""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from dissect.keysources import (
    KeyEntry,
    KeyFileError,
    QuickModeSecret,
    format_ikev1_decryption_table,
    hex_value,
    load_key_file,
    parse_charon_log,
    parse_ikev1_decryption_table,
    parse_toml_keys,
)
from tests.conftest import CAPTURES, require_public, shipped_cases

# truth.json name -> KeyEntry field
TRUTH_FIELDS = {
    "initiator_cookie": "icookie", "responder_cookie": "rcookie",
    "Ni": "ni", "Nr": "nr", "g_xi": "g_xi", "g_xr": "g_xr", "g_xy": "dh_shared",
    "SKEYID": "skeyid", "SKEYID_d": "skeyid_d", "SKEYID_a": "skeyid_a", "SKEYID_e": "skeyid_e",
    "enc_key": "enc_key",
}
# values that differ between the two logs when the PSKs differ (v6-psk-mismatch)
SIDE_KEYS = ("SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", "enc_key", "g_xy")


def truth(case: Path) -> dict:
    return json.loads((case / "truth.json").read_text())


def ikev1_cases() -> list[Path]:
    return [c for c in shipped_cases() if truth(c)["ike_version"] == 1]


def case_ids(cases):
    return [c.name for c in cases]


CASES_V1 = ikev1_cases()
CASE_SIDES = [(c, side) for c in CASES_V1 for side in ("left", "right")]
CASE_SIDE_IDS = [f"{c.name}-{side}" for c, side in CASE_SIDES]
PFS = CAPTURES / "v6-aes256-sha256-modp2048-pfs14"
V6 = CAPTURES / "v6-aes128-sha1-modp1024"
IKEV2 = CAPTURES / "v6-ikev2-psk"


def expected_sa(sa: dict, side: str) -> dict:
    """The truth.json values the log of ``side`` must give for this IKE SA."""
    exp = {k: sa[k] for k in TRUTH_FIELDS}
    if side == "right" and "responder_side_keys" in sa:   # PSK mismatch: the responder computed its own keys
        exp.update({k: v for k, v in sa["responder_side_keys"].items() if k in SIDE_KEYS})
    return exp


def assert_entries_match(entries: list[KeyEntry], case: Path, side: str) -> None:
    t = truth(case)
    assert len(entries) == len(t["ike_sas"]), [e.source for e in entries]
    for entry, sa in zip(entries, t["ike_sas"]):
        for name, value in expected_sa(sa, side).items():
            assert getattr(entry, TRUTH_FIELDS[name]) == bytes.fromhex(value), (case.name, side, name)
        pfs = {qm["message_id"]: qm["g_qm_xy"] for qm in sa["quick_modes"] if qm.get("pfs")}
        assert {q.message_id: q.dh_shared.hex() for q in entry.quick_modes} == pfs
        assert all(q.dh_private is None for q in entry.quick_modes)
        assert entry.peer is None           # cookies are known, so no address matching
        assert entry.psk is None and entry.dh_private is None    # not in an IKEv1 log


# --------------------------------------------------------------------------
# strongSwan charon logs against truth.json

@pytest.mark.parametrize("case,side", CASE_SIDES, ids=CASE_SIDE_IDS)
def test_charon_log_gives_truth(case, side):
    path = case / f"{side}.log"
    entries = load_key_file(str(path))
    assert_entries_match(entries, case, side)
    # the flat truth fields are the first IKE SA
    t = truth(case)
    first = expected_sa({**t, "responder_side_keys": t["ike_sas"][0].get("responder_side_keys", {})}, side)
    for name, value in first.items():
        assert getattr(entries[0], TRUTH_FIELDS[name]) == bytes.fromhex(value)
    assert all(e.source.startswith(f"{path}:") for e in entries)


@pytest.mark.parametrize("case", CASES_V1, ids=case_ids(CASES_V1))
def test_charon_source_is_the_dh_secret_line(case):
    """KeyEntry.source points at the SA's first key dump, the line truth.json names for g^xy."""
    entries = parse_charon_log((case / "left.log").read_text(), "left.log")
    for entry, sa in zip(entries, truth(case)["ike_sas"]):
        line = re.match(r"left\.log line (\d+) 'shared Diffie Hellman secret'", sa["sources"]["g_xy"])[1]
        assert entry.source == f"left.log:{line}"


def test_charon_rekey_keeps_both_ike_sas_apart():
    """v4-rekey-dpd re-authenticates: the second Main Mode's first message is logged under the
    old SA's tag; each SA still gets its own cookies, nonces and keys."""
    case = CAPTURES / "v4-rekey-dpd"
    sas = truth(case)["ike_sas"]
    for side in ("left", "right"):
        a, b = parse_charon_log((case / f"{side}.log").read_text(), side)
        assert a.icookie == bytes.fromhex(sas[0]["initiator_cookie"])
        assert b.icookie == bytes.fromhex(sas[1]["initiator_cookie"])
        assert b.ni == bytes.fromhex(sas[1]["Ni"]) != a.ni
        assert b.enc_key == bytes.fromhex(sas[1]["enc_key"])


def test_charon_pfs_quick_mode_secret():
    qm = truth(PFS)["ike_sas"][0]["quick_modes"][0]
    for side in ("left", "right"):
        (entry,) = parse_charon_log((PFS / f"{side}.log").read_text(), side)
        assert entry.quick_modes == [QuickModeSecret(message_id=int(qm["message_id_hex"], 16),
                                                     dh_shared=bytes.fromhex(qm["g_qm_xy"]))]


def test_charon_ikev2_log_is_skipped():
    for side in ("left", "right"):
        assert parse_charon_log((IKEV2 / f"{side}.log").read_text(), side) == []
    with pytest.raises(KeyFileError) as err:
        load_key_file(str(IKEV2 / "left.log"))
    assert str(IKEV2 / "left.log") in str(err.value) and "IKEv1" in str(err.value)


_TAG = re.compile(r"^(\w{3} [ \d]\d [\d:.]+ \d+\[[A-Z]+\]) <[^>]*>", re.M)


@pytest.mark.parametrize("case,side", CASE_SIDES, ids=CASE_SIDE_IDS)
def test_charon_log_without_ike_name(case, side):
    """``ike_name = no`` drops the <conn|N> tags; the SAs are pieced together per thread."""
    text = _TAG.sub(r"\1", (case / f"{side}.log").read_text())
    assert "<lab|" not in text
    assert_entries_match(parse_charon_log(text, f"{side}.log"), case, side)


def test_charon_syslog_prefix():
    """The same log as syslog writes it (``host charon[pid]: 05[IKE] ...``, no milliseconds)."""
    text = re.sub(r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d)\.\d+ ", r"\1 ikeL charon[4242]: ",
                  (PFS / "left.log").read_text(), flags=re.M)
    assert "charon[4242]: 05[IKE]" in text
    assert_entries_match(parse_charon_log(text, "syslog"), PFS, "left")


@pytest.mark.parametrize("case", [PFS, CAPTURES / "v4-rekey-dpd"], ids=lambda c: c.name)
def test_charon_log_without_enc_logging(case):
    """``ike = 4`` but ``enc`` lower: the keys are there, cookies and nonces are not, so the
    entry names its SA by the peer address of "IKE_SA ... established between"."""
    t = truth(case)
    for side, peer in (("left", t["responder"]["addr"]), ("right", t["initiator"]["addr"])):
        lines = [ln for ln in (case / f"{side}.log").read_text().splitlines()
                 if "[ENC]" not in ln and "natd_chunk" not in ln]
        entries = parse_charon_log("\n".join(lines), side)
        assert len(entries) == len(t["ike_sas"])
        for entry, sa in zip(entries, t["ike_sas"]):
            assert entry.icookie is None and entry.ni is None and entry.g_xr is None
            assert entry.peer == peer
            for name in ("g_xy", "SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", "enc_key"):
                assert getattr(entry, TRUTH_FIELDS[name]) == bytes.fromhex(expected_sa(sa, side)[name])
            pfs = {qm["message_id"]: qm["g_qm_xy"] for qm in sa["quick_modes"] if qm.get("pfs")}
            assert {q.message_id: q.dh_shared.hex() for q in entry.quick_modes} == pfs


def _dump_at(lines: list[str], label: str) -> tuple[int, int]:
    """Index of the first ``label => n bytes`` line and of its last continuation line."""
    start = next(i for i, ln in enumerate(lines) if f"> {label} => " in ln)
    end = start
    while re.search(r"\]( <[^>]*>)? +\d+: ", lines[end + 1]):
        end += 1
    return start, end


def test_charon_interleaved_dumps_are_grouped_by_thread():
    """Another thread's complete dump (and a stray continuation line) in the middle of the
    g^xy dump: every value is still read whole."""
    lines = (PFS / "left.log").read_text().splitlines()
    start, end = _dump_at(lines, "shared Diffie Hellman secret")
    n_start, n_end = _dump_at(lines, "natd_hash")
    other = [re.sub(r" \d+\[IKE\]", " 98[IKE]", ln) for ln in lines[n_start:n_end + 1]]
    stray = re.sub(r" \d+\[IKE\]", " 97[IKE]", lines[n_start + 1])
    mixed = lines[:start + 3] + other + [stray] + lines[start + 3:]
    assert end - start > 8          # the dump really is split
    assert_entries_match(parse_charon_log("\n".join(mixed), "mixed"), PFS, "left")


def test_charon_truncated_dump_is_dropped_not_misread():
    lines = (PFS / "left.log").read_text().splitlines()
    start, end = _dump_at(lines, "SKEYID")
    del lines[start + 1]            # the first 16 bytes of SKEYID are missing
    (entry,) = parse_charon_log("\n".join(lines), "cut")
    assert entry.skeyid is None
    assert entry.skeyid_d == bytes.fromhex(truth(PFS)["SKEYID_d"])


# --------------------------------------------------------------------------
# Wireshark ikev1_decryption_table

TABLE_CASES = [c for c in CASES_V1 if (c / "ikev1_decryption_table").is_file()]


@pytest.mark.parametrize("case", TABLE_CASES, ids=case_ids(TABLE_CASES))
def test_shipped_table_matches_truth_and_round_trips(case):
    path = case / "ikev1_decryption_table"
    text = path.read_text()
    entries = load_key_file(str(path))
    sas = truth(case)["ike_sas"]
    assert [(e.icookie.hex(), e.enc_key.hex()) for e in entries] == \
        [(sa["initiator_cookie"], sa["enc_key"]) for sa in sas]
    assert [e.source for e in entries] == [f"{path}:{n}" for n in range(2, 2 + len(sas))]
    assert format_ikev1_decryption_table([(e.icookie, e.enc_key) for e in entries]) == text


def test_wireshark_test_table():
    path = require_public() / "wireshark" / "ikev1_decryption_table.tmpl"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    text = path.read_text()
    entries = parse_ikev1_decryption_table(text, "ikev1_decryption_table")
    # MANIFEST.md §2: ikev1-certs.pcap (3DES) and the two keys for bugs 12610 / 12620
    assert [(e.icookie.hex(), e.enc_key.hex()) for e in entries] == [
        ("fafaeb49382a763c", "735be0cb62f82675c4f7bf8fbab9b56834ba76d6ab4fa240"),
        ("ab3e0f1f8bc3be8e", "928392441e00ece5e8af3bc545416e86afa1291e7c013271514738b70ef25d22"),
        ("29f6006212625def", "c26a81baec6070d289f0b4f13c2fb182e3d5406d11c29ebc2fc179502541325b"),
    ]
    assert format_ikev1_decryption_table([(e.icookie, e.enc_key) for e in entries]) == text
    assert load_key_file(str(path)) == [KeyEntry(source=f"{path}:{e.source.rsplit(':', 1)[1]}",
                                                 icookie=e.icookie, enc_key=e.enc_key) for e in entries]


def test_table_from_logs_round_trips():
    """Format the (icookie, Ka) of every log-derived SA, parse it back: the same pairs."""
    pairs = [(e.icookie, e.enc_key) for c in CASES_V1 for e in load_key_file(str(c / "left.log"))]
    text = format_ikev1_decryption_table(pairs)
    assert text.startswith("# This file is automatically generated, DO NOT MODIFY.\n")
    assert text.endswith("\n") and "\r" not in text and '"' not in text
    back = parse_ikev1_decryption_table(text, "t")
    assert [(e.icookie, e.enc_key) for e in back] == pairs
    assert all(e.source == f"t:{i}" for i, e in enumerate(back, 2))


def test_table_quoted_fields_and_blanks():
    sa = truth(V6)
    text = (f"# a hand-written table\n\n  \"{sa['initiator_cookie'].upper()}\" , "
            f"\"{sa['enc_key']}\"\r\n")
    (entry,) = parse_ikev1_decryption_table(text, "t")
    assert entry.icookie == bytes.fromhex(sa["initiator_cookie"])
    assert entry.enc_key == bytes.fromhex(sa["enc_key"])
    assert entry.source == "t:3"


def test_format_refuses_rows_wireshark_refuses():
    sa = truth(V6)
    cookie, key = bytes.fromhex(sa["initiator_cookie"]), bytes.fromhex(sa["enc_key"])
    with pytest.raises(ValueError, match="cookie"):
        format_ikev1_decryption_table([(cookie[:7], key)])
    with pytest.raises(ValueError, match="key"):
        format_ikev1_decryption_table([(cookie, b"")])
    with pytest.raises(ValueError, match="key"):
        format_ikev1_decryption_table([(cookie, bytes.fromhex(truth(PFS)["g_xy"]) * 2)])


# --------------------------------------------------------------------------
# TOML keys files

def test_toml_keys_file(tmp_path):
    t6, tp = truth(V6), truth(PFS)
    mid = tp["ike_sas"][0]["quick_modes"][0]
    path = tmp_path / "keys.toml"
    path.write_text(f"""\
# two tunnels of the lab
[[tunnel]]
peer = "{t6['responder']['addr'].upper()}"
psk = "{t6['psk']}"

[[tunnel]]
icookie = "{':'.join(re.findall('..', tp['initiator_cookie']))}"
rcookie = "0x{tp['responder_cookie']}"
psk_hex = "{tp['psk'].encode().hex(' ')}"
dh_shared = "{tp['g_xy']}"

[[tunnel.quick_mode]]
message_id = "{mid['message_id']}"
dh_shared = "{mid['g_qm_xy'].upper()}"
""")
    a, b = load_key_file(str(path))
    assert a == KeyEntry(source=f"{path}:2", peer="2001:db8::3", psk=t6["psk"].encode())
    assert b == KeyEntry(source=f"{path}:6", icookie=bytes.fromhex(tp["initiator_cookie"]),
                         rcookie=bytes.fromhex(tp["responder_cookie"]), psk=tp["psk"].encode(),
                         dh_shared=bytes.fromhex(tp["g_xy"]),
                         quick_modes=[QuickModeSecret(mid["message_id"], dh_shared=bytes.fromhex(mid["g_qm_xy"]))])


def test_toml_single_tunnel_needs_no_selector():
    t6 = truth(V6)
    (entry,) = parse_toml_keys(f'[[tunnel]]\npsk = "{t6["psk"]}"\n', "k.toml")
    assert entry.peer is None and entry.icookie is None and entry.psk == t6["psk"].encode()
    assert entry.source == "k.toml:1"


def test_toml_inline_array_source():
    t6 = truth(V6)
    text = f'tunnel = [{{ peer = "192.0.2.3", psk = "{t6["psk"]}" }}, {{ peer = "2001:db8::3", psk = "x" }}]\n'
    a, b = parse_toml_keys(text, "k.toml")
    assert (a.source, b.source) == ("k.toml [tunnel 1]", "k.toml [tunnel 2]")


@pytest.mark.parametrize("written", [
    '"0xd6f1b409"', '"d6f1b409"', '"D6F1B409"', '"3606164489"', "3606164489", "0xd6f1b409",
    '"-688802807"', "-688802807",            # old IOS prints message IDs signed
])
def test_toml_message_id_forms(written):
    """v6-aes128-sha1-modp1024's Quick Mode message ID d6f1b409, written every way a user may copy it."""
    mid_hex = truth(V6)["ike_sas"][0]["quick_modes"][0]["message_id_hex"]
    assert mid_hex == "d6f1b409"
    gxy = truth(PFS)["ike_sas"][0]["quick_modes"][0]["g_qm_xy"]      # a real g^xy, as a stand-in value
    text = f'[[tunnel]]\npeer = "2001:db8::3"\npsk = "x"\n[[tunnel.quick_mode]]\nmessage_id = {written}\n' \
           f'dh_shared = "{gxy}"\n'
    (entry,) = parse_toml_keys(text, "k.toml")
    assert entry.quick_modes[0].message_id == 0xd6f1b409


# --------------------------------------------------------------------------
# recognition by content, not by name

def test_recognised_by_content(tmp_path):
    t6 = truth(V6)
    log = tmp_path / "left.txt"
    shutil.copy(V6 / "left.log", log)
    assert_entries_match(load_key_file(str(log)), V6, "left")
    misleading = tmp_path / "keys.toml"
    shutil.copy(V6 / "right.log", misleading)
    assert_entries_match(load_key_file(str(misleading)), V6, "right")

    table = tmp_path / "mytable"                   # no extension
    shutil.copy(V6 / "ikev1_decryption_table", table)
    (row,) = load_key_file(str(table))
    assert (row.icookie.hex(), row.enc_key.hex()) == (t6["initiator_cookie"], t6["enc_key"])
    as_log = tmp_path / "table.log"
    shutil.copy(V6 / "ikev1_decryption_table", as_log)
    assert load_key_file(str(as_log))[0].enc_key == row.enc_key

    toml = tmp_path / "keys.log"
    toml.write_text(f'[[tunnel]]\npeer = "{t6["responder"]["addr"]}"\npsk = "{t6["psk"]}"\n')
    (tun,) = load_key_file(str(toml))
    assert tun.peer == "2001:db8::3" and tun.psk == t6["psk"].encode()

    bom = tmp_path / "bom"
    bom.write_bytes(b"\xef\xbb\xbf" + (V6 / "ikev1_decryption_table").read_bytes().replace(b"\n", b"\r\n"))
    assert load_key_file(str(bom))[0].enc_key == row.enc_key


# --------------------------------------------------------------------------
# hex

def test_hex_value_tolerant_forms():
    ka = truth(V6)["enc_key"]
    want = bytes.fromhex(ka)
    for text in (ka, ka.upper(), "0x" + ka, " ".join(re.findall("..", ka)), ":".join(re.findall("..", ka)),
                 " ".join("0x" + g for g in re.findall("........", ka)), f"  {ka}\n"):
        assert hex_value(text, "Ka") == want


@pytest.mark.parametrize("text,fragment", [
    ("", "empty"), ("0x", "empty"), ("67c02g", "'g' is not a hex digit"), ("67c", "odd number"),
    ("67-c0", "'-' is not a hex digit"),
])
def test_hex_value_errors(text, fragment):
    with pytest.raises(KeyFileError) as err:
        hex_value(text, "keys.toml:7: [tunnel 1] dh_shared")
    assert str(err.value).startswith("keys.toml:7: [tunnel 1] dh_shared: ")
    assert fragment in str(err.value)


def test_hex_value_wrong_type():
    with pytest.raises(KeyFileError, match="^k: expected a hex string"):
        hex_value(1234, "k")


# --------------------------------------------------------------------------
# bad input: KeyFileError, one line, naming the file and the line / entry

_T6 = truth(V6)
_GXY = _T6["g_xy"]
_IC = _T6["initiator_cookie"]
_KA = _T6["enc_key"]
_OK = f'peer = "2001:db8::3"\npsk = "{_T6["psk"]}"\n'

BAD_TEXT = [
    # (name, file content, line in the message (None: no line), words the message must contain)
    ("unknown key", f'[[tunnel]]\n{_OK}pks = "x"\n', 4, ["'pks'", "allowed"]),
    ("unknown qm key", f'[[tunnel]]\n{_OK}[[tunnel.quick_mode]]\nmessage_id = "0x1"\ng_xy = "{_GXY}"\n', 6,
     ["quick_mode 1", "'g_xy'"]),
    ("unknown top key", f'version = 1\n[[tunnel]]\n{_OK}', 1, ["'version'"]),
    ("not an array", f"[tunnel]\n{_OK}", 1, ["[[tunnel]]"]),
    ("no tunnel", '# nothing\ntitle = "keys"\n', 2, ["'title'"]),
    ("bad hex", f'[[tunnel]]\n{_OK}dh_shared = "{_GXY[:10]}zz"\n', 4, ["dh_shared", "'z'"]),
    ("odd hex", f'[[tunnel]]\n{_OK}dh_private = "{_GXY[:11]}"\n', 4, ["dh_private", "odd"]),
    ("short cookie", f'[[tunnel]]\nicookie = "{_IC[:14]}"\npsk = "x"\n', 2, ["icookie", "16 hex digits"]),
    ("long cookie", f'[[tunnel]]\nicookie = "{_IC}00"\npsk = "x"\n', 2, ["icookie", "9 bytes"]),
    ("rcookie alone", f'[[tunnel]]\nrcookie = "{_IC}"\npsk = "x"\n', 2, ["rcookie", "icookie"]),
    ("no selector", f'[[tunnel]]\n{_OK}[[tunnel]]\npsk = "y"\n', 4, ["tunnel 2", "neither peer nor icookie"]),
    ("same sa twice", f'[[tunnel]]\n{_OK}[[tunnel]]\n{_OK}', 4, ["tunnel 2", "same SA as tunnel 1"]),
    ("bad peer", f'[[tunnel]]\npeer = "2001:db8::3::1"\npsk = "x"\n', 2, ["peer", "address"]),
    ("peer is a name", f'[[tunnel]]\npeer = "vpn.example"\npsk = "x"\n', 2, ["peer", "address"]),
    ("psk twice", f'[[tunnel]]\n{_OK}psk_hex = "{_T6["psk"].encode().hex()}"\n', 4, ["psk_hex", "keep one"]),
    ("psk number", '[[tunnel]]\npeer = "2001:db8::3"\npsk = 123\n', 3, ["psk", "integer"]),
    ("empty psk", '[[tunnel]]\npeer = "2001:db8::3"\npsk = ""\n', 3, ["psk", "empty"]),
    ("no key material", '[[tunnel]]\npeer = "2001:db8::3"\n', 1, ["no key material"]),
    ("qm without id", f'[[tunnel]]\n{_OK}[[tunnel.quick_mode]]\ndh_shared = "{_GXY}"\n', 4, ["message_id"]),
    ("qm id overflow", f'[[tunnel]]\n{_OK}[[tunnel.quick_mode]]\nmessage_id = "4294967296"\ndh_shared = "00"\n',
     5, ["32 bits"]),
    ("qm id zero", f'[[tunnel]]\n{_OK}[[tunnel.quick_mode]]\nmessage_id = 0\ndh_shared = "00"\n', 5, ["phase 1"]),
    ("qm id text", f'[[tunnel]]\n{_OK}[[tunnel.quick_mode]]\nmessage_id = "0xd6f1b409z"\ndh_shared = "00"\n', 5,
     ["not a message ID"]),
    ("qm id twice", f'[[tunnel]]\n{_OK}[[tunnel.quick_mode]]\nmessage_id = "0xd6f1b409"\ndh_shared = "00"\n'
     f'[[tunnel.quick_mode]]\nmessage_id = "3606164489"\ndh_shared = "01"\n', 8, ["quick_mode 2", "repeats"]),
    ("qm without secret", f'[[tunnel]]\n{_OK}[[tunnel.quick_mode]]\nmessage_id = "0xd6f1b409"\n', 4,
     ["no dh_shared or dh_private"]),
    ("toml syntax", f'[[tunnel]]\n{_OK}psk = \n', 4, ["not valid TOML"]),
    ("toml duplicate key", f'[[tunnel]]\n{_OK}psk = "again"\n', 4, ["not valid TOML"]),
    ("table short cookie", f"# table\n{_IC},{_KA}\n{_IC[:12]},{_KA}\n", 3, ["COOKIE", "8 bytes"]),
    ("table bad hex", f"{_IC},{_KA[:-1]}x\n", 1, ["Encryption Key", "'x'"]),
    ("table odd hex", f"{_IC},{_KA[:-1]}\n", 1, ["Encryption Key", "odd"]),
    ("table empty key", f"{_IC},\n", 1, ["Encryption Key", "empty"]),
    ("table one field", f"{_IC},{_KA}\n{_IC}{_KA},\n", 2, ["COOKIE"]),
    ("table three fields", f"{_IC},{_KA},{_KA}\n", 1, ["3 field(s), expected 2"]),
    ("table inline comment", f"{_IC},{_KA} # v6 lab\n", 1, ["own line"]),
    ("table key too long", f"{_IC},{truth(PFS)['g_xi']}{truth(PFS)['g_xr']}\n", 1, ["512 bytes", "at most 256"]),
    ("not recognised", "cisco123-lab\n", 1, ["not recognised"]),
    ("empty file", "", None, ["empty"]),
    ("only comments", "# This file is automatically generated, DO NOT MODIFY.\n", None, ["only comments"]),
]


@pytest.mark.parametrize("name,content,line,words", BAD_TEXT, ids=[b[0] for b in BAD_TEXT])
def test_bad_input(tmp_path, name, content, line, words):
    path = tmp_path / "keyfile"
    path.write_text(content)
    with pytest.raises(KeyFileError) as err:
        load_key_file(str(path))
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}:{line}:" if line is not None else f"{path}:"), msg
    for w in words:
        assert w in msg, msg


def test_bad_input_real_files(tmp_path):
    """Files a user may pass by mistake: the other Wireshark tables, a capture, an IKEv2 log."""
    cases = [
        (V6 / "esp_sa", ":1:", "esp_sa"),
        (IKEV2 / "ikev2_decryption_table", ":1:", "ikev2_decryption_table"),
        (V6 / "capture.pcap", ": ", "packet capture"),
        (IKEV2 / "right.log", ": ", "IKEv1"),
        (tmp_path / "missing.toml", ": ", "cannot read"),
    ]
    for path, place, words in cases:
        with pytest.raises(KeyFileError) as err:
            load_key_file(str(path))
        msg = str(err.value)
        assert msg.startswith(f"{path}{place}") and words in msg and "\n" not in msg, msg


def test_bad_input_not_utf8(tmp_path):
    path = tmp_path / "keys.toml"
    path.write_bytes(f'[[tunnel]]\npeer = "2001:db8::3"\n'.encode() + b'psk = "cisco\xe9"\n')
    with pytest.raises(KeyFileError, match=rf"^{re.escape(str(path))}:3: not UTF-8"):
        load_key_file(str(path))


def test_parsers_name_their_source():
    """The parse_* functions put the given source, not a path, into messages."""
    with pytest.raises(KeyFileError, match=r"^mine:2: \[tunnel 1\] unknown key"):
        parse_toml_keys('[[tunnel]]\nxyz = 1\n', "mine")
    with pytest.raises(KeyFileError, match=r"^mine:1: "):
        parse_ikev1_decryption_table("zz,zz\n", "mine")

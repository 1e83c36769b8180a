"""IKEv1 decryption and the PSK verdict on the shipped strongSwan lab captures (issue 3).

Truth is what strongSwan logged (truth.json): the derived SKEYID, SKEYID_d/a/e
and cipher key must equal it, from the PSK plus g^xy, and from a charon log
alone; the verdicts follow from the lab's own setup (psk-mismatch: different
PSKs on the two peers).
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from conftest import CAPTURES, REPO, shipped_cases
from dissect import dhgroups
from dissect.decrypt import HASH_R_MISMATCH, KEYS_VERIFIED, MISMATCH, MISMATCHES, NOT_THIS_SA, PEERS_DIFFER, VERIFIED
from dissect.keysources import KeyEntry, load_key_file
from dissect.pipeline import Dissector

IKEV1 = [p.name for p in shipped_cases() if json.loads((p / "truth.json").read_text()).get("ike_version") == 1]


def truth(case):
    return json.loads((CAPTURES / case / "truth.json").read_text())


def sas_of(t):
    return t.get("ike_sas") or [t]


def run(case, keys, candidates=None):
    d = Dissector(str(CAPTURES / case / "capture.pcap"), keys=keys, psk_candidates=candidates)
    pkts = list(d.packets())
    return d, pkts


def psk_of(t):
    return (t.get("psk_initiator") or t["psk"]).encode()


def assert_keys_equal_truth(state, sa):
    k = state.keys
    assert k is not None, state.key_error
    for ours, name in ((k.skeyid, "SKEYID"), (k.skeyid_d, "SKEYID_d"), (k.skeyid_a, "SKEYID_a"),
                       (k.skeyid_e, "SKEYID_e"), (k.enc_key, "enc_key")):
        assert ours == bytes.fromhex(sa[name]), name


@pytest.mark.parametrize("case", IKEV1)
def test_keys_from_psk_and_dh_shared(case):
    t = truth(case)
    keys = [KeyEntry(source="test", icookie=bytes.fromhex(sa["initiator_cookie"]), psk=psk_of(t),
                     dh_shared=bytes.fromhex(sa["g_xy"])) for sa in sas_of(t)]
    d, pkts = run(case, keys)
    for sa in sas_of(t):
        st = d.decryptor.states[bytes.fromhex(sa["initiator_cookie"])]
        assert_keys_equal_truth(st, sa)
        # psk-mismatch: the initiator's PSK derives the logged keys, but the responder's differs
        assert st.verdict == (PEERS_DIFFER if case == "v6-psk-mismatch" else VERIFIED)
    encrypted = [p for p in pkts if p.isakmp and p.isakmp.encrypted]
    if case != "v6-psk-mismatch":  # there the responder's messages use the responder's own PSK
        assert encrypted and all(p.isakmp.decrypted for p in encrypted)
        assert all(p.isakmp.hash_check.endswith("verified") for p in encrypted), \
            [(p.frame, p.isakmp.hash_check) for p in encrypted if not p.isakmp.hash_check.endswith("verified")]


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("case", IKEV1)
def test_keys_from_the_charon_log_alone(case, side):
    t = truth(case)
    d, pkts = run(case, load_key_file(str(CAPTURES / case / f"{side}.log")))
    for sa in sas_of(t):
        st = d.decryptor.states[bytes.fromhex(sa["initiator_cookie"])]
        if case == "v6-psk-mismatch":  # each log holds its own side's keys; the peers' PSKs differ
            assert st.verdict == PEERS_DIFFER and "different PSK" in st.detail
        if case == "v6-psk-mismatch" and side == "right":
            assert st.keys is not None  # the responder's own (different) keys: its messages decrypt
            continue
        assert_keys_equal_truth(st, sa)
    mine = [p for p in pkts if p.isakmp and p.isakmp.encrypted
            and (case != "v6-psk-mismatch" or (p.datagram.src == t["initiator"]["addr"]) == (side == "left"))]
    assert mine and all(p.isakmp.decrypted for p in mine)


@pytest.mark.parametrize("case", [c for c in IKEV1 if truth(c)["exchange_mode"] == "main"])
def test_decrypted_ids_carry_the_peers_addresses(case):
    t = truth(case)
    d, pkts = run(case, load_key_file(str(CAPTURES / case / "left.log")))
    for role, who in (("MM5", "initiator"), ("MM6", "responder")):
        for p in pkts:
            if p.isakmp and p.role == role and p.isakmp.decrypted:
                ident = next(x for x in p.isakmp.payloads if x.short == "ID")
                assert ident.text == t[who]["addr"], (role, ident.text)


def test_psk_mismatch_with_the_initiators_psk():
    """The lab configured different PSKs: the initiator's verifies MM5; the responder's replies do not decrypt."""
    t = truth("v6-psk-mismatch")
    d, _ = run("v6-psk-mismatch", [KeyEntry(source="t", psk=t["psk_initiator"].encode(),
                                            dh_shared=bytes.fromhex(t["g_xy"]))])
    (st,) = d.decryptor.states.values()
    assert st.verdict == PEERS_DIFFER and "HASH_I verified" in st.detail and "responder has a different PSK" in st.detail


def test_psk_mismatch_with_the_responders_psk():
    t = truth("v6-psk-mismatch")
    d, _ = run("v6-psk-mismatch", [KeyEntry(source="t", psk=t["psk_responder"].encode(),
                                            dh_shared=bytes.fromhex(t["g_xy"]))])
    (st,) = d.decryptor.states.values()
    assert st.verdict == PEERS_DIFFER and "initiator uses a different PSK" in st.detail


@pytest.mark.parametrize("case", ["v6-aes128-sha1-modp1024", "v4-aes128-sha1-modp1024", "v6-aggressive"])
def test_a_wrong_psk_gets_the_mismatch_verdict(case):
    t = truth(case)
    d, pkts = run(case, [KeyEntry(source="t", psk=b"not-the-psk", dh_shared=bytes.fromhex(t["g_xy"]))])
    (st,) = d.decryptor.states.values()
    # the verdict names the hash that failed: Main Mode's HASH_I (MM5 does not decrypt), Aggressive Mode's
    # HASH_R (AM2, in the clear: the PSK alone makes it fail)
    assert st.verdict == (HASH_R_MISMATCH if case == "v6-aggressive" else MISMATCH)
    assert st.verdict in MISMATCHES
    assert not any(p.isakmp.decrypted for p in pkts if p.isakmp)


def test_table_keys_that_are_not_this_sas():
    """A Wireshark table row for this cookie with another SA's key: no valid chain, said so."""
    other = truth("v4-aes128-sha1-modp1024")["enc_key"]
    t = truth("v6-aes128-sha1-modp1024")
    d, _ = run("v6-aes128-sha1-modp1024", [KeyEntry(source="t", icookie=bytes.fromhex(t["initiator_cookie"]),
                                                    enc_key=bytes.fromhex(other))])
    (st,) = d.decryptor.states.values()
    assert st.verdict == NOT_THIS_SA


def test_aggressive_mode_verifies_from_the_capture_and_the_psk_alone():
    """HASH_R of AM2 travels in clear: SKEYID = prf(PSK, Ni_b | Nr_b) is enough (RFC 2409 §5)."""
    t = truth("v6-aggressive")
    d, _ = run("v6-aggressive", [KeyEntry(source="t", psk=t["psk"].encode())])
    (st,) = d.decryptor.states.values()
    assert st.verdict == VERIFIED and "AM2" in st.detail


def test_psk_candidates_finds_the_right_one():
    t = truth("v6-aggressive")
    candidates = [(f"candidate {i}", c) for i, c in
                  enumerate([b"cisco", b"cisco123", t["psk"].encode(), b"secret"], 1)]
    d, _ = run("v6-aggressive", [], candidates)
    (st,) = d.decryptor.states.values()
    assert st.verdict == VERIFIED and st.found_psk == t["psk"].encode() and "candidate 3" in st.detail


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_cli_bundled_keys_file_decrypts_the_bundled_capture():
    """The README's decryption example: the bundled keys.toml of the IPv6 Main Mode case."""
    case = CAPTURES / "v6-aes128-sha1-modp1024"
    r = _cli("dissect", str(case / "capture.pcap"), "--keys", str(case / "keys.toml"))
    assert r.returncode == 0, r.stderr
    assert "ID(2001:db8::2)" in r.stdout and "[HASH_I verified]" in r.stdout and "PSK verified" in r.stdout


def test_cli_keys_masks_secrets_unless_asked():
    case = CAPTURES / "v6-aes128-sha1-modp1024"
    t = truth("v6-aes128-sha1-modp1024")
    masked = _cli("keys", str(case / "capture.pcap"), "--keys", str(case / "keys.toml"), "--json")
    shown = _cli("keys", str(case / "capture.pcap"), "--keys", str(case / "keys.toml"), "--json", "--show-secrets")
    m, s = json.loads(masked.stdout), json.loads(shown.stdout)
    assert m["verdict"] == s["verdict"] == VERIFIED
    assert t["SKEYID"] not in masked.stdout and t["enc_key"] not in masked.stdout and t["psk"] not in masked.stdout
    assert s["keys"]["SKEYID"] == t["SKEYID"] and s["keys"]["enc_key"] == t["enc_key"]


def test_cli_bad_key_input_is_one_line_and_the_rest_goes_on(tmp_path):
    case = CAPTURES / "v6-aes128-sha1-modp1024"
    r = _cli("dissect", str(case / "capture.pcap"), "--dh-shared", "zz-not-hex", "--psk", "x")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert len([line for line in r.stderr.splitlines() if line.startswith("ikescope:")]) == 1
    assert "MM1" in r.stdout  # everything is still dissected


def test_main_mode_psk_candidates_with_the_dh_secret():
    """Main Mode: with g^xy given, the candidate whose keys give MM5's HASH_I is the PSK."""
    t = truth("v6-aes128-sha1-modp1024")
    gxy = bytes.fromhex(t["g_xy"])
    good = [("line 1", b"cisco"), ("line 2", t["psk"].encode()), ("line 3", b"secret")]
    d, pkts = run("v6-aes128-sha1-modp1024", [KeyEntry(source="t", dh_shared=gxy)], good)
    (st,) = d.decryptor.states.values()
    assert st.verdict == VERIFIED and st.found_psk == t["psk"].encode() and "line 2" in st.detail
    assert_keys_equal_truth(st, t)
    assert all(p.isakmp.decrypted for p in pkts if p.isakmp is not None and p.isakmp.encrypted)
    d, _ = run("v6-aes128-sha1-modp1024", [KeyEntry(source="t", dh_shared=gxy)], [good[0], good[2]])
    (st,) = d.decryptor.states.values()
    assert st.verdict == MISMATCH and st.keys is None and "none of the 2" in st.detail


@pytest.mark.parametrize("gxy, words", [
    ("00", "cut short"),
    ("ff" * 129, "129 bytes"),
    ("ff" * 128, "p-1 or more"),     # above p of MODP group 2
    ("00" * 127 + "01", "0 or 1"),
])
def test_a_dh_shared_that_does_not_fit_the_group_says_so(gxy, words):
    t = truth("v6-aes128-sha1-modp1024")
    d, _ = run("v6-aes128-sha1-modp1024", [KeyEntry(source="t", psk=t["psk"].encode(),
                                                     dh_shared=bytes.fromhex(gxy))])
    (st,) = d.decryptor.states.values()
    assert st.keys is None and words in st.key_error and "group 2" in st.key_error
    assert d.decryptor.key_problems() == [st.key_error]


def test_a_dh_shared_without_its_leading_zero_bytes_is_padded():
    """g^xy printed as a number loses leading zeros; RFC 2409 §5 uses it padded to the group's length."""
    grp = dhgroups.group(2)
    peer = dhgroups.public_value(grp, hashlib.sha256(b"peer").digest())
    gxy = next(g for g in (dhgroups.shared_secret(grp, hashlib.sha256(b"%d" % i).digest(), peer)
                           for i in range(5000)) if g[0] == 0 and g[1] != 0)
    assert dhgroups.check_shared_secret(grp, gxy.lstrip(b"\0")) == gxy == dhgroups.check_shared_secret(grp, gxy)


def test_cli_exit_codes_for_unusable_key_material(tmp_path):
    case = CAPTURES / "v6-aes128-sha1-modp1024"
    t = truth("v6-aes128-sha1-modp1024")
    short = _cli("dissect", str(case / "capture.pcap"), "--psk", t["psk"], "--dh-shared", "0011")
    assert short.returncode == 1 and "cut short" in short.stdout and "MM6" in short.stdout
    other = _cli("dissect", str(case / "capture.pcap"), "--keys", str(CAPTURES / "v6-aggressive" /
                                                                         "ikev1_decryption_table"))
    assert other.returncode == 1 and "matches no IKE SA" in other.stdout
    wrong = _cli("dissect", str(case / "capture.pcap"), "--psk", "wrong", "--dh-shared", t["g_xy"])
    assert wrong.returncode == 0 and MISMATCH in wrong.stdout  # a verdict, not an error
    lacking = _cli("keys", str(case / "capture.pcap"), "--psk", t["psk"], "--json")
    row = json.loads(lacking.stdout)
    assert lacking.returncode == 0 and row["verdict"] is None and "--dh-private or --dh-shared" in row["missing"]


def test_readme_keys_file_examples_parse():
    """Every TOML keys-file example in the README is a valid keys file (the parser's own checks)."""
    import re
    from dissect.keysources import parse_toml_keys
    blocks = re.findall(r"```toml\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert blocks
    for block in blocks:
        entries = parse_toml_keys(block, "README.md")
        assert entries and all(e.psk or e.dh_shared or e.dh_private for e in entries)
    qm = [q for e in parse_toml_keys(blocks[0], "README.md") for q in e.quick_modes]
    assert [q.message_id for q in qm] == [1371333358]


@pytest.mark.parametrize("group_number", [2, 14, 19, 28])
def test_dh_private_of_either_side_gives_g_xy(group_number):
    """--dh-private: g^x is computed and compared with both KE payloads to know whose value it is."""
    from dissect.decrypt import Decryptor, SaState
    grp = dhgroups.group(group_number)
    x_i, x_r = hashlib.sha256(b"initiator").digest()[:20], hashlib.sha256(b"responder").digest()[:20]
    g_xi, g_xr = dhgroups.public_value(grp, x_i), dhgroups.public_value(grp, x_r)
    want = dhgroups.shared_secret(grp, x_i, g_xr)
    for private in (x_i, x_r):
        st = SaState(b"\1" * 8, KeyEntry(source="t", dh_private=private), g_xi=g_xi, g_xr=g_xr)
        assert Decryptor([])._gxy(st, group_number) == want and st.key_error is None
    stranger = SaState(b"\1" * 8, KeyEntry(source="t", dh_private=b"\7" * 20), g_xi=g_xi, g_xr=g_xr)
    assert Decryptor([])._gxy(stranger, group_number) is None
    assert "belongs to neither peer" in stranger.key_error


def test_transaction_exchanges_decrypt_to_what_strongswan_logged():
    """XAUTH and mode-config (exchange type 6) in the v4-xauth-modecfg lab case: every Transaction
    message decrypts to the plaintext and padding strongSwan logged, its HASH verifies, and its
    attributes are the logged ones (user name, password, status, the pool address)."""
    t = truth("v4-xauth-modecfg")
    d, pkts = run("v4-xauth-modecfg", load_key_file(str(CAPTURES / "v4-xauth-modecfg" / "left.log")))
    by_frame = {p.frame: p for p in pkts}
    assert len(t["transaction_exchanges"]) == 6
    for x in t["transaction_exchanges"]:
        m = by_frame[x["frame"]].isakmp
        assert m.header.exchange_type == 6 and m.header.message_id == x["message_id"]
        assert m.decrypted and m.plaintext == bytes.fromhex(x["plaintext"] + x["padding"])
        assert m.padding == len(x["padding"]) // 2 and m.hash_check == "HASH verified"
        (attr,) = [p for p in m.payloads if p.short == "ATTR"]
        (cp,) = x["cp"]
        assert attr.cfg_type == cp["type"] and attr.identifier == cp["identifier"]
        assert [(a.type, "TV" if a.tv else "TLV", a.raw.hex()) for a in attr.attributes] == \
               [(a["type"], a["format"], a["value"]) for a in cp["attributes"]], x["frame"]
    (st,) = d.decryptor.states.values()
    assert st.verdict == KEYS_VERIFIED and st.failed == 0


def _log_line(t, side, value):
    """The line truth.json gives for a value a side's log holds ("left.log line 1697 'SKEYID'") -> 1697."""
    sources = t["ike_sas"][0]["sources" if side == "left" else "responder_side_sources"]
    return int(sources[value].split()[2])


@pytest.mark.parametrize("order", [("left", "right"), ("right", "left")])
def test_both_peers_logs_decrypt_each_side_with_its_own_keys(order):
    """Two logs, two key sets for one IKE SA (the peers' PSKs differ): the initiator's MM5 decrypts with the
    initiator's keys, the responder's INFO with the responder's, and the verdict names both logs."""
    case = CAPTURES / "v6-psk-mismatch"
    t = truth("v6-psk-mismatch")
    sa = t["ike_sas"][0]
    d, pkts = run("v6-psk-mismatch", [e for side in order for e in load_key_file(str(case / f"{side}.log"))])
    (st,) = d.decryptor.states.values()
    assert_keys_equal_truth(st, sa)  # the initiator's keys (truth's own)
    theirs, _ = st.own_keys["responder"]
    assert (theirs.skeyid, theirs.enc_key) == (bytes.fromhex(sa["responder_side_keys"]["SKEYID"]),
                                              bytes.fromhex(sa["responder_side_keys"]["enc_key"]))
    frames = {p.frame: p.isakmp for p in pkts if p.isakmp is not None}
    for f in t["frames"]["MM5"] + t["frames"]["MM5(retransmit)"]:
        assert frames[f].decrypted and frames[f].hash_check == "HASH_I verified"
    for f in t["frames"]["INFO"]:
        assert frames[f].decrypted and frames[f].hash_check == "HASH(1) verified"
        assert [p.notify_name for p in frames[f].payloads if p.type == 11] == ["PAYLOAD-MALFORMED"]  # N(PLD_MAL)
    assert (st.decrypted, st.failed) == (len(t["frames"]["MM5"] + t["frames"]["MM5(retransmit)"] + t["frames"]["INFO"]), 0)
    left, right = (f"{case / 'left.log'}:{_log_line(t, 'left', 'g_xy')}",
                   f"{case / 'right.log'}:{_log_line(t, 'right', 'g_xy')}")
    assert st.evidence.keyed_by == {"initiator": (left, "MM5"), "responder": (right, "INFO")}
    assert st.verdict == PEERS_DIFFER and left in st.detail and right in st.detail
    assert "HASH_I verified" in st.detail and "HASH(1) verified" in st.detail and st.conflict is None


@pytest.mark.parametrize("order", [("left", "right"), ("right", "left")])
@pytest.mark.parametrize("whose", ["initiator", "responder", None])
def test_both_peers_logs_and_a_psk_name_the_peer_whose_psk_it_is(order, whose):
    """Both peers' logs and a PSK: one peer's PSK gives the SKEYID of that peer's log (whichever log is read
    first), so the verdict stays "the peers' PSKs differ" and names that log; a PSK of neither peer gives
    neither SKEYID: HASH_I mismatch, naming both logs."""
    case = CAPTURES / "v6-psk-mismatch"
    t = truth("v6-psk-mismatch")
    psk = t[f"psk_{whose}"].encode() if whose else b"neither-peers-psk"
    entries = [e for side in order for e in load_key_file(str(case / f"{side}.log"))]
    d, _ = run("v6-psk-mismatch", entries + [KeyEntry(source="command line", explicit=True, psk=psk)])
    (st,) = d.decryptor.states.values()
    left, right = (f"{case / 'left.log'}:{_log_line(t, 'left', 'g_xy')}",
                   f"{case / 'right.log'}:{_log_line(t, 'right', 'g_xy')}")
    if whose is None:
        assert st.verdict == MISMATCH and left in st.detail and right in st.detail, st.detail
    else:
        own = left if whose == "initiator" else right
        assert st.verdict == PEERS_DIFFER, st.detail
        assert st.detail.startswith(f"this PSK gives the SKEYID that {own} holds"), st.detail


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("whose", ["initiator", "responder", None])
def test_one_peers_log_and_a_psk_name_the_peer_whose_psk_it_is(side, whose):
    """One peer's log and a PSK: its own PSK gives the SKEYID of its log; the other peer's PSK does not, but
    with the g^xy the log holds it gives that peer's keys, which decrypt that peer's messages and verify their
    hash: either way the peers' PSKs differ, and the verdict says whose PSK was given.  A PSK of neither: a
    HASH_I mismatch."""
    case = CAPTURES / "v6-psk-mismatch"
    t = truth("v6-psk-mismatch")
    psk = t[f"psk_{whose}"].encode() if whose else b"neither-peers-psk"
    entries = load_key_file(str(case / f"{side}.log"))
    d, _ = run("v6-psk-mismatch", entries + [KeyEntry(source="command line", explicit=True, psk=psk)])
    (st,) = d.decryptor.states.values()
    own = "initiator" if side == "left" else "responder"
    if whose is None:
        assert st.verdict == MISMATCH, st.detail
    elif whose == own:
        assert st.verdict == PEERS_DIFFER and st.detail.startswith("this PSK gives the SKEYID"), st.detail
    else:
        assert st.verdict == PEERS_DIFFER, st.detail
        hashed = "HASH_I" if whose == "initiator" else "HASH(1)"
        assert f"it decrypts the {whose}'s messages with the DH secret that log holds ({hashed} verified): it is " \
            f"the {whose}'s PSK" in st.detail, st.detail


def test_a_cipher_key_alone_gives_no_psk_verdict():
    """Wireshark's table holds Ka only: MM5 decrypts, no hash can be checked, the responder's INFO do not
    decrypt; the capture shows MM5 resent with no MM6: said as a likely PSK mismatch, with no verdict."""
    t = truth("v6-psk-mismatch")
    d, pkts = run("v6-psk-mismatch", load_key_file(str(CAPTURES / "v6-psk-mismatch" / "ikev1_decryption_table")))
    (st,) = d.decryptor.states.values()
    frames = {p.frame: p.isakmp for p in pkts if p.isakmp is not None}
    oracle = t["oracle"]["per_frame"]["5:MM5"]["decrypted_payload_types"]
    assert ",".join(str(p.type) for p in frames[5].payloads) == oracle and not frames[5].hash_check
    assert not any(frames[f].decrypted for f in t["frames"]["INFO"])
    assert st.verdict is None and "HASH_I" not in st.detail
    assert st.detail.startswith("MM5 sent again with no MM6") and "likely a PSK mismatch" in st.detail
    assert "--psk" in st.detail

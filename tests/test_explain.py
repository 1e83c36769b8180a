"""Explanations of IKEv1 messages (issue 6 §4), from captures and from logs alone.

Truth: the lab's ``truth.json`` (roles per frame, addresses, protected networks, Ni/Nr and g^x
values, ESP SPIs with their direction, the NAT-T note), what strongSwan logged for the same
messages (vendor IDs it sent, its ``generating``/``parsed`` lines), tshark's decrypted view of the
deletes, and the Cisco texts: the seed's debug blocks and the public debug samples.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import CAPTURES, SHARED, require_tshark
from correlate import meanings
from correlate.explain import Explainer, explain_events, explain_packet, role_of_events
from correlate.logparse import parse_log
from dissect.decrypt import PEERS_DIFFER
from dissect.keysources import KeyEntry, load_key_file
from dissect.pipeline import Dissector

SEED = SHARED / "seed" / "000_e6e02144db6ec5bf.txt"
SAMPLES = SHARED / "debug-samples"

IKEV1 = [p.name for p in sorted(CAPTURES.iterdir())
         if (p / "truth.json").is_file() and (p / "left.log").is_file()
         and json.loads((p / "truth.json").read_text()).get("ike_version") == 1]


def truth(case: str) -> dict:
    return json.loads((CAPTURES / case / "truth.json").read_text())


def explained(case: str, keys=None, side: str | None = "left"):
    """(packets, explanations) of a lab case; ``keys`` KeyEntry list, else one charon log's keys."""
    if keys is None and side:
        keys = load_key_file(str(CAPTURES / case / f"{side}.log"))
    d = Dissector(str(CAPTURES / case / "capture.pcap"), keys=keys or None)
    pkts = [p for p in d.packets() if p.isakmp is not None]
    ex = Explainer(d.decryptor.states if d.decryptor else None)
    return pkts, [ex.explain(p) for p in pkts]


def first(pkts, exps, role):
    return next(e for p, e in zip(pkts, exps) if p.isakmp.role == role)


def text(exp) -> str:
    return "\n".join(exp.text())


# --------------------------------------------------------------------------
# Captures

@pytest.mark.parametrize("case", IKEV1)
def test_every_message_is_explained_with_its_role(case):
    t = truth(case)
    pkts, exps = explained(case)
    by_frame = {f["frame"]: f["label"] for f in t["frame_table"] if f.get("label")}
    assert pkts
    for p, e in zip(pkts, exps):
        assert e.frame == p.frame and e.role == p.isakmp.role and e.lines
        label = by_frame[p.frame].replace(" (retransmit)", "")
        assert e.role == label or (label.startswith("INFO") and e.role == "INFO")
        assert e.headline.startswith(e.role)
        json.dumps(e.to_dict())  # JSON-ready


def test_main_mode_contents_match_the_lab():
    """v6-aes128-sha1-modp1024, decrypted with the initiator's log: the proposal, the choice, the
    KE and nonce sizes (truth g^xi/g^xr, Ni/Nr), the identities, the SPIs and proxy IDs."""
    t = truth("v6-aes128-sha1-modp1024")
    pkts, exps = explained("v6-aes128-sha1-modp1024")
    mm1, mm2 = first(pkts, exps, "MM1"), first(pkts, exps, "MM2")
    assert "offers 1 proposal with 1 transform:" in mm1.lines
    assert mm1.lines[1] == ("  transform 1: AES-CBC-128, hash SHA, Pre-shared key, DH group 2 "
                            "(Alternate 1024-bit MODP group), lifetime 86400 s")
    assert mm2.lines[0].startswith("chosen policy: AES-CBC-128, hash SHA, Pre-shared key, DH group 2")
    assert "that is transform 1 of the 1 offered in frame 1" in mm2.lines
    mm3, mm4 = first(pkts, exps, "MM3"), first(pkts, exps, "MM4")
    assert (mm3.facts["ke_length"], mm4.facts["ke_length"]) == (len(bytes.fromhex(t["g_xi"])),
                                                                len(bytes.fromhex(t["g_xr"])))
    assert mm3.facts["ke_group"] == t["dh_group_number"] == 2
    assert "(as the group requires)" in text(mm3)
    assert (mm3.facts["nonce_length"], mm4.facts["nonce_length"]) == (len(bytes.fromhex(t["Ni"])),
                                                                      len(bytes.fromhex(t["Nr"])))
    mm5, mm6 = first(pkts, exps, "MM5"), first(pkts, exps, "MM6")
    assert mm5.facts["identity"]["value"] == t["initiator"]["addr"]
    assert mm6.facts["identity"]["value"] == t["responder"]["addr"]
    assert mm5.facts["hash_check"] == "HASH_I verified" and mm6.facts["hash_check"] == "HASH_R verified"
    assert any(line.startswith("notify INITIAL-CONTACT: ") for line in mm5.lines)
    qm1, qm2 = first(pkts, exps, "QM1"), first(pkts, exps, "QM2")
    spis = {int(s["spi"], 16): s for s in t["esp_sas"]}
    i_in = int(qm1.facts["spis"][0], 16)  # the initiator's inbound SA: traffic from the responder
    r_in = int(qm2.facts["spis"][0], 16)
    assert spis[i_in]["dst"] == t["initiator"]["addr"] and spis[r_in]["dst"] == t["responder"]["addr"]
    assert qm1.facts["proxy_ids"]["local"] == t["initiator"]["protected_net"]
    assert qm1.facts["proxy_ids"]["remote"] == t["responder"]["protected_net"]
    assert qm1.facts["pfs_group"] is None and "no PFS" in text(qm1)
    assert f"that is transform 1 of the 1 offered in frame {t['frames']['QM1'][0]}" in qm2.lines
    qm3 = first(pkts, exps, "QM3")
    assert qm3.facts["ipsec_sas"] == {"initiator_to_responder": r_in, "responder_to_initiator": i_in}


@pytest.mark.parametrize("case", [c for c in IKEV1 if "port500" not in c])
def test_nat_d_shows_the_forced_encapsulation(case):
    """The lab's libipsec makes strongSwan send fake NAT-D hashes (truth ``nat_t_note``): the hash
    of each sender's own address is missing, the destination's is right; the peers then use 4500."""
    t = truth(case)
    assert "fake NAT-D" in t["nat_t_note"]
    pkts, exps = explained(case, side=None)
    checked = [e for e in exps if "nat" in e.facts and "source_matches" in e.facts["nat"]]
    assert checked
    for e in checked:
        assert e.facts["nat"] == {"hashes": 2, "destination_matches": True, "source_matches": False,
                                  "hash": e.facts["nat"]["hash"], "nat_detected": True}
    assert any(p.datagram.dport == 4500 for p in pkts)


def test_nat_d_without_nat():
    """-port500: kernel-netlink, no forced encapsulation: the hashes match, IKE stays on 500."""
    pkts, exps = explained("v6-aes128-sha1-modp1024-port500", side=None)
    checked = [e for e in exps if "nat" in e.facts]
    assert [e.role for e in checked] == ["MM3", "MM4"]
    assert all(e.facts["nat"]["nat_detected"] is False for e in checked)
    assert all(p.datagram.sport == 500 == p.datagram.dport for p in pkts)


@pytest.mark.parametrize("case", IKEV1)
def test_vendor_ids_name_what_strongswan_says_it_sent(case):
    """Each vendor ID the initiator's charon logged as sent (``sending DPD vendor ID``) is named, by
    its capability, in the explanation of MM1/AM1."""
    events = parse_log(str(CAPTURES / case / "left.log")).events
    sent = {e.detail["vendor_id"] for e in events if e.detail.get("vendor_id") and e.direction == "out"}
    pkts, exps = explained(case, side=None)
    opener = first(pkts, exps, "AM1" if truth(case)["exchange_mode"] == "aggressive" else "MM1")
    features = {v["feature"] for v in opener.facts["vendor_ids"]}
    assert sent and {meanings.vendor_feature(v) for v in sent} == features
    assert {"DPD (Dead Peer Detection, RFC 3706)", "NAT-T (NAT traversal, RFC 3947 or its drafts)",
            "XAUTH (extended authentication)", "IKE fragmentation"} == features


def test_pfs_group_and_its_ke():
    t = truth("v6-aes256-sha256-modp2048-pfs14")
    pkts, exps = explained("v6-aes256-sha256-modp2048-pfs14")
    for role in ("QM1", "QM2"):
        e = first(pkts, exps, role)
        assert e.facts["pfs_group"] == 14 == t["dh_group_number"]
        assert e.facts["ke_length"] == 256 and e.facts["ke_group"] == 14
        assert "KE for PFS: 256 bytes of DH group 14 (2048 bit MODP group) (as the group requires)" in e.lines


def test_without_keys_an_encrypted_message_says_what_it_would_carry():
    t = truth("v6-aes128-sha1-modp1024")
    pkts, exps = explained("v6-aes128-sha1-modp1024", side=None)
    mm5 = first(pkts, exps, "MM5")
    isakmp_len = next(f["isakmp_len"] for f in t["frame_table"] if f.get("label") == "MM5")
    assert mm5.facts["encrypted_length"] == isakmp_len - 28
    assert mm5.lines[0] == (f"encrypted: {isakmp_len - 28} bytes, first payload ID; without the keys only its "
                            "size and role can be seen")
    assert mm5.lines[1].startswith("normally carries the initiator's ID and HASH_I")
    assert mm5.config is None


def test_psk_mismatch_without_keys():
    """MM5 sent three times, each answered by an encrypted Informational and never by MM6."""
    pkts, exps = explained("v6-psk-mismatch", side=None)
    infos = [e for p, e in zip(pkts, exps) if p.isakmp.role == "INFO"]
    assert len(infos) == 3
    assert all(e.facts.get("answers_mm5_without_mm6") for e in infos)
    assert all("suspect a pre-shared key mismatch" in text(e) for e in infos)
    assert [e.facts.get("retransmission_of") for p, e in zip(pkts, exps) if p.isakmp.role == "MM5"] == [None, 5, 5]


def test_psk_mismatch_with_the_responders_keys():
    """With the responder's keys its answers decrypt (PAYLOAD-MALFORMED: it could not read MM5) and
    MM5 does not: explained as a HASH failure, a pre-shared key mismatch."""
    pkts, exps = explained("v6-psk-mismatch", side="right")
    mm5 = first(pkts, exps, "MM5")
    assert mm5.facts["decrypts"] is False and mm5.facts["key_verdict"] == PEERS_DIFFER
    assert "a different pre-shared key on the two peers" in text(mm5)
    assert f"IKE SA verdict: {PEERS_DIFFER}" in text(mm5)
    info = first(pkts, exps, "INFO")
    assert [n["name"] for n in info.facts["notifies"]] == ["PAYLOAD-MALFORMED"]
    assert "a pre-shared key mismatch" in text(info)


def test_psk_mismatch_with_the_initiators_psk():
    """With the initiator's PSK and g^xy, MM5 verifies (the initiator's own key) but the SA's verdict
    says the responder holds another key."""
    t = truth("v6-psk-mismatch")
    keys = [KeyEntry(source="test", icookie=bytes.fromhex(t["initiator_cookie"]),
                     psk=t["psk_initiator"].encode(), dh_shared=bytes.fromhex(t["g_xy"]))]
    pkts, exps = explained("v6-psk-mismatch", keys=keys)
    mm5 = first(pkts, exps, "MM5")
    assert mm5.facts["hash_check"] == "HASH_I verified"
    assert mm5.facts["key_verdict"] == PEERS_DIFFER  # HASH_I verifies: not a "HASH_I mismatch"
    assert f"IKE SA verdict: {PEERS_DIFFER}" in text(mm5) and "IKE SA verdict: HASH_I mismatch" not in text(mm5)


def test_aggressive_mode_hash_r_from_the_psk_alone():
    """Aggressive Mode: HASH_R travels in the clear, so the PSK alone checks it (RFC 2409 §5)."""
    t = truth("v6-aggressive")
    keys = [KeyEntry(source="test", psk=t["psk"].encode())]
    pkts, exps = explained("v6-aggressive", keys=keys)
    am1, am2 = first(pkts, exps, "AM1"), first(pkts, exps, "AM2")
    assert am1.facts["identity"]["value"] == t["initiator"]["addr"]
    assert am1.facts["ke_group"] == 2 and am1.facts["ke_length"] == len(bytes.fromhex(t["g_xi"]))
    assert am2.facts["hash_check"] == "HASH_R verified"
    assert "HASH_R verified with the keys given" in text(am2)
    assert am2.lines[0].startswith("chosen policy: AES-CBC-128")
    am3 = first(pkts, exps, "AM3")
    assert am3.facts["encrypted"] is True  # no DH secret: AM3 stays encrypted


def test_dpd_and_deletes():
    """v4-rekey-dpd: each R-U-THERE is answered by an R-U-THERE-ACK with the same sequence number;
    the deletes name the ESP SPIs of the lab's SAs and the IKE SAs' cookie pairs."""
    t = truth("v4-rekey-dpd")
    pkts, exps = explained("v4-rekey-dpd")
    dpd = [(n["name"], n["sequence"]) for e in exps for n in e.facts.get("notifies", ())
           if n["name"].startswith("R-U-THERE")]
    asks = [s for name, s in dpd if name == "R-U-THERE"]
    acks = [s for name, s in dpd if name == "R-U-THERE-ACK"]
    assert asks and asks == acks
    assert all(f"sequence {s}" in text(e) for e in exps for n in e.facts.get("notifies", ())
               if (s := n.get("sequence")) is not None)
    offered = {s for e in exps if e.role == "QM1" for s in e.facts["spis"]}  # each QM initiator's inbound SPI
    esp_sas = {s["spi"].removeprefix("0x"): s for s in t["esp_sas"]}
    esp_deleted = 0
    for p, e in zip(pkts, exps):
        for d in e.facts.get("deletes", ()):
            for spi in d["spis"]:
                if d["protocol"] == "IPSEC_ESP":  # the sender's inbound SA: the SPI it chose in QM1
                    assert f"0x{spi}" in offered
                    assert spi not in esp_sas or esp_sas[spi]["dst"] == p.datagram.src
                    esp_deleted += 1
                else:
                    assert spi in {sa["initiator_cookie"] + sa["responder_cookie"] for sa in t["ike_sas"]}
    assert esp_deleted


def test_deletes_equal_tshark():
    require_tshark()
    from tshark_oracle import tshark_frames
    t = truth("v4-rekey-dpd")
    frames = tshark_frames(CAPTURES / "v4-rekey-dpd" / "capture.pcap",
                           ikev1_keys=[(sa["initiator_cookie"], sa["enc_key"]) for sa in t["ike_sas"]])
    pkts, exps = explained("v4-rekey-dpd")
    compared = 0
    for p, e in zip(pkts, exps):
        ours = [s for d in e.facts.get("deletes", ()) for s in d["spis"]]
        dec = frames[p.frame].decrypted[0] if frames[p.frame].decrypted else None
        theirs = [s.replace(":", "") for v in (dec or {}).get("payloads", ()) if v["type"] == 12
                  for s in v["decoded"]["spis"]]
        assert ours == theirs, p.frame
        compared += bool(ours)
    assert compared


def test_no_proposal_chosen_after_qm2():
    """-port500: the initiator cannot install the SAs and answers QM2 with NO-PROPOSAL-CHOSEN."""
    pkts, exps = explained("v6-aes128-sha1-modp1024-port500")
    info = first(pkts, exps, "INFO")
    assert [n["name"] for n in info.facts["notifies"]] == ["NO-PROPOSAL-CHOSEN"]
    assert "the SA cannot be installed" in text(info)


def test_xauth_and_mode_config_attributes():
    pkts, exps = explained("v4-xauth-modecfg")
    t = truth("v4-xauth-modecfg")
    trans = [e for p, e in zip(pkts, exps) if p.isakmp.role == "TRANSACTION"]
    assert len(trans) == len(t["frames"]["TRANSACTION"]) == 6
    all_text = "\n".join(text(e) for e in trans)
    assert "XAUTH_USER_PASSWORD=********" in all_text and "14 bytes" not in all_text
    assert "XAUTH_STATUS=Success — XAUTH succeeded" in all_text
    assert "INTERNAL_IP4_ADDRESS=10.99.0.1" in all_text
    assert t["psk_initiator"] not in all_text


def test_odd_input_is_explained_not_raised():
    """A message explained without its SA's context, an ESP packet, a malformed message."""
    d = Dissector(str(CAPTURES / "v6-aes128-sha1-modp1024" / "capture.pcap"))
    pkts = list(d.packets())
    mm3 = next(p for p in pkts if p.isakmp is not None and p.isakmp.role == "MM3")
    e = explain_packet(mm3)  # no context: the hash algorithm for NAT-D is unknown
    assert "comparing them with the addresses needs the negotiated hash algorithm" in text(e)
    esp = next(p for p in pkts if p.esp is not None)
    assert explain_packet(esp).role == "ESP"
    from dissect.isakmp import decode_message
    from dissect.model import Packet
    bad = Packet(mm3.datagram, isakmp=decode_message(b"\x01" * 10))
    assert explain_packet(bad).role == "MALFORMED"


# --------------------------------------------------------------------------
# Log-only

@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("case", IKEV1)
def test_roles_from_charon_lines(case, side):
    """The role of each message, from the charon line that generated or parsed it (truth: the
    frame table's label and that side's log line)."""
    t = truth(case)
    events = {e.record.line: e for e in parse_log(str(CAPTURES / case / f"{side}.log")).events
              if e.kind == "payload"}
    checked = 0
    for f in t["frame_table"]:
        line = f.get(f"{side}_log_line")
        if not f.get("label") or line not in events:
            continue
        want = f["label"].replace(" (retransmit)", "")
        assert role_of_events([events[line]]) == ("INFO" if want.startswith("INFO") else want), (f["frame"], want)
        checked += 1
    assert checked


def _seed_blocks():
    """The seed's debug blocks (between ``` fences) as event lists, by their first line."""
    if not SEED.is_file():
        pytest.skip(f"the seed document is not at {SEED}")
    events = parse_log(str(SEED)).events
    lines = SEED.read_text(encoding="utf-8").split("\n")
    fences = [i for i, line in enumerate(lines, 1) if line.strip().startswith("```")]
    return {a: [e for e in events if a < e.record.line < b] for a, b in zip(fences[::2], fences[1::2])}


def test_seed_blocks_are_explained():
    """The seed's blocks, each one message's debug lines: the responder's QM1 (SA proposal accepted,
    proxies ::/0), QM3 (``QM done``), the initiator's MM4 (KE, NONCE, vendor IDs), MM5 (sent),
    MM6 (authenticated) and QM3 with both IPsec SAs created."""
    blocks = _seed_blocks()
    qm1 = explain_events(blocks[163])
    assert qm1.role == "QM1"
    assert "received from [2001:db8::2]:500" in qm1.lines
    assert "payloads processed: HASH, SA, NONCE, ID, ID" in qm1.lines
    assert "IPsec transform accepted: ESP AES-128 with HMAC-SHA, Tunnel, no PFS, lifetime 3600 s / 4608000 KB" \
        in qm1.lines
    assert qm1.facts["proxy_ids"]["any_to_any"] is True
    assert qm1.config.vti is True
    mm4 = explain_events(blocks[470])
    assert mm4.role == "MM4" and "payloads processed: KE, NONCE, vendor id, vendor id, vendor id" in mm4.lines
    # the seed: "additional VIDs (DPD, Unity support); knowing it talks to another IOS device"
    assert mm4.facts["vendor_ids"] == ["Cisco Unity (remote-access client extensions)",
                                       "DPD (Dead Peer Detection, RFC 3706)", "a Cisco IOS peer"]
    mm5 = explain_events(blocks[503])
    assert mm5.role == "MM5" and "sent to [2001:db8::3]:500" in mm5.lines
    assert mm5.facts["identity"]["address"] == "2001:db8::2"
    assert [n["name"] for n in mm5.facts["notifies"]] == ["INITIAL-CONTACT"]
    mm6 = explain_events(blocks[593])
    assert mm6.role == "MM6" and mm6.facts["authenticated"] is True
    assert "payloads processed: ID, HASH" in mm6.lines
    qm3r = explain_events(blocks[346])
    assert qm3r.role == "QM3" and "node 1371333358 deleted: QM done (await)" in qm3r.lines
    qm3i = explain_events(blocks[787])
    assert qm3i.role == "QM3"
    assert [s["spi"] for s in qm3i.facts["ipsec_sas"]] == [0x45F16A9A, 0x221A7153]
    # (sa_dest: R1 itself for its inbound SA; the classic form does not say which SA is inbound)
    assert ("IPsec SA created: SPI 0x45F16A9A, destination 2001:db8::2, esp-aes esp-sha-hmac, "
            "lifetime 4608000 KB / 3439 s") in qm3i.lines


def _sample(name: str):
    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"debug sample not at {path}")
    return parse_log(str(path)).events


def test_sample_invalid_cookie():
    """ASA 8.0.4 stuck at MM_WAIT_MSG4: the peer's unencrypted INVALID_COOKIE notify, named and explained."""
    events = _sample("13-asa804-syslog-year-mm-wait-msg4-invalid-cookie.txt")
    e = explain_events(events)
    assert [n["name"] for n in e.facts["notifies"]] == ["INVALID-COOKIE"]
    assert "no pre-shared key or a wrong peer address" in text(e)
    assert e.facts["vendor_ids"]  # the ASA's Unity, XAUTH, fragmentation VIDs
    sa_packet = [x for x in events if x.kind == "packet" and x.payloads[:1] == ["SA"]]
    # the ASA's first line sends an SA payload under message ID 0: the log-only timeline (the one source
    # of roles from logs) makes its sender the initiator, MM1, as the whole log's timeline does
    assert explain_events(sa_packet[:1]).headline.startswith("MM1: ")
    assert explain_events(sa_packet[:1], role="").headline.startswith("MM1 or MM2")  # a role nobody knows


def test_sample_proposal_not_chosen_and_responder_lifetime():
    """IOS 15 initiator: RESPONDER_LIFETIME after MM6, then PROPOSAL_NOT_CHOSEN for its Quick Mode
    (the PFS mismatch of the sample's author); the phase 1 policy checked against priority 3 then 5."""
    events = _sample("09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt")
    e = explain_events(events)
    names = [n["name"] for n in e.facts["notifies"] if n["direction"] == "in"]
    assert names == ["RESPONDER-LIFETIME", "NO-PROPOSAL-CHOSEN"]
    assert "PFS group" in text(e)  # the meaning names the PFS group among the Quick Mode causes
    assert ("phase 1 transform accepted against local policy 5: 3DES-CBC, hash SHA, Pre-shared key, DH group 2 "
            "(Alternate 1024-bit MODP group), lifetime 86400 s") in e.lines
    # policy 3 failed, policy 5 was accepted on the next lines: a policy check, not an error
    assert ("policy check: Encryption algorithm offered does not match policy! (IOS tries its next policy)"
            in e.lines)
    assert not [line for line in e.lines if line.startswith("error: ") and "policy" in line]


def test_notify_names_from_logs():
    assert meanings.notify_name("PROPOSAL_NOT_CHOSEN") == "NO-PROPOSAL-CHOSEN"
    assert meanings.notify_name("PLD_MAL") == "PAYLOAD-MALFORMED"
    assert meanings.notify_name("INVALID_COOKIE") == "INVALID-COOKIE"
    assert meanings.notify_name("RESPONDER_LIFETIME") == "RESPONDER-LIFETIME"
    from dissect import registry
    missing = [n for n in meanings.NOTIFY_MEANINGS if n not in registry.NOTIFY_TYPES_V1.values()]
    assert not missing  # every meaning is keyed by a registry name


def test_ios_to_ios_main_mode_public_capture():
    """Two IOS routers (suricata-verify ikev1-isakmp-main-mode.pcap, the same file as Zeek's trace;
    MANIFEST: Zeek's ipsec.log says Encryption 7, Key Length 128, Hash 2, Group 2, Authentication 1;
    suricata's test says 20-byte nonces and RFC 3947's vendor ID): no NAT, IOS vendor IDs."""
    from conftest import require_public
    path = require_public() / "suricata-verify" / "ikev1-rules" / "ikev1-isakmp-main-mode.pcap"
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    d = Dissector(str(path))
    pkts = [p for p in d.packets() if p.isakmp is not None]
    ex = Explainer()
    exps = [ex.explain(p) for p in pkts]
    assert [e.role for e in exps] == ["MM1", "MM2", "MM3", "MM4", "MM5", "MM6", "QM1", "QM2", "QM3"]
    mm1 = exps[0]
    pol = mm1.config.policies[0]
    assert (pol.encryption, pol.key_length, pol.hash, pol.group, pol.authentication, pol.lifetime) == \
        (7, 128, 2, 2, 1, 86400)
    assert mm1.facts["vendor_ids"][0]["hex"] == "4a131c81070358455c5728f20e95452f"
    assert (exps[2].facts["nonce_length"], exps[3].facts["nonce_length"]) == (20, 20)
    for e in exps[2:4]:
        assert e.facts["nat"]["nat_detected"] is False
        assert "a Cisco IOS peer" in {v["feature"] for v in e.facts["vendor_ids"]}
    assert all(e.facts.get("encrypted") for e in exps[4:])


@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("case", IKEV1)
def test_role_of_events_is_the_log_only_timelines(case, side):
    """role_of_events is the log-only timeline's role (correlate.logonly, one source): for every message
    of a charon log that has its generating/parsed line, the role its own lines give is the role the
    timeline of the whole log gives it; the lines of several messages name no single role."""
    from correlate.logonly import analyse

    log = parse_log(str(CAPTURES / case / f"{side}.log"))
    tl = analyse(log).timeline
    steps = [s for s in tl.steps if s.role and not s.implied and s.sa is not None
             and any(e.kind == "payload" and e.exchange for e in s.events)]
    assert steps
    for s in steps:
        assert role_of_events(s.events) == s.role, (s.role, s.lines[0])
    assert role_of_events([e for s in steps[:3] for e in s.events]) == ""
    assert explain_events(steps[0].events).role == steps[0].role


# --------------------------------------------------------------------------- log lines labelled as they are

def test_05_ikev2_notify_in_ikev2_terms_and_the_empty_error_line():
    """Sample 05 (IOS-XE IKEv2): NO_PROPOSAL_CHOSEN in the IKE_AUTH response is explained with IKEv2's
    configuration (no ISAKMP policy, no Quick Mode); the empty ``IKEv2-ERROR:(...):`` line after it
    (line 101) is not shown as an error."""
    events = _sample("05-iosxe16-ikev2-ipv6-initiator-auth-no-proposal-chosen.txt")
    response = [e for e in events if 94 <= e.record.line <= 101]
    e = explain_events(response, role="IKE_AUTH response")
    (notify,) = [x for x in e.lines if x.startswith("notify NO-PROPOSAL-CHOSEN")]
    assert "`crypto ikev2 proposal`" in notify and "child SA" in notify
    assert "ISAKMP" not in notify and "Quick Mode" not in notify
    assert "an IKEv2-ERROR line without a message (it follows the error notify above)" in e.lines
    assert not [x for x in e.lines if x.startswith("error:")]
    assert "errors" not in e.facts


def test_01_delete_notify_not_sent_is_no_notify():
    """Sample 01: ``ignoring request to send delete notify (no ISAKMP sa) ... for SPI 0x3EA71AED`` says a
    DELETE was not sent: no "notify DELETE"; the same SPI said twice is one line."""
    events = [x for x in _sample("01-iosxe-natt-mm-qm-responder-console-interleaved.txt") if x.record.line in (6, 24)]
    e = explain_events(events, role="")
    assert e.lines == ["DELETE notify not sent for SPI 0x3ea71aed: no IKE SA with the peer to protect it; the SA "
                       "goes locally, unannounced"]
    assert "notifies" not in e.facts


def test_09_paranoid_keepalives_is_routine():
    events = [x for x in _sample("09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt") if x.record.line == 141]
    e = explain_events(events, role="")
    assert e.lines == ["the peer does not do periodic DPD (IOS's \"paranoid\" keepalives): a routine line when an "
                       "IKE SA is deleted, not an error"]


def test_09_policy_checks_stay_errors_when_no_policy_matches():
    """The MM2 of sample 09 without its last lines (policy 5 accepted): the failed check is an error again."""
    events = _sample("09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt")
    failed = [x for x in events if x.record.line in (27, 28)]
    e = explain_events(failed, role="MM2")
    assert [x for x in e.lines if x.startswith("error: ")] == [
        "error: Encryption algorithm offered does not match policy!", "error: atts are not acceptable"]


def test_a_hash_in_the_clear_claims_no_dh_secret():
    """AM2's HASH_R verified with the PSK alone (no DH secret was given): the line says the pre-shared key
    is the same, not a DH secret; MM6's HASH_R, in a message that decrypted, proves both."""
    t = truth("v6-aggressive")
    pkts, exps = explained("v6-aggressive", keys=[KeyEntry(source="test", psk=t["psk"].encode())])
    am2 = text(first(pkts, exps, "AM2"))
    assert "HASH_R verified with the keys given" in am2 and "DH secret is involved" in am2
    assert "same pre-shared key and DH secret" not in am2
    pkts, exps = explained("v6-aes128-sha1-modp1024")  # the keys of left.log: MM6 decrypts
    assert "(same pre-shared key and DH secret: the message decrypted)" in text(first(pkts, exps, "MM6"))


def test_without_keys_the_log_lines_say_what_an_encrypted_message_carries():
    """v4-rekey-dpd without keys: charon's ``generating``/``parsed INFORMATIONAL_V1 request ... [ HASH
    N(DPD) ]`` lines, attached to the DPD frames, say what the capture cannot (RFC 3706 R-U-THERE)."""
    from correlate import timeline as T

    case = CAPTURES / "v4-rekey-dpd"
    t = truth("v4-rekey-dpd")
    tl = T.build(Dissector(str(case / "capture.pcap")), [parse_log(str(case / n)) for n in ("left.log", "right.log")])
    by_frame = {e.packet.frame: e for e in tl.entries}
    dpd = [r for r in t["frame_table"] if "N(DPD" in (r.get("left_log_summary") or "")]
    assert len(dpd) >= 2
    for row in dpd:
        exp = by_frame[row["frame"]].explanation
        said = [x["text"] for x in exp.facts["from_log"]]
        for side in ("left", "right"):
            summary = row[f"{side}_log_summary"]
            verb, exchange, kind, _mid, *listed = summary.strip(" ]").replace("[ ", "").split()
            verb = {"generating": "generated"}.get(verb, verb)
            want = (f"from the log ({side}.log:{row[side + '_log_line']}): {verb} {exchange} {kind}: "
                    f"{' '.join(listed)}")
            assert any(x.startswith(want) for x in said), (want, said)
        assert "its log lines say:" in exp.lines[0] and not any(x.startswith("normally carries") for x in exp.lines)
    # without the log lines the explanation says only what the capture shows
    assert explain_packet(by_frame[dpd[0]["frame"]].packet).lines[0].endswith("only its size and role can be seen")


def test_log_only_lines_without_a_role_say_what_they_are():
    """Log-only steps whose role no line gives: ASA's ``Pitcher: received a key acquire message`` (what
    starts MM1, sample 13 line 1) and libreswan's ``ipsec auto --add`` are local events outside any IKE
    message; the pasted ``ipsec trafficstatus`` output (sample 14) is status output, not a message."""
    from correlate.timeline import build_log_only
    samples = Path(__file__).resolve().parent / "data" / "debug-samples"
    heads = {}
    for pattern in ("13-*.txt", "14-*.txt"):
        (path,) = samples.glob(pattern)
        for e in build_log_only([parse_log(str(path), year=2012)]).entries:
            if not e.step.role or e.step.role == "status":
                heads[(pattern[:2], e.step.events[0].record.line)] = e.explanation.headline
    outside = "log lines outside any IKE message: local events (a trigger, a teardown, a state or status change)"
    assert heads == {("13", 1): outside, ("14", 11): outside,
                     ("14", 63): "status output: a snapshot of the SAs and their counters, not a message"}

"""The configuration implied by a negotiation, in IOS syntax (issue 6 §5), on real inputs.

Truth: what the lab configured on both strongSwan peers (``truth.json``: description, ``configured``,
``dh_group_number``, ESP SPIs), what tshark decodes in the same SA payloads (through pyshark,
``tshark_oracle``), what strongSwan's own log says it selected, and, for Cisco, what the routers'
debug and show output say: the seed's ``IPSEC(create_sa)`` ``sa_trans=`` and ``show crypto ipsec
sa`` transform, and the IOS 15 log of debug sample 09 (``Checking ISAKMP transform 2 against
priority 5 policy`` ... ``atts are acceptable``).
"""
from __future__ import annotations

import json

import pytest

from conftest import CAPTURES, SHARED, require_tshark
from correlate import config as C
from correlate import lognames as N
from correlate import policy as P
from correlate.explain import Explainer
from correlate.logparse import parse_log
from dissect.keysources import load_key_file
from dissect.pipeline import Dissector

SEED = SHARED / "seed" / "000_e6e02144db6ec5bf.txt"
SAMPLES = SHARED / "debug-samples"

IKEV1 = [p.name for p in sorted(CAPTURES.iterdir())
         if (p / "truth.json").is_file() and (p / "left.log").is_file()
         and json.loads((p / "truth.json").read_text()).get("ike_version") == 1]

#: The cases with a Quick Mode (v6-psk-mismatch never gets past MM5)
QM_CASES = [c for c in IKEV1 if json.loads((CAPTURES / c / "truth.json").read_text())["frames"].get("QM1")]

#: What each lab case configured (truth.json "description"), as IOS would write it: the ISAKMP
#: policy lines, the transform-set words (None: no IOS keyword for the ESP cipher) and the PFS group.
EXPECTED = {
    "v6-aes128-sha1-modp1024": (["encr aes", "hash sha", "authentication pre-share", "group 2"],
                                "esp-aes esp-sha-hmac", None),
    "v6-aes256-sha256-modp2048-pfs14": (["encr aes 256", "hash sha256", "authentication pre-share", "group 14"],
                                        "esp-aes 256 esp-sha256-hmac", 14),
    "v4-esp-3des-md5": (["encr 3des", "hash sha", "authentication pre-share", "group 2"],
                        "esp-3des esp-md5-hmac", None),
    "v6-esp-aes128-sha512-pfs": (["encr aes", "hash sha256", "group 14"], "esp-aes esp-sha512-hmac", 14),
    "v4-esp-aes128gcm8": (["encr aes", "hash sha", "group 14"], None, None),
    "v6-esp-aes256gcm12": (["encr aes 256", "hash sha256", "group 14"], None, None),
    "v4-esp-aes192ctr-sha384": (["encr aes", "hash sha256", "group 14"], None, None),
    "v6-aggressive": (["encr aes", "hash sha", "authentication pre-share", "group 2"],
                      "esp-aes esp-sha-hmac", None),
    "v4-xauth-modecfg": (["encr aes", "hash sha", "authentication pre-share", "group 2"],
                         "esp-aes esp-sha-hmac", None),
}


def truth(case: str) -> dict:
    return json.loads((CAPTURES / case / "truth.json").read_text())


def explained(case: str, keys: str | None = "left"):
    """(packets, explanations) of a lab case, decrypted with one charon log's keys."""
    d = Dissector(str(CAPTURES / case / "capture.pcap"),
                  keys=load_key_file(str(CAPTURES / case / f"{keys}.log")) if keys else None)
    pkts = [p for p in d.packets() if p.isakmp is not None]
    ex = Explainer(d.decryptor.states if d.decryptor else None)
    return pkts, [ex.explain(p) for p in pkts]


def by_role(pkts, exps, role):
    return [(p, e) for p, e in zip(pkts, exps) if p.isakmp.role == role and p.isakmp.retransmission_of is None]


def block(lines: list[str], head: str) -> list[str]:
    """The lines of one configuration block: its head line and the indented lines after it."""
    i = lines.index(head)
    out = [head]
    for line in lines[i + 1:]:
        if not line.startswith(" "):
            break
        out.append(line)
    return out


# --------------------------------------------------------------------------
# From the wire: the lab cases

@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_policy_and_transform_set_from_the_wire(case):
    policy_lines, transform, pfs = EXPECTED[case]
    t = truth(case)
    pkts, exps = explained(case)
    chooser = "AM2" if t["exchange_mode"] == "aggressive" else "MM2"
    (_, mm2), = by_role(pkts, exps, chooser)
    lines = mm2.config.lines
    policy = block(lines, "crypto isakmp policy 10")
    for want in policy_lines:
        assert f" {want}" in policy, (want, policy)
    assert f" group {t['dh_group_number']}" in policy
    assert " lifetime 86400" in policy  # strongSwan's IKE lifetime: rekey_time 77760 s + over_time 8640 s
    qm2 = by_role(pkts, exps, "QM2")[0][1]
    ts = [line for line in qm2.config.lines if "crypto ipsec transform-set" in line]
    assert len(ts) == 1
    if transform is None:  # an ESP cipher IOS cannot configure: said, and the command commented out
        assert ts[0].startswith("! crypto ipsec transform-set") and ts[0].endswith("<no IOS equivalent>")
        assert qm2.config.notes and "has no IOS keyword" in qm2.config.notes[0]
    else:
        assert ts[0].split(" ", 4)[4] == transform
    assert (f" set pfs group{pfs}" in qm2.config.lines) == (pfs is not None)
    assert " mode tunnel" in qm2.config.lines  # every lab case negotiates tunnel mode


def test_esp_ciphers_without_ios_keywords_are_named():
    """AES-GCM with 8- and 12-octet ICVs and AES-CTR: IOS has no transform-set keyword for them;
    the integrity algorithm beside AES-CTR still gets its keyword (HMAC-SHA2-384: esp-sha384-hmac)."""
    got = {}
    for case in ("v4-esp-aes128gcm8", "v6-esp-aes256gcm12", "v4-esp-aes192ctr-sha384"):
        pkts, exps = explained(case)
        (p, qm2), = by_role(pkts, exps, "QM2")
        t, = qm2.config.transforms
        got[case] = C.transform_keywords(t)
    assert got["v4-esp-aes128gcm8"] == ([], ["ESP AES-GCM_8-128 (transform 18) has no IOS keyword "
                                             "(IOS esp-gcm has a 16-octet ICV only)"])
    assert got["v6-esp-aes256gcm12"] == ([], ["ESP AES-GCM_12-256 (transform 19) has no IOS keyword "
                                              "(IOS esp-gcm has a 16-octet ICV only)"])
    assert got["v4-esp-aes192ctr-sha384"] == (["esp-sha384-hmac"],
                                              ["ESP AES-CTR-192 (transform 13) has no IOS keyword"])


def test_xauth_is_said_beside_pre_share():
    pkts, exps = explained("v4-xauth-modecfg")
    (_, mm2), = by_role(pkts, exps, "MM2")
    policy = block(mm2.config.lines, "crypto isakmp policy 10")
    assert " authentication pre-share" in policy
    assert any("XAUTH" in line for line in policy)
    assert mm2.config.policies[0].authentication == 65001  # XAUTHInitPreShared on the wire


@pytest.mark.parametrize("case", IKEV1)
def test_key_line_masks_the_psk_and_names_the_peer(case):
    t = truth(case)
    pkts, exps = explained(case)
    responder = t["responder"]["addr"]
    for p, e in zip(pkts, exps):
        if e.config is None:
            continue
        text = "\n".join(e.config.lines)
        assert t["psk_initiator"] not in text and t["psk_responder"] not in text
        if e.config.policies:
            key = [line for line in e.config.lines if line.startswith("crypto isakmp key")]
            want = (f"crypto isakmp key **** address ipv6 {responder.upper()}/128" if t["ip_version"] == 6
                    else f"crypto isakmp key **** address {responder}")
            assert key == [want]


@pytest.mark.parametrize("case", QM_CASES)
def test_proxy_ids_give_a_crypto_map_acl(case):
    """The lab's Quick Modes carry subnets (not any/any): a crypto map whose ACL mirrors them."""
    t = truth(case)
    pkts, exps = explained(case)
    qm1s = by_role(pkts, exps, "QM1")
    assert [p.frame for p, _ in qm1s] == t["frames"]["QM1"]
    for p, e in qm1s:
        assert e.config.vti is False
        local, remote = t["initiator"]["protected_net"], t["responder"]["protected_net"]
        if e.config.proxies.local != local:  # XAUTH/mode-config: the virtual IP, not the configured net
            assert case == "v4-xauth-modecfg" and e.config.proxies.local == "10.99.0.1"
            assert " permit ip host 10.99.0.1 203.0.113.0 0.0.0.255" in e.config.lines
            continue
        assert e.config.proxies.remote == remote
        if t["ip_version"] == 6:
            assert f" permit ipv6 {local.upper()} {remote.upper()}" in e.config.lines
            assert "crypto map ipv6 IKESCOPE-MAP 10 ipsec-isakmp" in e.config.lines
        else:
            assert " permit ip 198.51.100.0 0.0.0.255 203.0.113.0 0.0.0.255" in e.config.lines
            assert "crypto map IKESCOPE-MAP 10 ipsec-isakmp" in e.config.lines
        assert f" set peer {t['responder']['addr'].upper()}" in e.config.lines


def test_short_lifetimes_are_written_and_defaults_are_not():
    """v4-rekey-dpd: the initiator's IKE lifetime is 60 s and its CHILD lifetime 25 s on the wire
    (truth description); 3600 s elsewhere is the IOS default, which needs no command."""
    t = truth("v4-rekey-dpd")
    assert t["configured"]["child_life_time"] == "25s"
    pkts, exps = explained("v4-rekey-dpd")
    for _, mm1 in by_role(pkts, exps, "MM1"):
        assert " lifetime 60" in block(mm1.config.lines, "crypto isakmp policy 10")
    qm1s = by_role(pkts, exps, "QM1")
    assert [p.frame for p, _ in qm1s] == t["frames"]["QM1"]
    for _, qm1 in qm1s:
        assert " set security-association lifetime seconds 25" in qm1.config.lines
    pkts, exps = explained("v6-aes128-sha1-modp1024")
    (_, qm1), = by_role(pkts, exps, "QM1")
    assert qm1.config.transforms[0].lifetime_seconds == 3600
    assert not any("security-association lifetime" in line for line in qm1.config.lines)


# --------------------------------------------------------------------------
# Against tshark: the numbers behind the configuration

def _attributes(view_transform: dict) -> dict:
    """tshark's attribute list -> {type: value}, each life duration under -(its life type)."""
    out, life = {}, 1
    for typ, value in view_transform["attributes"]:
        if typ in (11, 1) and view_transform.get("_phase2") == (typ == 1):
            life = value
        elif typ in (12, 2) and view_transform.get("_phase2") == (typ == 2):
            out[-life] = value
        else:
            out[typ] = value
    return out


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_config_values_equal_tshark(case):
    """The chosen phase 1 policy (MM2/AM2) and the chosen IPsec transform (QM2, decrypted by tshark
    with the lab's keys) hold the attribute values Wireshark decodes."""
    require_tshark()
    from tshark_oracle import tshark_frames
    t = truth(case)
    sas = t.get("ike_sas") or [t]
    frames = tshark_frames(CAPTURES / case / "capture.pcap",
                           ikev1_keys=[(sa["initiator_cookie"], sa["enc_key"]) for sa in sas])
    pkts, exps = explained(case)
    chooser = "AM2" if t["exchange_mode"] == "aggressive" else "MM2"
    (p, e), = by_role(pkts, exps, chooser)
    sa_view = next(v for v in frames[p.frame].isakmp[0]["payloads"] if v and v.get("kind") == "SA")
    tr = sa_view["proposals"][0]["transforms"][0]
    a = _attributes({**tr, "_phase2": False})
    pol = e.config.policies[0]
    assert (pol.encryption, pol.key_length, pol.hash, pol.authentication, pol.group, pol.lifetime) == \
        (a.get(1), a.get(14), a.get(2), a.get(3), a.get(4), a.get(-1))
    (p, e), = by_role(pkts, exps, "QM2")
    dec = frames[p.frame].decrypted[0]
    assert dec["state"] == "decrypted"
    sa_view = next(v["decoded"] for v in dec["payloads"] if v["type"] == 1)
    prop = sa_view["proposals"][0]
    tr = prop["transforms"][0]
    a = _attributes({**tr, "_phase2": True})
    ts, = e.config.transforms
    assert (ts.encryption, ts.key_length, ts.integrity, ts.mode, ts.pfs_group, ts.lifetime_seconds, ts.spi) == \
        (tr["transform_id"], a.get(6), a.get(5), a.get(4), a.get(3), a.get(-1), int(prop["spi"], 16))


# --------------------------------------------------------------------------
# Log only: strongSwan, the seed (IOS 15.2), debug sample 09 (IOS 15)

@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_charon_log_implies_what_the_wire_shows(case, side):
    """The configuration from a charon log's selected proposals (log-only mode) has the policy
    algorithms and the transform set the SA payloads on the wire give."""
    events = parse_log(str(CAPTURES / case / f"{side}.log")).events
    from_log = C.implied_config_from_events(events)
    pkts, exps = explained(case)
    chooser = "AM2" if truth(case)["exchange_mode"] == "aggressive" else "MM2"
    wire = by_role(pkts, exps, chooser)[0][1].config.policies[0]
    assert from_log.policies
    for p in from_log.policies:
        assert p.chosen
        assert (p.encryption, p.key_length, p.hash, p.group) == \
            (wire.encryption, wire.key_length, wire.hash, wire.group)
    wire_t = by_role(pkts, exps, "QM2")[0][1].config.transforms[0]
    assert from_log.transforms
    for t in from_log.transforms:
        assert C.transform_keywords(t) == C.transform_keywords(wire_t)
        assert t.pfs_group == wire_t.pfs_group


def _seed_events():
    if not SEED.is_file():
        pytest.skip(f"the seed document is not at {SEED}")
    return parse_log(str(SEED)).events


def test_seed_transform_set_is_what_the_router_reports():
    """The seed's QM1 proposal lines (``transform 1, ESP_AES`` ... ``key length is 128``,
    ``atts are acceptable``) imply the transform set that the router itself names in
    ``IPSEC(create_sa)`` (``sa_trans= esp-aes esp-sha-hmac``) and ``show crypto ipsec sa``
    (``transform: esp-aes esp-sha-hmac``, ``in use settings ={Tunnel, }``, ``PFS (Y/N): N``)."""
    events = _seed_events()
    qm1 = [e for e in events if 160 <= e.record.line <= 200]  # the responder's first QM1 block
    cfg = C.implied_config_from_events(qm1)
    t, = cfg.transforms
    words = " ".join(C.transform_keywords(t)[0])
    created = [e.detail["transform"] for e in events if e.kind == "sa_created"]
    shown = [e for e in events if e.kind == "sa_status" and "transform" in e.detail]
    assert created == ["esp-aes esp-sha-hmac", "esp-aes esp-sha-hmac"]
    assert {e.detail["transform"] for e in shown} == {words} == {"esp-aes esp-sha-hmac"}
    assert {e.detail["mode"].lower() for e in shown} == {"tunnel"}
    assert "crypto ipsec transform-set ESP-AES-SHA esp-aes esp-sha-hmac" in cfg.lines
    assert " mode tunnel" in cfg.lines
    assert {e.detail["pfs"] for e in shown} == {False} and t.pfs_group is None
    assert not any(line.startswith(" set pfs") for line in cfg.lines)
    # 3600 s and 4608000 KB (0x0 0x46 0x50 0x0): the IOS defaults, so no lifetime command
    assert (t.lifetime_seconds, t.lifetime_kb) == (3600, 4608000)
    assert not any("security-association lifetime" in line for line in cfg.lines)
    # the seed's transform set, read back from the router's own text, is the same transform
    assert C.transform_keywords(P.transform_from_ios_text(created[0])) == C.transform_keywords(t)


def test_seed_proxy_ids_imply_a_vti():
    """``local_proxy= ::/0/256/0, remote_proxy= ::/0/256/0``: any to any, the VTI of the seed
    (``interface: Tunnel23``, crypto map tag ``Tunnel23-head-0``)."""
    events = _seed_events()
    cfg = C.implied_config_from_events([e for e in events if 160 <= e.record.line <= 200])
    assert cfg.vti is True and cfg.proxies.any_to_any
    assert (cfg.local, cfg.peer) == ("2001:db8::3", "2001:db8::2")
    # these lines name no interface: placeholders, said to be such
    assert cfg.lines[cfg.lines.index("interface Tunnel0"):cfg.lines.index("interface Tunnel0") + 5] == [
        "interface Tunnel0", " tunnel source 2001:DB8::3", " tunnel mode ipsec ipv6", " tunnel destination 2001:DB8::2",
        " tunnel protection ipsec profile IKESCOPE-PROFILE"]
    assert "crypto ipsec profile IKESCOPE-PROFILE" in cfg.lines and " set transform-set ESP-AES-SHA" in cfg.lines
    assert cfg.lines[-1] == "! placeholder names (no log names them): ESP-AES-SHA, IKESCOPE-PROFILE, Tunnel0"
    assert cfg.placeholders == ["ESP-AES-SHA", "IKESCOPE-PROFILE", "Tunnel0"]
    assert any(e.detail.get("interface") == "Tunnel23" for e in events if e.kind == "sa_status")
    # the whole document names the tunnel (``Line protocol on Interface Tunnel23``): it is used
    names = N.names_from_log(events)
    assert names.interface == "Tunnel23" and names.crypto_map is None  # Tunnel23-head-0 is the VTI's own map
    cfg = C.implied_config_from_events([e for e in events if 160 <= e.record.line <= 200], names=names)
    assert "interface Tunnel23" in cfg.lines and "interface Tunnel0" not in cfg.lines
    assert "Tunnel0" not in cfg.placeholders and "IKESCOPE-PROFILE" in cfg.placeholders


def test_ios_log_policy_accepted_against_priority_5():
    """Debug sample 09: transform 2 (3DES-CBC, SHA, group 2, pre-share, 0x0 0x1 0x51 0x80 = 86400 s)
    is not acceptable to policy 3 and acceptable to policy 5: the router has policy 5 so."""
    path = SAMPLES / "09-ios15-mm-ok-qm-proposal-not-chosen-pfs-console-dots.txt"
    if not path.is_file():
        pytest.skip(f"debug sample not at {path}")
    events = parse_log(str(path)).events
    policies = P.policies_from_events(events)
    assert [(p.priority, p.chosen) for p in policies] == [(None, False), (5, True)]
    cfg = C.implied_config_from_events(events)
    assert block(cfg.lines, "crypto isakmp policy 5") == [
        "crypto isakmp policy 5", " encr 3des", " hash sha", " authentication pre-share", " group 2",
        " lifetime 86400"]
    assert "crypto isakmp key **** address 198.51.100.77" in cfg.lines
    assert not any("priorities are not" in line for line in cfg.lines)  # the log gave the real priority


# --------------------------------------------------------------------------
# Pure functions on odd input

def test_unknown_algorithms_become_comments():
    p = P.IkePolicy(encryption=8, key_length=128, hash=3, authentication=2, group=31, lifetime=None)
    lines = C.isakmp_policy_lines(p, 10)
    assert lines == ["crypto isakmp policy 10",
                     " ! encryption: CAMELLIA-CBC (8) has no IOS keyword",
                     " ! hash: TIGER (3) has no IOS keyword",
                     " ! authentication: DSS signatures (2) has no IOS keyword",
                     " ! group: Curve25519 (31) has no IOS keyword",
                     " ! lifetime: not known (the IOS default is 86400 s)"]
    assert C.implied_config() is None
    t = P.IpsecTransform(integrity=2)  # attributes without an ESP transform ID (a log cut short)
    assert C.transform_set_lines(t)[:2] == ["! the ESP encryption transform is not known from this source",
                                            "! crypto ipsec transform-set ESP-SHA esp-sha-hmac <no IOS equivalent>"]


def test_ios_text_round_trip():
    for text in ("esp-aes esp-sha-hmac", "esp-aes 256 esp-sha256-hmac", "esp-3des esp-md5-hmac", "esp-gcm 256",
                 "ah-sha-hmac esp-aes 192 esp-sha384-hmac"):
        assert " ".join(C.transform_keywords(P.transform_from_ios_text(text))[0]) == text


def test_addresses_as_ios_writes_them():
    assert C.isakmp_key_lines("2001:db8::3") == ["crypto isakmp key **** address ipv6 2001:DB8::3/128"]
    assert C.isakmp_key_lines("192.0.2.3") == ["crypto isakmp key **** address 192.0.2.3"]
    proxies = P.ProxyIds("0.0.0.0/0", "0.0.0.0/0")
    lines, vti = C.protection_lines(P.IpsecTransform(encryption=12, integrity=2, mode=1), proxies, "192.0.2.3")
    assert vti is True and " tunnel mode ipsec ipv4" in lines


# --------------------------------------------------------------------------
# Whose configuration: each router a log speaks for, with the names its log gives

SEED_CASE = CAPTURES / "seed-ios-ipv6"


def _views_of(case_dir, sides):
    """RouterViews for the truth.json roles in ``sides`` ("initiator", "responder"), named by their logs."""
    t = json.loads((case_dir / "truth.json").read_text())
    views = []
    for side in sides:
        name = t[side].get("log") or f"{t[side]['side']}.log"  # the lab's truth names the side (left/right)
        log = parse_log(str(case_dir / name), t.get("clock", {}).get("year"), keep_records=True)
        views.append(C.RouterView(t[side]["addr"], name, N.names_from_log(log.events, log.records)))
    return t, views


def _seed_explained(perspective):
    d = Dissector(str(SEED_CASE / "capture.pcap"), keys=load_key_file(str(SEED_CASE / "keys.toml")))
    pkts = [p for p in d.packets() if p.isakmp is not None]
    ex = Explainer(d.decryptor.states if d.decryptor else None, perspective)
    return {p.isakmp.role: e for p, e in zip(pkts, [ex.explain(p) for p in pkts])}


def test_seed_logs_name_their_tunnel():
    """Both seed routers' logs say ``Line protocol on Interface Tunnel23`` (truth.json: an IPv6 VTI
    Tunnel23); R2's ``show crypto ipsec sa`` has crypto map tag ``Tunnel23-head-0``, the map IOS makes
    for the VTI, which is no configured crypto map."""
    t, (init, resp) = _views_of(SEED_CASE, ("initiator", "responder"))
    assert "VTI Tunnel23" in t["description"]
    assert (init.names.interface, resp.names.interface) == ("Tunnel23", "Tunnel23")
    assert init.names.crypto_map is None and resp.names.crypto_map is None
    assert init.names.sources["interface"] == f"{SEED_CASE / 'initiator.log'}:258"  # its LINEPROTO-5-UPDOWN


def test_seed_config_of_each_router():
    """With both logs, MM2 and QM2 show each router's own configuration: its key toward the other
    (truth: 2001:db8::2 initiator, ::3 responder), its Tunnel23 with its own source and destination."""
    t, views = _views_of(SEED_CASE, ("initiator", "responder"))
    exps = _seed_explained(views)
    i, r = t["initiator"]["addr"], t["responder"]["addr"]
    mm1 = exps["MM1"].config
    assert not mm1.sides and mm1.local == i and mm1.label == "initiator.log, the initiator"
    mm2 = exps["MM2"].config
    assert [(s.local, s.peer, s.label) for s in mm2.sides] == [
        (i, r, "initiator.log, the initiator"), (r, i, "responder.log, the responder")]
    assert "crypto isakmp key **** address ipv6 2001:DB8::3/128" in mm2.sides[0].lines
    assert "crypto isakmp key **** address ipv6 2001:DB8::2/128" in mm2.sides[1].lines
    assert block(mm2.sides[1].lines, "crypto isakmp policy 10") == [
        "crypto isakmp policy 10", " encr aes", " hash sha", " authentication pre-share", " group 2",
        " lifetime 86400"]
    qm2 = exps["QM2"].config
    assert [s.vti for s in qm2.sides] == [True, True]
    assert block(qm2.sides[0].lines, "interface Tunnel23") == [
        "interface Tunnel23", " tunnel source 2001:DB8::2", " tunnel mode ipsec ipv6",
        " tunnel destination 2001:DB8::3", " tunnel protection ipsec profile IKESCOPE-PROFILE"]
    assert block(qm2.sides[1].lines, "interface Tunnel23") == [
        "interface Tunnel23", " tunnel source 2001:DB8::3", " tunnel mode ipsec ipv6",
        " tunnel destination 2001:DB8::2", " tunnel protection ipsec profile IKESCOPE-PROFILE"]
    assert qm2.lines == qm2.sides[0].lines + ["!"] + qm2.sides[1].lines
    assert "Tunnel0" not in qm2.placeholders and "IKESCOPE-PROFILE" in qm2.placeholders


def test_seed_without_logs_is_the_initiators_labelled():
    exps = _seed_explained(None)
    for role in ("MM1", "MM2", "QM1", "QM2"):
        cfg = exps[role].config
        assert not cfg.sides and cfg.local == "2001:db8::2" and cfg.label == "the initiator; no log given"
    assert exps["QM2"].config.lines[0].startswith("! on 2001:DB8::2 (the initiator; no log given) toward 2001:DB8::3")
    assert "interface Tunnel0" in exps["QM2"].config.lines and "Tunnel0" in exps["QM2"].config.placeholders


def test_seed_responder_log_only_shows_the_responder_where_it_decides():
    _t, views = _views_of(SEED_CASE, ("responder",))
    exps = _seed_explained(views)
    # an offer is its sender's configuration, whoever has a log
    assert exps["MM1"].config.label == "the initiator; no log speaks for it"
    assert exps["QM1"].config.local == "2001:db8::2"
    for role in ("MM2", "QM2"):
        assert (exps[role].config.local, exps[role].config.label) == ("2001:db8::3", "responder.log, the responder")


@pytest.mark.parametrize("case", QM_CASES)
def test_responder_acl_mirrors_the_initiators(case):
    """Both charon logs: at QM2 the initiator's ACL permits its protected net to the responder's
    (truth.json protected_net), the responder's the mirror, each crypto map's ``set peer`` the other."""
    t, views = _views_of(CAPTURES / case, ("initiator", "responder"))
    d = Dissector(str(CAPTURES / case / "capture.pcap"), keys=load_key_file(str(CAPTURES / case / "left.log")))
    pkts = [p for p in d.packets() if p.isakmp is not None]
    ex = Explainer(d.decryptor.states, views)
    qm2s = [(p, ex.explain(p)) for p in pkts]
    qm2s = [(p, e) for p, e in qm2s if p.isakmp.role == "QM2" and p.isakmp.retransmission_of is None]
    assert [p.frame for p, _ in qm2s] == t["frames"]["QM2"]
    v6 = t["ip_version"] == 6
    for p, e in qm2s:
        init, resp = e.config.sides
        assert (init.local, resp.local) == (t["initiator"]["addr"], t["responder"]["addr"])
        assert resp.proxies == init.proxies.swapped()
        if init.proxies.local != t["initiator"]["protected_net"]:  # XAUTH/mode-config: the virtual IP
            assert case == "v4-xauth-modecfg"
            assert " permit ip 203.0.113.0 0.0.0.255 host 10.99.0.1" in resp.lines
            continue
        local, remote = t["initiator"]["protected_net"], t["responder"]["protected_net"]
        if v6:
            assert f" permit ipv6 {local.upper()} {remote.upper()}" in init.lines
            assert f" permit ipv6 {remote.upper()} {local.upper()}" in resp.lines
        else:
            assert " permit ip 198.51.100.0 0.0.0.255 203.0.113.0 0.0.0.255" in init.lines
            assert " permit ip 203.0.113.0 0.0.0.255 198.51.100.0 0.0.0.255" in resp.lines
        assert f" set peer {t['responder']['addr'].upper()}" in init.lines
        assert f" set peer {t['initiator']['addr'].upper()}" in resp.lines
        # charon logs name no IOS interface or crypto map: placeholders, said to be such
        assert {"IKESCOPE-ACL", "IKESCOPE-MAP", "<outside interface>"} <= set(resp.placeholders)
        assert resp.lines[-1].startswith("! placeholder names (no log names them): ")


def test_ios_samples_name_their_crypto_map_and_interface():
    """Debug sample 08: ``Map found CMAP, 10`` and ``installed IPSEC SA ... on Dialer1``; sample 03:
    ``Crypto map tag: outside_map`` on ``interface: Ethernet0/0`` — used instead of placeholders."""
    p08 = SAMPLES / "08-iosxe-qm-responder-isakmp-plus-ipsec-multiline.txt"
    p03 = SAMPLES / "03-iosxe-mm-qm-initiator-nopsk-then-success-shows.txt"
    if not (p08.is_file() and p03.is_file()):
        pytest.skip(f"debug samples not at {SAMPLES}")
    log = parse_log(str(p08), keep_records=True)
    names = N.names_from_log(log.events, log.records)
    assert (names.crypto_map, names.crypto_map_seq, names.outside, names.interface) == ("CMAP", 10, "Dialer1", None)
    cfg = C.implied_config_from_events(log.events, names=names)
    assert (cfg.local, cfg.peer) == ("203.0.113.200", "203.0.113.100")
    assert cfg.lines[cfg.lines.index("crypto map CMAP 10 ipsec-isakmp"):][:4] == [
        "crypto map CMAP 10 ipsec-isakmp", " set peer 203.0.113.100", " set transform-set ESP-AES256-SHA512",
        " match address IKESCOPE-ACL"]
    assert block(cfg.lines, "interface Dialer1") == ["interface Dialer1", " crypto map CMAP"]
    assert cfg.placeholders == ["ESP-AES256-SHA512", "IKESCOPE-ACL"]
    log = parse_log(str(p03), keep_records=True)
    names = N.names_from_log(log.events, log.records)
    assert (names.crypto_map, names.outside) == ("outside_map", "Ethernet0/0")


def test_log_only_configs_take_the_names_the_whole_log_gives():
    """The seed document names its tunnel (Tunnel23) only in later messages' lines (line 347 on): in
    log-only mode every message's implied VTI still is that interface, never the placeholder."""
    from correlate.timeline import build_log_only
    if not SEED.exists():
        pytest.skip(f"{SEED} is not present (../shared is beside the repository in CI)")
    result = build_log_only([parse_log(str(SEED))])
    interfaces = [line for e in result.entries if e.explanation.config is not None
                  for line in e.explanation.config.lines if line.startswith("interface ")]
    assert len(interfaces) >= 2 and set(interfaces) == {"interface Tunnel23"}


# --------------------------------------------------------------------------
# What a log names beyond the message's own lines: proxies, keyring, ISAKMP profile; Aggressive Mode

#: the debug samples as the repository keeps them (tests/data), so that these tests never skip
DATA_SAMPLES = CAPTURES.parent / "tests" / "data" / "debug-samples"
S01 = DATA_SAMPLES / "01-iosxe-natt-mm-qm-responder-console-interleaved.txt"
S03 = DATA_SAMPLES / "03-iosxe-mm-qm-initiator-nopsk-then-success-shows.txt"


def _log_only_configs(path):
    """role -> the implied configuration of the first log-only step of that role that has one."""
    from correlate.timeline import build_log_only
    out = {}
    for entry in build_log_only([parse_log(str(path), keep_records=True)]).entries:
        if entry.explanation.config is not None:
            out.setdefault(entry.step.role, entry.explanation.config)
    return out


def test_sample03_show_output_proxies_feed_the_qm2_crypto_map():
    """Sample 03 pastes ``show crypto ipsec sa`` (line 196): crypto map outside_map on Ethernet0/0,
    local ident 192.168.1.0/255.255.255.0, remote ident 192.168.0.0/255.255.255.0 (lines 202-203),
    current_peer 203.0.113.1.  QM2's lines state no proxies; its crypto map and ACL are those of the show output."""
    text = S03.read_text().splitlines()
    assert "local  ident (addr/mask/prot/port): (192.168.1.0/255.255.255.0/0/0)" in text[201]
    assert "remote ident (addr/mask/prot/port): (192.168.0.0/255.255.255.0/0/0)" in text[202]
    log = parse_log(str(S03), keep_records=True)
    names = N.names_from_log(log.events, log.records)
    assert names.proxies == {"203.0.113.1": P.ProxyIds("192.168.1.0/24", "192.168.0.0/24")}
    assert names.sources["proxies"] == f"{S03}:196"
    qm2 = _log_only_configs(S03)["QM2"]
    assert qm2.vti is False and qm2.proxies == P.ProxyIds("192.168.1.0/24", "192.168.0.0/24")
    assert block(qm2.lines, "ip access-list extended IKESCOPE-ACL") == [
        "ip access-list extended IKESCOPE-ACL", " permit ip 192.168.1.0 0.0.0.255 192.168.0.0 0.0.0.255"]
    assert block(qm2.lines, "crypto map outside_map 10 ipsec-isakmp") == [
        "crypto map outside_map 10 ipsec-isakmp", " set peer 203.0.113.1", " set transform-set ESP-AES256-SHA",
        " match address IKESCOPE-ACL"]
    assert block(qm2.lines, "interface Ethernet0/0") == ["interface Ethernet0/0", " crypto map outside_map"]
    assert not any("needs the proxy IDs" in line for line in qm2.lines)
    assert any(f"proxy IDs 192.168.1.0/24 -> 192.168.0.0/24 ({S03}:196)" in line for line in qm2.lines)


def test_sample01_keyring_isakmp_profile_and_outside_interface():
    """Sample 01 (responder): ``peer matches VPN profile`` (line 125) after the peer's ID 100.64.1.2
    (line 118), ``Found ADDRESS key in keyring RA`` (line 126), ``Successfully installed IPSEC SA
    (SPI:0xF5AC7011) on GigabitEthernet1`` (line 186): the key is a keyring entry, the profile
    matches that identity, and the Quick Mode is a crypto map with ``set isakmp-profile VPN`` on
    GigabitEthernet1 (the log has no proxy IDs: the ACL's entries stay a comment)."""
    text = S01.read_text().splitlines()
    assert text[124].endswith("peer matches VPN profile") and text[125].endswith("Found ADDRESS key in keyring RA")
    log = parse_log(str(S01), keep_records=True)
    names = N.names_from_log(log.events, log.records)
    assert (names.keyring, names.isakmp_profile, names.identity, names.outside) == (
        "RA", "VPN", "100.64.1.2", "GigabitEthernet1")
    assert (names.sources["keyring"], names.sources["identity"]) == (f"{S01}:126", f"{S01}:118")
    assert (names.sa_interface, names.sources["sa_interface"]) == ("GigabitEthernet1", f"{S01}:186")
    assert names.to_dict()["keyring"] == "RA" and names.proxies == {}
    configs = _log_only_configs(S01)
    mm1 = configs["MM1"]
    assert block(mm1.lines, "crypto keyring RA") == ["crypto keyring RA",
                                                     " pre-shared-key address 198.51.100.3 key ****"]
    assert block(mm1.lines, "crypto isakmp profile VPN") == [
        "crypto isakmp profile VPN", " keyring RA", " match identity address 100.64.1.2 255.255.255.255"]
    assert not any(line.startswith("crypto isakmp key") for line in mm1.lines)
    qm1 = configs["QM1"]
    assert qm1.vti is False and qm1.proxies is None
    assert block(qm1.lines, "crypto map IKESCOPE-MAP 10 ipsec-isakmp") == [
        "crypto map IKESCOPE-MAP 10 ipsec-isakmp", " set peer 198.51.100.3", " set transform-set ESP-3DES-SHA",
        " set isakmp-profile VPN", " match address IKESCOPE-ACL"]
    assert block(qm1.lines, "interface GigabitEthernet1") == ["interface GigabitEthernet1", " crypto map IKESCOPE-MAP"]
    assert block(qm1.lines, "ip access-list extended IKESCOPE-ACL")[1].startswith(" ! permit ip <local networks>")


def test_aggressive_mode_hint_in_ios_syntax_for_sample03s_router():
    """Sample 03's router logs ``Can not start Aggressive mode, trying Main mode`` (line 41) toward
    203.0.113.1 and sends the identity 203.0.113.10 (MM5, line 117).  The IOS hint (Cisco: ``crypto
    isakmp peer address`` + ``set aggressive-mode password`` / ``client-endpoint``) for it replaces
    the ``crypto isakmp key`` line; an FQDN identity is ``client-endpoint fqdn``."""
    text = S03.read_text().splitlines()
    assert text[40].endswith("Can not start Aggressive mode, trying Main mode.")
    log = parse_log(str(S03), keep_records=True)
    sent_id = next(e.detail for e in log.events if e.kind == "payload" and e.detail.get("payload") == "ID")
    assert (sent_id["id_type"], sent_id["address"]) == (1, "203.0.113.10")
    hint = C.aggressive_mode_lines("203.0.113.1", sent_id["address"], sent_id["id_type"])
    assert hint[0].startswith("! hint: IOS initiates Aggressive Mode only toward a peer") and \
        '"Can not start Aggressive mode, trying Main mode"' in hint[0]
    assert hint[1:] == ["crypto isakmp peer address 203.0.113.1", " set aggressive-mode password ****",
                        " set aggressive-mode client-endpoint ipv4-address 203.0.113.10"]
    assert C.aggressive_mode_lines("203.0.113.1", "spoke1.example", 2)[-1] == \
        " set aggressive-mode client-endpoint fqdn spoke1.example"
    policy = P.policies_from_events(log.events)[0]
    cfg = C.implied_config([policy], peer="203.0.113.1", local="203.0.113.10", aggressive=True,
                           identity=(1, "203.0.113.10"))
    assert cfg.lines[-3:] == hint[1:] and not any(line.startswith("crypto isakmp key") for line in cfg.lines)
    assert not any("aggressive" in line for line in C.implied_config([policy], peer="203.0.113.1").lines)


def test_v6_aggressive_capture_marks_the_initiators_aggressive_mode():
    """v6-aggressive (truth: exchange_mode aggressive, initiator 2001:db8::2): AM1 and AM2 show the
    initiator the Aggressive Mode hint, with AM1's ID payload (its address) as identity; IOS
    documents no IPv6 form, so the hint is comments and its IPv6 key line stays.  The responder's,
    and a Main Mode capture's, configurations carry no hint."""
    t, views = _views_of(CAPTURES / "v6-aggressive", ("initiator", "responder"))
    assert t["exchange_mode"] == "aggressive"
    i, r = t["initiator"]["addr"], t["responder"]["addr"]
    d = Dissector(str(CAPTURES / "v6-aggressive" / "capture.pcap"))
    pkts = [p for p in d.packets() if p.isakmp is not None]
    ex = Explainer(None, views)
    exps = {p.isakmp.role: e for p, e in reversed([(p, ex.explain(p)) for p in pkts])}
    am1 = exps["AM1"].config
    assert am1.local == i
    assert am1.lines[am1.lines.index(f"crypto isakmp key **** address ipv6 {r.upper()}/128"):][1:] == [
        C.aggressive_mode_lines(r)[0], C.aggressive_mode_lines(r)[1], f"! crypto isakmp peer address {r.upper()}",
        "!  set aggressive-mode password ****", f"!  set aggressive-mode client-endpoint <{i}>"]
    init, resp = exps["AM2"].config.sides
    assert any(line.startswith("! hint: IOS initiates Aggressive Mode") for line in init.lines)
    assert not any("aggressive-mode" in line or "hint:" in line for line in resp.lines)
    _, mm_exps = explained("v6-aes128-sha1-modp1024")
    assert not any("ggressive" in line for e in mm_exps if e.config for line in e.config.lines)


def test_v6_aggressive_charon_logs_alone():
    """Log-only: left.log sent AM1 (the initiator) and gets the hint although its proposal lines do not
    say how it authenticates; right.log (the responder) does not."""
    left = _log_only_configs(CAPTURES / "v6-aggressive" / "left.log")
    right = _log_only_configs(CAPTURES / "v6-aggressive" / "right.log")
    assert any(line.startswith("! hint: IOS initiates Aggressive Mode") for line in left["AM1"].lines)
    assert "! crypto isakmp peer address 2001:DB8::3" in left["AM1"].lines
    assert not any("aggressive-mode" in line or "hint:" in line for cfg in right.values() for line in cfg.lines)


@pytest.mark.parametrize("path, device", [
    (CAPTURES / "v4-aes128-sha1-modp1024" / "right.log", "a strongSwan peer"),
    (CAPTURES / "seed-ios-ipv6" / "responder.log", None),
])
def test_configuration_of_a_peer_that_is_no_ios_router_says_it_is_the_ios_equivalent(path, device):
    """The configuration implied by a strongSwan log is written in IOS terms: its comment line says so; an
    IOS router's does not.  (No ASA or libreswan sample implies a configuration: their families are named
    the same way.)"""
    log = parse_log(str(path), year=2012)
    cfg = C.implied_config_from_events(log.events)
    assert cfg is not None
    assert ("its IOS equivalent" in cfg.lines[0]) == (device is not None), cfg.lines[0]
    if device:
        assert f"{device}: its IOS equivalent" in cfg.lines[0]
    assert [C.ios_equivalent(f) for f in ({"asa", "blank"}, {"libreswan", "console"}, {"ios", "show"}, {"show"})] == \
        ["an ASA: its IOS equivalent", "a libreswan peer: its IOS equivalent", "", ""]

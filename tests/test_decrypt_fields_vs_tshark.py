"""IKEv1 decryption from a PSK and g^xy against tshark's own decryption, payload field by payload field.

ikescope decrypts each IKEv1 lab case (``captures/<case>/``) with the key material a user
would type -- the PSK and each IKE SA's g^xy from ``truth.json``, per initiator cookie --
and tshark 4.0, driven through pyshark, decrypts it with the case's
``ikev1_decryption_table`` (the cipher key Ka strongSwan logged).  Three tshark routes
are compared with ikescope:

A. :func:`tshark_oracle.tshark_frames` with the case's table *file* in tshark's
   configuration directory (a Wireshark profile): the full decrypted views of
   :mod:`tshark_oracle` (payload headers, bodies, SA/ID/NONCE/HASH/N/D fields, padding);
B. the case's table rows as ``-o uat:ikev1_decryption_table:<icookie>,<Ka>`` (what the
   lab's ``oracle.cmd`` runs), read as PDML through pyshark and reduced to the fields
   tshark itself names: for SA payloads the proposal and transform numbers and IDs, the
   protocol, the SPI and every attribute by tshark's meaning (``life_type``,
   ``life_duration``, ``encap_mode``, ``auth_algorithm``, ``key_length``,
   ``group_description``, ...); ID type, protocol, port and address/subnet; NONCE, HASH
   and KE bytes; notify and delete fields; mode-config/XAUTH attributes (type and value bytes)
   (:func:`_tshark_summary` / :func:`_our_summary`);
C. the lab's stored ``oracle.json`` (``tshark -T json``, made by ``oracle.cmd``), reduced
   the same way.

The same values are also checked against what strongSwan logged (truth.json): the
decrypted MM5/MM6 IDs carry the peers' addresses; every Quick Mode's IDs are the
protected subnets; the SPI each side proposes is the one the other side's ESP SA uses
towards it; the nonces are the ones strongSwan's KEYMAT seed ends with (RFC 2409 §5.5:
KEYMAT = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)); the authentication
algorithm and key length are those of the ESP SAs; the lifetime is the configured one; the
decrypted XAUTH/mode-config replies carry the configured user name and the assigned virtual IP.

Finally ``ikescope keys CAP --psk P --dh-shared G --wireshark DIR`` must write the lab's
cipher key for the SA, and tshark run with ``WIRESHARK_CONFIG_DIR=DIR`` (as the command's
message says) must decrypt the same frames to the same payloads as ikescope does from
that PSK and g^xy.

Where the two decryptions differ, only one difference is accepted, by rule rather than by
frame number: a retransmission (a message whose bytes equal an earlier one's) that ikescope
decrypts like its first copy while tshark's decryption of it is no valid payload chain.
A retransmission is the very ciphertext of its first copy, made with the same key and IV, so
it decrypts to the same plaintext (RFC 2409 App. B: the IV of a message is the last
ciphertext block of the *previous* message; a resend is no new message).  tshark chains the
IV through every encrypted message of the SA in capture order and so decrypts the copy with
the wrong IV.  A message that neither decrypts to a valid chain (tshark: garbage marked
"Malformed Packet"; ikescope: left encrypted) counts as agreement: the key does not fit it.
"""
from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import CAPTURES, REPO, require_tshark, shipped_cases
from dissect.keysources import KeyEntry
from dissect.pipeline import Dissector

try:  # the tshark side needs pyshark
    import tshark_oracle as oracle
    from pyshark.capture.capture import TSharkCrashException
except ImportError as e:  # pragma: no cover - depends on the environment
    oracle = None
    _ORACLE_MISSING = f"the tshark oracle needs pyshark ({e}); pip install -e '.[test]'"


# --------------------------------------------------------------------------
# The cases and their truth

def _truth(case: str) -> dict:
    return json.loads((CAPTURES / case / "truth.json").read_text())


IKEV1 = [d.name for d in shipped_cases() if _truth(d.name).get("ike_version") == 1]
WITH_QUICK_MODE = [c for c in IKEV1 if _truth(c).get("quick_mode_frames")]
MAIN_MODE = [c for c in IKEV1 if _truth(c).get("exchange_mode") == "main"]


def _sas(t: dict) -> list[dict]:
    return t.get("ike_sas") or [t]


def _psk(t: dict) -> str:
    """The PSK a user of the initiator's side would give (the PSK-mismatch case has one per side)."""
    return t.get("psk_initiator") or t["psk"]


def _frame_rows(t: dict) -> dict[int, dict]:
    return {r["frame"]: r for r in t["frame_table"]}


def _seconds(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


#: truth.json's ESP integrity algorithms -> IPsec DOI Authentication Algorithm (RFC 2407 §4.5, IANA)
AUTH_ALGORITHM = {"HMAC_MD5_96": 1, "HMAC_SHA1_96": 2, "HMAC_SHA2_256_128": 5, "HMAC_SHA2_384_192": 6,
                  "HMAC_SHA2_512_256": 7}

#: truth.json's Phase 1 hash -> digest size: the size of HASH_I/HASH_R and every Phase 2 HASH (RFC 2409 §5)
DIGEST_SIZE = {"MD5": 16, "SHA1": 20, "SHA2_256": 32, "SHA2_384": 48, "SHA2_512": 64}


def _require_oracle() -> None:
    require_tshark()
    if oracle is None:
        pytest.skip(_ORACLE_MISSING)


# --------------------------------------------------------------------------
# ikescope's side

def _truth_keys(t: dict) -> list[KeyEntry]:
    """PSK + g^xy for each IKE SA, bound to its initiator cookie (as in tests/test_decrypt.py)."""
    return [KeyEntry(source=f"truth {sa['initiator_cookie']}", icookie=bytes.fromhex(sa["initiator_cookie"]),
                     psk=_psk(t).encode(), dh_shared=bytes.fromhex(sa["g_xy"])) for sa in _sas(t)]


@functools.cache
def _ours(case: str, keys: tuple[tuple[str | None, str, str], ...]) -> dict[int, object]:
    """frame -> ikescope's Packet (ISAKMP only), decrypted with (icookie or None, PSK, g^xy hex) rows."""
    entries = [KeyEntry(source="test", icookie=bytes.fromhex(ck) if ck else None, psk=psk.encode(),
                        dh_shared=bytes.fromhex(gxy)) for ck, psk, gxy in keys]
    out: dict[int, object] = {}
    for p in Dissector(str(CAPTURES / case / "capture.pcap"), keys=entries).packets():
        if p.isakmp is not None:
            assert p.frame not in out, f"{case}: two ISAKMP messages in frame {p.frame}"
            out[p.frame] = p
    return out


def ours_with_truth(case: str) -> dict[int, object]:
    t = _truth(case)
    return _ours(case, tuple((sa["initiator_cookie"], _psk(t), sa["g_xy"]) for sa in _sas(t)))


def _encrypted_v1(pkts: dict[int, object]) -> dict[int, object]:
    return {n: p for n, p in pkts.items() if p.isakmp.header is not None and p.isakmp.header.major == 1
            and p.isakmp.encrypted}


# --------------------------------------------------------------------------
# A payload summary: the same shape from tshark's tree (PDML or JSON) and from ikescope

@dataclass
class Node:
    """One field of tshark's tree: its filter name, its ``show`` text, its children."""
    name: str
    show: str
    children: list["Node"] = field(default_factory=list)

    def get(self, name: str) -> "Node | None":
        return next((c for c in self.children if c.name == name), None)

    def all(self, name: str) -> list["Node"]:
        return [c for c in self.children if c.name == name]


def _pdml_node(el) -> Node:
    return Node(el.get("name") or "", el.get("show") or "",
                [_pdml_node(c) for c in el.iterchildren() if c.tag == "field"])


class _JsonObject(list):
    """A JSON object as its list of (key, value) pairs: tshark -T json repeats keys."""


def _json_nodes(obj) -> list[Node]:
    out: list[Node] = []
    for key, value in obj:
        if key.endswith("_tree") and out and out[-1].name == key[:-5] and isinstance(value, _JsonObject):
            out[-1].children = _json_nodes(value)
        elif isinstance(value, _JsonObject):
            out.append(Node(key, "", _json_nodes(value)))
        elif isinstance(value, list):
            out += [Node(key, str(v)) for v in value]
        else:
            out.append(Node(key, str(value)))
    return out


def _hex(node: Node | None) -> str | None:
    return node.show.replace(":", "").lower() if node is not None else None


def _int(node: Node | None) -> int | None:
    return int(node.show, 0) if node is not None and node.show != "" else None


_ATTR_SKIP = ("format", "type", "value", "length")


def _attribute(a: Node) -> tuple[str, int | str]:
    """(tshark's meaning of the attribute, its value): from the named child (life_type, key_length,
    ...); ``type<N>`` and the raw value when tshark names it no further."""
    prefix = a.name + "."
    named = [c for c in a.children if c.name.startswith(prefix) and c.name[len(prefix):] not in _ATTR_SKIP]
    if named:
        c = named[0]
        meaning = c.name[len(prefix):]
        for width in (".uint32", ".uint64", ".bytes"):
            meaning = meaning.removesuffix(width)
        try:
            return meaning, int(c.show, 0)
        except ValueError:
            return meaning, c.show.replace(":", "")
    t, v = a.get(prefix + "type"), a.get(prefix + "value")
    return f"type{_int(t)}", int(_hex(v) or "0", 16)


def _id_address(p: Node) -> str | None:
    data = p.get("isakmp.id.data")
    sub = {c.name.removeprefix("isakmp.id.data."): c.show for c in data.children} if data is not None else {}
    t = _int(p.get("isakmp.id.type"))
    if t in (1, 5):
        return sub.get("ipv4_addr" if t == 1 else "ipv6_addr")
    if t in (4, 6):
        v = "ipv4" if t == 4 else "ipv6"
        if f"{v}_subnet" in sub:
            return oracle._mask_text(sub[f"{v}_addr"], sub[f"{v}_subnet"])
    if t in (7, 8):
        v = "ipv4" if t == 7 else "ipv6"
        if f"{v}_range_end" in sub:
            return f"{sub[f'{v}_range_start']}-{sub[f'{v}_range_end']}"
    return None


def _tshark_payload(p: Node) -> dict:
    t = int(p.show)
    v: dict = {"type": t}
    if t == 1:
        v["doi"] = _int(p.get("isakmp.sa.doi"))
        v["proposals"] = [{
            "number": _int(q.get("isakmp.prop.number")), "protocol_id": _int(q.get("isakmp.prop.protoid")),
            "spi": _hex(q.get("isakmp.spi")) or "",
            "transforms": [{"number": _int(x.get("isakmp.trans.number")),
                            "transform_id": _int(x.get("isakmp.trans.id")),
                            "attributes": [_attribute(a) for a in x.children
                                           if a.name in ("isakmp.ipsec.attr", "isakmp.ike.attr")]}
                           for x in q.all("isakmp.typepayload") if x.show == "3"]}
            for q in p.all("isakmp.typepayload") if q.show == "2"]
    elif t == 4:
        v["ke"] = _hex(p.get("isakmp.key_exchange.data"))
    elif t == 5:
        v.update(id_type=_int(p.get("isakmp.id.type")), protocol_id=_int(p.get("isakmp.id.protoid")),
                 port=_int(p.get("isakmp.id.port")), address=_id_address(p))
    elif t == 8:
        v["hash"] = _hex(p.get("isakmp.hash"))
    elif t == 10:
        v["nonce"] = _hex(p.get("isakmp.nonce"))
    elif t == 11:
        v.update(protocol_id=_int(p.get("isakmp.notify.protoid")), notify_type=_int(p.get("isakmp.notify.msgtype")),
                 spi=_hex(p.get("isakmp.spi")) or "")
    elif t == 12:
        v.update(protocol_id=_int(p.get("isakmp.delete.protoid")),
                 spis=[_hex(s) for s in p.all("isakmp.delete.spi")])
    elif t == 14:
        v.update(cfg_type=_int(p.get("isakmp.cfg.type")), identifier=_int(p.get("isakmp.cfg.identifier")),
                 attributes=[(_int(a.get("isakmp.cfg.attr.type")), _hex(a.get("isakmp.cfg.attr.value")) or "")
                             for a in p.all("isakmp.cfg.attr")])
    return v


def _tshark_summary(enc: Node) -> list[dict]:
    """The decrypted payload chain under tshark's ``isakmp.enc.data``."""
    return [_tshark_payload(p) for p in enc.all("isakmp.typepayload")]


#: ikescope's IPsec DOI attribute names (RFC 2407 §4.5) -> the meaning tshark gives the attribute
ATTRIBUTE_MEANING = {"SA-Life-Type": "life_type", "SA-Life-Duration": "life_duration",
                     "Group-Description": "group_description", "Encapsulation-Mode": "encap_mode",
                     "Authentication-Algorithm": "auth_algorithm", "Key-Length": "key_length",
                     "Key-Rounds": "key_rounds", "Extended (64-bit) Sequence Number": "ext_seq_nbr",
                     "Authentication Key Length": "auth_key_length"}


def _our_payload(p) -> dict:
    v: dict = {"type": p.type}
    if p.type == 1:
        v["doi"] = p.doi
        v["proposals"] = [{
            "number": q.number, "protocol_id": q.protocol_id, "spi": q.spi.hex(),
            "transforms": [{"number": x.number, "transform_id": x.transform_id,
                            "attributes": [(ATTRIBUTE_MEANING.get(a.name, f"type{a.type}"),
                                            a.value if a.value is not None else a.raw.hex())
                                           for a in x.attributes]}
                           for x in q.transforms]}
            for q in p.proposals]
    elif p.type == 4:
        v["ke"] = p.body.hex()
    elif p.type == 5:
        v.update(id_type=p.id_type, protocol_id=p.protocol_id, port=p.port,
                 address=p.text if p.id_type in oracle.ID_ADDRESS_TYPES else None)
    elif p.type == 8:
        v["hash"] = p.body.hex()
    elif p.type == 10:
        v["nonce"] = p.body.hex()
    elif p.type == 11:
        v.update(protocol_id=p.protocol_id, notify_type=p.notify_type, spi=p.spi.hex())
    elif p.type == 12:
        v.update(protocol_id=p.protocol_id, spis=[s.hex() for s in p.spis])
    elif p.type == 14:
        v.update(cfg_type=p.cfg_type, identifier=p.identifier, attributes=[(a.type, a.raw.hex()) for a in p.attributes])
    return v


def _our_summary(msg) -> list[dict] | None:
    return [_our_payload(p) for p in msg.payloads] if msg.decrypted else None


# --------------------------------------------------------------------------
# tshark's side, routes B and C: the decrypted trees

@dataclass
class TsharkDecryption:
    """Per frame with an encrypted IKEv1 message: tshark's summary when it decrypted it to a
    payload chain without a "[Malformed Packet]", else None."""
    frames: dict[int, list[dict] | None]

    @property
    def valid(self) -> dict[int, list[dict]]:
        return {n: s for n, s in self.frames.items() if s is not None}


def _tree_dir_digest(config_dir: str) -> str:
    h = hashlib.sha256()
    for f in sorted(Path(config_dir).iterdir()):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


_PDML: dict[tuple, TsharkDecryption] = {}


def tshark_decryption(cap: Path, config_dir: str, prefs: tuple[str, ...] = ()) -> TsharkDecryption:
    """tshark (via pyshark, PDML) on ``cap`` with ``WIRESHARK_CONFIG_DIR=config_dir`` and ``-o`` ``prefs``."""
    key = (oracle.file_digest(cap), _tree_dir_digest(config_dir), prefs)
    if key not in _PDML:
        for attempt in range(3):  # see tshark_oracle._read_with_retry: pyshark now and then loses tshark's exit
            try:
                _PDML[key] = _read_pdml(cap, config_dir, list(prefs))
                break
            except TSharkCrashException:
                if attempt == 2:
                    raise
    return _PDML[key]


def _read_pdml(cap: Path, config_dir: str, prefs: list[str]) -> TsharkDecryption:
    frames: dict[int, list[dict] | None] = {}
    saved = os.environ.get("WIRESHARK_CONFIG_DIR")
    os.environ["WIRESHARK_CONFIG_DIR"] = config_dir
    fc = oracle._FileCapture(str(cap), display_filter="isakmp", keep_packets=False, custom_parameters=prefs or None)
    try:
        for pkt in fc:
            protos = [p for p in pkt.pdml.iterchildren() if p.tag == "proto"]
            malformed = any(p.get("name") == "_ws.malformed" for p in protos)
            for proto in protos:
                if proto.get("name") != "isakmp":
                    continue
                enc = next((c for c in proto.iterchildren() if c.tag == "field"
                            and c.get("name") == "isakmp.enc.data"), None)
                if enc is None or _pdml_major(proto) != 1:
                    continue
                summary = _tshark_summary(_pdml_node(enc))
                frames[int(pkt.number)] = summary if summary and not malformed else None
    finally:
        try:
            fc.close()
        finally:
            if saved is None:
                os.environ.pop("WIRESHARK_CONFIG_DIR", None)
            else:
                os.environ["WIRESHARK_CONFIG_DIR"] = saved
    return TsharkDecryption(frames)


def _pdml_major(proto) -> int | None:
    ver = next((c for c in proto.iterchildren() if c.tag == "field" and c.get("name") == "isakmp.version"), None)
    return int(ver.get("value"), 16) >> 4 if ver is not None else None


@functools.cache
def stored_oracle(case: str) -> TsharkDecryption:
    """The lab's ``oracle.json`` (tshark -T json, run by oracle.cmd), reduced like the live PDML."""
    doc = json.loads((CAPTURES / case / "oracle.json").read_text(), object_pairs_hook=_JsonObject)
    frames: dict[int, list[dict] | None] = {}
    for pkt in doc:
        (layers,) = _json_nodes(dict(pkt)["_source"])  # {"_source": {"layers": {...}}}
        number = _int(layers.get("frame").get("frame.number"))
        malformed = layers.get("_ws.malformed") is not None
        for isakmp in layers.all("isakmp"):
            enc = isakmp.get("isakmp.enc.data")
            version = isakmp.get("isakmp.version")
            if enc is None or version is None or int(version.show, 16) >> 4 != 1:
                continue
            summary = _tshark_summary(enc)
            frames[number] = summary if summary and not malformed else None
    return TsharkDecryption(frames)


def table_rows(text: str) -> list[tuple[str, str]]:
    """The oracle's own strict reading of an ikev1_decryption_table: ``icookie,key`` hex lines, # comments."""
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        icookie, key = line.split(",")
        assert len(icookie) == 16 and bytes.fromhex(icookie) and bytes.fromhex(key), line
        rows.append((icookie.lower(), key.lower()))
    return rows


def lab_table_decryption(case: str) -> TsharkDecryption:
    """Route B: the lab table's rows as ``-o uat:ikev1_decryption_table:...`` (as oracle.cmd), empty profile."""
    rows = table_rows((CAPTURES / case / "ikev1_decryption_table").read_text())
    return tshark_decryption(CAPTURES / case / "capture.pcap", oracle._EMPTY_CONFIG,
                             tuple(oracle.ikev1_preferences(rows)))


# --------------------------------------------------------------------------
# Comparing decryptions, with the one accepted difference

def _is_resent_copy(pkts: dict[int, object], n: int, decrypted_by_tshark: set[int]) -> bool:
    """Frame ``n`` is a retransmission -- the same bytes as an earlier frame, checked here, not taken
    from ikescope's label alone -- whose first copy tshark decrypted, and ikescope decrypted both
    to the same payloads."""
    m = pkts[n].isakmp
    first = m.retransmission_of
    if first is None or first not in pkts or first not in decrypted_by_tshark:
        return False
    f = pkts[first].isakmp
    return f.raw == m.raw and f.decrypted and m.decrypted and _our_summary(f) == _our_summary(m)


def compare(pkts: dict[int, object], theirs: dict[int, object], is_valid, same) -> tuple[list[str], list[int]]:
    """Frame by frame over the encrypted IKEv1 messages: (problems, frames where tshark failed on a
    resent copy).  ``theirs``: frame -> tshark's view; ``is_valid(view)``: tshark decrypted it to a
    payload chain; ``same(msg, view)``: the problems between ikescope's message and that view."""
    ours_enc = _encrypted_v1(pkts)
    tshark_ok = {n for n, v in theirs.items() if is_valid(v)}
    problems: list[str] = []
    resent: list[int] = []
    for n in sorted(set(ours_enc) | set(theirs)):
        if n not in ours_enc or n not in theirs:
            problems.append(f"frame {n}: an encrypted IKEv1 message for {'tshark' if n in theirs else 'ikescope'} only")
            continue
        m = ours_enc[n].isakmp
        if m.decrypted and n in tshark_ok:
            problems += [f"frame {n} ({m.role}): {d}" for d in same(m, theirs[n])]
        elif not m.decrypted and n not in tshark_ok:
            if not any("no valid payload chain" in x.message or "IV is unknown" in x.message for x in m.notes):
                problems.append(f"frame {n} ({m.role}): ikescope left it encrypted without saying why")
        elif m.decrypted and _is_resent_copy(pkts, n, tshark_ok):
            resent.append(n)
        else:
            problems.append(f"frame {n} ({m.role}): decrypted by {'ikescope' if m.decrypted else 'tshark'} only")
    return problems, resent


def _same_summary(m, theirs: list[dict]) -> list[str]:
    mine = _our_summary(m)
    return [] if mine == theirs else [f"ikescope {mine!r}\n      tshark   {theirs!r}"]


def compare_summaries(pkts: dict[int, object], ts: TsharkDecryption) -> tuple[list[str], list[int]]:
    return compare(pkts, ts.frames, lambda v: v is not None, _same_summary)


def _expected_decryptable(case: str) -> set[int]:
    """Frames of encrypted messages that the initiator's PSK can decrypt: those its own host sent, and
    the other host's where both hosts were given the same PSK (truth.json; v6-psk-mismatch differs)."""
    t = _truth(case)
    enc = set(_encrypted_v1(ours_with_truth(case)))
    rows = _frame_rows(t)
    return {n for n in enc
            if (t.get("psk_initiator") or t["psk"]) == (t.get("psk_responder") or t["psk"])
            or rows[n]["from_initiator_host"]}


def _fail(case: str, what: str, problems: list[str]) -> str:
    return f"{case}: {what}: {len(problems)} problem(s)\n  " + "\n  ".join(problems[:30])


# --------------------------------------------------------------------------
# 1. ikescope (PSK + g^xy) against tshark (the lab's cipher keys)

@pytest.mark.parametrize("case", IKEV1)
def test_decrypted_views_equal_tsharks_with_the_lab_table_as_profile(case: str) -> None:
    """Route A: every encrypted message decrypts to the same payload chain, headers, bodies and padding."""
    _require_oracle()
    table = (CAPTURES / case / "ikev1_decryption_table").read_bytes()
    ts = oracle.tshark_frames(CAPTURES / case / "capture.pcap", profile_files={"ikev1_decryption_table": table})
    theirs = {n: v for n, f in ts.items() for v in f.decrypted if v is not None}
    pkts = ours_with_truth(case)

    def same(m, view):
        return [f"{path}: ikescope={a!r} tshark={b!r}"
                for path, a, b in oracle.diff(oracle.ours_decrypted_view(m), view)]

    problems, resent = compare(pkts, theirs, lambda v: v["state"] == "decrypted", same)
    assert not problems, _fail(case, "ikescope vs tshark (profile)", problems)
    decrypted = {n for n, p in _encrypted_v1(pkts).items() if p.isakmp.decrypted}
    assert decrypted == _expected_decryptable(case), (decrypted, _expected_decryptable(case))
    assert {n for n, v in theirs.items() if v["state"] == "decrypted"} == decrypted - set(resent)


@pytest.mark.parametrize("case", IKEV1)
def test_decrypted_fields_equal_tsharks_with_the_lab_table_as_preferences(case: str) -> None:
    """Route B: the same payloads, field by field as tshark names them (SA attributes by meaning)."""
    _require_oracle()
    ts = lab_table_decryption(case)
    pkts = ours_with_truth(case)
    problems, resent = compare_summaries(pkts, ts)
    assert not problems, _fail(case, "ikescope vs tshark (-o uat:...)", problems)
    assert ts.valid, f"{case}: tshark decrypted nothing: was the ikev1_decryption_table preference taken?"
    for n in resent:  # the accepted difference: the first copy decrypted alike on both sides
        first = pkts[n].isakmp.retransmission_of
        assert ts.valid[first] == _our_summary(pkts[n].isakmp)
    # the Quick Mode SAs carry the attributes the brief names, as tshark reads them
    t = _truth(case)
    aes = all(e["enc_alg"].startswith("AES") for e in t["esp_sas"])
    aead = all(e["enc_alg"].startswith("AES_GCM") for e in t["esp_sas"])  # no Authentication Algorithm (RFC 4106 §8.3)
    for mid, roles in t.get("quick_mode_frames", {}).items():
        for role in ("QM1", "QM2"):
            (sa,) = [p for p in ts.valid[roles[role]] if p["type"] == 1]
            (prop,) = sa["proposals"]
            meanings = {name for x in prop["transforms"] for name, _ in x["attributes"]}
            want = ({"life_type", "life_duration", "encap_mode"} | (set() if aead else {"auth_algorithm"})
                    | ({"key_length"} if aes else set()))
            assert want <= meanings, (case, mid, role, meanings)


@pytest.mark.parametrize("case", IKEV1)
def test_stored_oracle_json_agrees(case: str) -> None:
    """Route C: the lab's own tshark output (oracle.json) decrypted the same frames to the same fields,
    both as the live tshark run and as ikescope."""
    _require_oracle()
    stored, live = stored_oracle(case), lab_table_decryption(case)
    assert stored.frames.keys() == live.frames.keys()
    assert stored.valid == live.valid
    problems, _ = compare_summaries(ours_with_truth(case), stored)
    assert not problems, _fail(case, "ikescope vs oracle.json", problems)


# --------------------------------------------------------------------------
# 2. The decrypted values against what strongSwan logged

def _sides(case: str) -> list[tuple[str, dict[int, list[dict]]]]:
    """('ikescope', frame -> summary) and ('tshark', frame -> summary) for the validly decrypted frames."""
    pkts = ours_with_truth(case)
    mine = {n: _our_summary(p.isakmp) for n, p in _encrypted_v1(pkts).items() if p.isakmp.decrypted}
    return [("ikescope", mine), ("tshark", lab_table_decryption(case).valid)]


def _id_network(ident: dict, ip_version: int):
    """The network an ID payload names: ID_IPV4_ADDR/ID_IPV6_ADDR for one host (strongSwan's choice for
    a /32 or /128) or ID_IPV4_ADDR_SUBNET/ID_IPV6_ADDR_SUBNET (RFC 2407 §4.6.2.1)."""
    host, subnet = (1, 4) if ip_version == 4 else (5, 6)
    assert ident["id_type"] in (host, subnet) and ("/" in ident["address"]) == (ident["id_type"] == subnet), ident
    return ipaddress.ip_network(ident["address"])


def _one(payloads: list[dict], t: int) -> dict:
    (p,) = [p for p in payloads if p["type"] == t]
    return p


@pytest.mark.parametrize("case", MAIN_MODE)
def test_main_mode_ids_and_hashes(case: str) -> None:
    """MM5/MM6 of every Main Mode: ID_IPV4_ADDR/ID_IPV6_ADDR (RFC 2407 §4.6.2.1) of the sending peer,
    and a HASH_I/HASH_R of the negotiated hash's size that ikescope verifies, both sides equal."""
    _require_oracle()
    t = _truth(case)
    rows = _frame_rows(t)
    pkts = ours_with_truth(case)
    id_type = 1 if t["ip_version"] == 4 else 5
    checked: dict[str, set[str]] = {"ikescope": set(), "tshark": set()}
    for side, frames in _sides(case):
        for label, numbers in t["frames"].items():
            role = label.split("(")[0]
            if role not in ("MM5", "MM6"):
                continue
            peer = t["initiator" if role == "MM5" else "responder"]
            for n in numbers:
                assert rows[n]["src"] == peer["addr"], (label, n)
                if n not in frames:
                    continue
                ident = _one(frames[n], 5)
                assert (ident["id_type"], ident["address"]) == (id_type, peer["addr"]), (side, label, n, ident)
                hash_ = _one(frames[n], 8)["hash"]
                assert len(hash_) == 2 * DIGEST_SIZE[t["hash"]], (side, label, n)
                assert pkts[n].isakmp.hash_check == f"HASH_{'I' if role == 'MM5' else 'R'} verified", (label, n)
                assert hash_ == _our_summary(pkts[n].isakmp)[[p["type"] for p in frames[n]].index(8)]["hash"]
                checked[side].add(role)
    # both sides checked MM5; MM6 too wherever the responder's PSK is the one given
    same_psk = _psk(t) == (t.get("psk_responder") or t["psk"])
    want = {"MM5", "MM6"} if same_psk else {"MM5"}
    assert checked == {"ikescope": want, "tshark": want}, checked


@pytest.mark.parametrize("case", WITH_QUICK_MODE)
def test_quick_mode_payloads_match_strongswans(case: str) -> None:
    """Every Quick Mode, in ikescope and in tshark: IDs, SPIs, nonces and SA attributes as strongSwan logged."""
    _require_oracle()
    t = _truth(case)
    rows = _frame_rows(t)
    esp_by_spi = {int(e["spi"], 16): e for e in t["esp_sas"]}
    nets = [ipaddress.ip_network(t[w]["protected_net"]) for w in ("initiator", "responder")]
    pfs = bool(t.get("qm_pfs_g_xy"))
    for side, frames in _sides(case):
        seen_spis: set[int] = set()
        for mid, roles in t["quick_mode_frames"].items():
            qm1, qm2 = frames[roles["QM1"]], frames[roles["QM2"]]
            nonces = []
            for role, payloads in (("QM1", qm1), ("QM2", qm2)):
                where = (side, mid, role)
                n = roles[role]
                # HASH(1)/HASH(2) first, then SA; IDci and IDcr: the protected networks (RFC 2409 §5.5)
                assert payloads[0]["type"] == 8 and payloads[1]["type"] == 1, where
                assert [_id_network(p, t["ip_version"]) for p in payloads if p["type"] == 5] == nets, where
                (prop,) = _one(payloads, 1)["proposals"]
                (xf,) = prop["transforms"]
                attrs = dict(xf["attributes"])
                assert prop["protocol_id"] == 3 and len(prop["spi"]) == 8, where  # PROTO_IPSEC_ESP, 4-byte SPI
                spi = int(prop["spi"], 16)
                # the SPI a peer proposes is the one it receives on (RFC 2408 §2.4)
                if spi in esp_by_spi:
                    assert esp_by_spi[spi]["dst"] == rows[n]["src"], where
                    seen_spis.add(spi)
                    esp = esp_by_spi[spi]
                    if esp["auth_alg"]:  # AES-GCM has none
                        assert attrs["auth_algorithm"] == AUTH_ALGORITHM[esp["auth_alg"]], where
                    else:
                        assert "auth_algorithm" not in attrs and esp["enc_alg"].startswith("AES_GCM"), where
                    if esp["enc_alg"].startswith("AES"):  # the logged key of GCM/CTR ends in 4 bytes of salt
                        salt = 32 if esp["enc_alg"].startswith(("AES_GCM", "AES_CTR")) else 0
                        assert attrs["key_length"] == 4 * len(esp["enc_key"]) - salt, where
                # UDP-Encapsulated-Tunnel once NAT-T moved IKE to port 4500 (RFC 3947 §5), else Tunnel (RFC 2407)
                assert attrs["encap_mode"] == (3 if rows[n]["non_esp_marker"] else 1), where
                assert attrs["life_type"] == 1, where  # seconds
                if role == "QM1":  # the initiator proposes its configured lifetime
                    assert attrs["life_duration"] == _seconds(t["configured"]["child_life_time"]), where
                assert ("group_description" in attrs) == pfs == any(p["type"] == 4 for p in payloads), where
                nonces.append(bytes.fromhex(_one(payloads, 10)["nonce"]))
            # KEYMAT seed = [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b, as strongSwan logged it
            for role, payloads in (("QM1", qm1), ("QM2", qm2)):
                spi = int(_one(payloads, 1)["proposals"][0]["spi"], 16)
                if spi in esp_by_spi:
                    seed = bytes.fromhex(esp_by_spi[spi]["seed"])
                    assert seed.endswith(bytes([3]) + spi.to_bytes(4, "big") + nonces[0] + nonces[1]), \
                        (side, mid, role, "nonces or SPI differ from strongSwan's KEYMAT seed")
        assert seen_spis == set(esp_by_spi), (side, sorted(map(hex, set(esp_by_spi) - seen_spis)))


WITH_TRANSACTION = [c for c in IKEV1 if _truth(c)["frames"].get("TRANSACTION")]


@pytest.mark.parametrize("case", WITH_TRANSACTION)
def test_transaction_payloads_match_strongswans(case: str) -> None:
    """Decrypted XAUTH and mode-config (Transaction exchange): the user name strongSwan was configured
    with and the virtual IP it assigned, in ikescope and in tshark."""
    _require_oracle()
    t = _truth(case)
    frames = t["frames"]["TRANSACTION"]
    for side, summaries in _sides(case):
        assert set(frames) <= set(summaries), (side, sorted(set(frames) - set(summaries)))
        attrs = [(cfg["cfg_type"], a, v) for cfg in (_one(summaries[n], 14) for n in frames)
                 for a, v in cfg["attributes"]]
        # ISAKMP_CFG_REPLY (2) with XAUTH-USER-NAME (16521) and INTERNAL_IP4_ADDRESS (1)
        # (draft-ietf-ipsec-isakmp-mode-cfg-05, draft-beaulieu-ike-xauth-02)
        assert (2, 16521, t["configured"]["xauth_user"].encode().hex()) in attrs, (side, attrs)
        assert (2, 1, ipaddress.ip_address(t["initiator"]["virtual_ip"]).packed.hex()) in attrs, (side, attrs)


# --------------------------------------------------------------------------
# 3. The --wireshark export, read back by tshark from the directory it was written to

def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("case", IKEV1)
def test_wireshark_export_round_trip(case: str, tmp_path: Path) -> None:
    """``keys --psk --dh-shared --wireshark DIR`` per IKE SA writes the lab's Ka for it; tshark with
    WIRESHARK_CONFIG_DIR=DIR decrypts what ikescope decrypts from the same PSK and g^xy, to the same fields."""
    _require_oracle()
    t = _truth(case)
    lab = dict(table_rows((CAPTURES / case / "ikev1_decryption_table").read_text()))
    cap = CAPTURES / case / "capture.pcap"
    for i, sa in enumerate(_sas(t)):
        out = tmp_path / f"sa{i}"
        r = _cli("keys", str(cap), "--psk", _psk(t), "--dh-shared", sa["g_xy"], "--wireshark", str(out))
        assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
        if len(_sas(t)) == 1:
            assert r.returncode == 0, r.stderr
        written = (out / "ikev1_decryption_table").read_text()
        assert written.startswith("# This file is automatically generated, DO NOT MODIFY.\n"), written
        rows = dict(table_rows(written))
        icookie = sa["initiator_cookie"]
        assert rows[icookie] == sa["enc_key"] == lab[icookie], (case, icookie, rows)

        ts = tshark_decryption(cap, str(out))  # tshark reads DIR/ikev1_decryption_table as its profile's UAT
        pkts = _ours(case, ((None, _psk(t), sa["g_xy"]),))  # what the command was given, for every SA
        problems, resent = compare_summaries(pkts, ts)
        assert not problems, _fail(case, f"tshark with {out} vs ikescope", problems)
        mine = {n for n, p in _encrypted_v1(pkts).items()
                if p.isakmp.decrypted and p.isakmp.header.icookie.hex() == icookie}
        theirs = {n for n in ts.valid if pkts[n].isakmp.header.icookie.hex() == icookie}
        assert mine and theirs == mine - set(resent), (case, icookie, sorted(mine), sorted(theirs))
        # and the SA's frames decrypt as with the lab's own table
        lab_ts = lab_table_decryption(case)
        assert {n: s for n, s in ts.valid.items() if n in theirs} == \
            {n: s for n, s in lab_ts.valid.items() if pkts[n].isakmp.header.icookie.hex() == icookie}


def test_export_leaves_out_keys_that_decrypt_nothing(tmp_path: Path) -> None:
    """v4-rekey-dpd has two IKE SAs; --dh-shared gives the first one's g^xy, which cannot be the second's."""
    case = "v4-rekey-dpd"
    t = _truth(case)
    first, second = _sas(t)
    r = _cli("keys", str(CAPTURES / case / "capture.pcap"), "--psk", _psk(t), "--dh-shared", first["g_xy"],
             "--wireshark", str(tmp_path), "--json")
    verdicts = {row["icookie"]: row for row in map(json.loads, r.stdout.splitlines())}
    assert verdicts[second["initiator_cookie"]]["decrypted"] == 0  # ikescope knows these keys are wrong
    rows = dict(table_rows((tmp_path / "ikev1_decryption_table").read_text()))
    assert rows.get(first["initiator_cookie"]) == first["enc_key"]
    assert second["initiator_cookie"] not in rows, rows

#!/usr/bin/env python3
"""Build captures/seed-ios-ipv6/: a capture synthesized to match the seed's Cisco IOS debug.

The seed (../shared/seed/000_e6e02144db6ec5bf.txt, a Russian translation of Cisco's
"IOS IPSec and IKE debugs - IKEv1 Main Mode Troubleshooting", document 113594) shows two IOS
15.2(1)T routers bringing up an IPv6 VTI: R2 (2001:DB8::2, the initiator) and 2001:DB8::3 (the
responder).  This script writes, deterministically (no randomness: every cookie, nonce, DH private
value and IV is a SHA-256 of a label):

* capture.pcap      Ethernet / IPv6 / UDP 500 both ways, and ESP: MM1-MM6, QM1-QM3, then the
                    9 ESP packets each way that the seed's ``show crypto ipsec sa`` counters imply;
                    every packet that a debug line logs is at that line's time plus the log's
                    clock offset (README.md);
* keys.toml         the PSK and the initiator's DH private value, for ``--keys``;
* ikev1_decryption_table, esp_sa   Wireshark's key tables (cookie + Ka; the two ESP SAs);
* truth.json        every value chosen or derived, and each frame's role and debug lines;
* initiator.log, responder.log     the seed's debug text, split by router (when the seed is present).

Messages are built with dissect.encode and keyed with ikescope's own key schedule
(dissect.keyschedule through dissect.encode.phase1_keys, dissect.espkeys for KEYMAT).

Run from anywhere:  python3 captures/seed-ios-ipv6/make_capture.py [--seed PATH]
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import socket
import struct
import sys
from pathlib import Path

import dpkt

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))

from dissect import dhgroups, encode as E, keyschedule as ks  # noqa: E402
from dissect.espkeys import QuickMode, esp_sas  # noqa: E402
from dissect.espsources import format_esp_sa_table  # noqa: E402
from dissect.keysources import format_ikev1_decryption_table  # noqa: E402
from dissect.payloads import decode_payload  # noqa: E402

SEED = REPO.parent / "shared" / "seed" / "000_e6e02144db6ec5bf.txt"

# --------------------------------------------------------------------------
# The scenario, as the seed gives it (or, where it is silent, as chosen and said)

INITIATOR, RESPONDER = "2001:db8::2", "2001:db8::3"      # R2 (Tunnel23 head) and its peer
PORT = 500                                              # all IKE on UDP 500 (the seed: dport 500 sport 500)
MAC = {INITIATOR: bytes.fromhex("aabbcc000200"), RESPONDER: bytes.fromhex("aabbcc000300")}  # IOU Ethernet0/0
PSK = b"cisco"           # Cisco's original document: "crypto isakmp key cisco address ipv6 ::/0"
YEAR = 2012              # the debug stamps carry no year
#: The capture clock (UTC) is this many seconds ahead of the initiator's debug clock ...
OFFSET_INITIATOR = 3 * 3600 + 27 * 60 + 13.250
#: ... and the responder's clock is 132 ms ahead of the initiator's: QM1 leaves R2 after IKE_P1_COMPLETE
#: (43.301) and reaches the responder at its 43.433; QM3 leaves R2 at 43.305 and arrives at its 43.437.
RESPONDER_AHEAD = 0.132
OFFSET_RESPONDER = OFFSET_INITIATOR - RESPONDER_AHEAD

# Phase 1: AES-CBC-128 / SHA-1 / PSK / DH group 2, 86400 s (IOS's default lifetime: the seed's
# configuration section lost its text; "crypto isakmp policy 10" sets no lifetime)
HASH_SHA1, CIPHER_AES, KEY_BITS, GROUP, LIFETIME = 2, 7, 128, 2, 86400
# Phase 2, from the seed's QM1 debug: ESP_AES 128, HMAC-SHA, tunnel, 3600 s and 4608000 KB
ESP_AES, AUTH_HMAC_SHA, QM_SECONDS, QM_KILOBYTES = 12, 2, 3600, 4608000
QM_MESSAGE_ID = 1371333358                              # "set new node 1371333358"
SPI_TO_INITIATOR = 0x45F16A9A   # R2's inbound SA (sa_dest 2001:DB8::2, conn 305), offered in QM1
SPI_TO_RESPONDER = 0x221A7153   # R2's outbound SA (sa_dest 2001:DB8::3, conn 306), chosen in QM2

# Vendor IDs (RFC 3947 and the NAT-T drafts IOS sends in MM1; Cisco Unity 1.0, RFC 3706 DPD)
VID_RFC3947 = bytes.fromhex("4a131c81070358455c5728f20e95452f")
VID_NATT_07 = bytes.fromhex("439b59f8ba676c4c7737ae22eab8f582")
VID_NATT_03 = bytes.fromhex("7d9419a65310ca6f2c179d9215529d56")
VID_NATT_02N = bytes.fromhex("90cb80913ebb696e086381b5ec427b1f")
VID_UNITY = bytes.fromhex("12f5f28c457168a9702d9fe274cc0100")
VID_DPD = bytes.fromhex("afcad71368a1f1c96b8696fc77570100")

# Payload types (RFC 2408 §3.1, RFC 3947 §3.2) and exchanges (RFC 2408 §4, RFC 2409 §5.5)
SA, KE, ID, HASH, NONCE, N, VID, NAT_D = 1, 4, 5, 8, 10, 11, 13, 20
MAIN_MODE, QUICK_MODE = 2, 32
INITIAL_CONTACT = 24578                                 # RFC 2407 §4.6.3.3

#: When each IKE packet is on the wire, in seconds after 08:33:43 on the initiator's clock: the
#: seed's stamps where a debug line logs the packet (R: on the responder's clock, minus 0.132), else
#: chosen between them.
IKE_TIMES = {
    "MM1": 0.241, "MM2": 0.249, "MM3": 0.257,            # not in the seed's debug (chosen)
    "MM4": 0.273,                                        # R2: received packet ... (I) MM_SA_SETUP
    "MM5": 0.293,                                        # R2: sending packet ... (I) MM_KEY_EXCH
    "MM6": 0.297,                                        # R2: received packet ... (I) MM_KEY_EXCH
    "QM1": 0.433 - RESPONDER_AHEAD,                      # responder: received packet ... (R) QM_IDLE
    "QM2": 0.303,                                        # chosen (between QM1 and QM3)
    "QM3": 0.437 - RESPONDER_AHEAD,                      # R2: Sending an IKE IPv6 Packet at 43.305; responder 43.437
}
#: Which debug line logs each packet (role -> [(log, stamp)]), for truth.json
LOGGED = {
    "MM4": [("initiator.log", "08:33:43.273")], "MM5": [("initiator.log", "08:33:43.293")],
    "MM6": [("initiator.log", "08:33:43.297")], "QM1": [("responder.log", "08:33:43.433")],
    "QM3": [("initiator.log", "08:33:43.305"), ("responder.log", "08:33:43.437")],
}

# ESP: 4 echo exchanges before the first "show crypto ipsec sa" (#pkts encaps: 4, decaps: 4), then
# the seed's "ping fe80::23:3": 5 x 100-byte ICMPv6 echoes, round trip min/avg/max = 8/11/20 ms
# (counters then 9 and 9).  (start on the initiator's clock, echo identifier, round-trip times in ms)
PINGS = [(dt.time(8, 33, 47, 512000), 0x1A2B, [14, 9, 10, 9]),
         (dt.time(8, 34, 20, 208000), 0x1A2C, [20, 8, 9, 9, 9])]
INNER_SRC, INNER_DST = "fe80::23:2", "fe80::23:3"        # Tunnel23 link-local addresses
PING_BYTES, PATTERN = 100, bytes.fromhex("abcd")         # IOS's datagram size and data pattern
GAP_MS = 1                                               # IOS sends the next echo when the reply is in


def secret(label: str, size: int) -> bytes:
    """A fixed value for ``label``: the first ``size`` bytes of SHA-256 chained on the label."""
    out, block = b"", label.encode()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return out[:size]


# --------------------------------------------------------------------------
# The exchange

def phase1_sa() -> bytes:
    """The SA payload body of MM1 and MM2: one ISAKMP proposal, one transform (the IOS attribute order)."""
    attrs = [E.attribute(1, CIPHER_AES), E.attribute(14, KEY_BITS), E.attribute(2, HASH_SHA1),
             E.attribute(4, GROUP), E.attribute(3, 1), E.attribute(11, 1), E.attribute(12, LIFETIME)]
    return E.sa_body([E.proposal(1, E.PROTO_ISAKMP, [E.transform(1, 1, attrs)])])


def phase2_sa(spi: int) -> bytes:
    """A Quick Mode SA payload body: ESP, one transform, attributes in the order the responder logged them
    (encaps, life type/duration in seconds (basic), in kilobytes (VPI, 4 bytes), authenticator, key length)."""
    attrs = [E.attribute(4, 1), E.attribute(1, 1), E.attribute(2, QM_SECONDS), E.attribute(1, 2),
             E.attribute(2, QM_KILOBYTES), E.attribute(5, AUTH_HMAC_SHA), E.attribute(6, KEY_BITS)]
    return E.sa_body([E.proposal(1, E.PROTO_ESP, [E.transform(1, ESP_AES, attrs)], spi.to_bytes(4, "big"))])


def build_exchange() -> dict:
    """Every IKE message and value of the exchange: {"messages": {role: (src, dst, bytes)}, ...}."""
    grp = dhgroups.group(GROUP)
    icky, rcky = secret("seed-ios-ipv6 initiator cookie", 8), secret("seed-ios-ipv6 responder cookie", 8)
    x_i, x_r = secret("seed-ios-ipv6 initiator DH private", 32), secret("seed-ios-ipv6 responder DH private", 32)
    g_xi, g_xr = dhgroups.public_value(grp, x_i), dhgroups.public_value(grp, x_r)
    gxy = dhgroups.shared_secret(grp, x_i, g_xr)
    assert gxy == dhgroups.shared_secret(grp, x_r, g_xi)
    ni, nr = secret("seed-ios-ipv6 Ni", 20), secret("seed-ios-ipv6 Nr", 20)   # IOS sends 20-byte nonces
    ni2, nr2 = secret("seed-ios-ipv6 Ni2", 20), secret("seed-ios-ipv6 Nr2", 20)
    zero = bytes(8)
    msgs: dict[str, tuple[str, str, bytes]] = {}

    sai_b = phase1_sa()
    msgs["MM1"] = (INITIATOR, RESPONDER, E.message(icky, zero, MAIN_MODE, E.chain(
        [(SA, sai_b), (VID, VID_RFC3947), (VID, VID_NATT_07), (VID, VID_NATT_03), (VID, VID_NATT_02N)])))
    msgs["MM2"] = (RESPONDER, INITIATOR, E.message(icky, rcky, MAIN_MODE, E.chain([(SA, phase1_sa()),
                                                                                     (VID, VID_RFC3947)])))

    def nat_d(address: str) -> bytes:
        return E.nat_d_hash(HASH_SHA1, icky, rcky, address, PORT)

    def mm34(ke: bytes, nonce: bytes, own_cookie: bytes, tail: str, local: str, remote: str) -> bytes:
        vids = [(VID, VID_UNITY), (VID, VID_DPD), (VID, E.ios_peer_vid(own_cookie, secret(tail, 8)))]
        return E.message(icky, rcky, MAIN_MODE, E.chain([(KE, ke), (NONCE, nonce)] + vids
                                                        + [(NAT_D, nat_d(remote)), (NAT_D, nat_d(local))]))
    msgs["MM3"] = (INITIATOR, RESPONDER, mm34(g_xi, ni, icky, "seed-ios-ipv6 initiator IOS VID", INITIATOR, RESPONDER))
    msgs["MM4"] = (RESPONDER, INITIATOR, mm34(g_xr, nr, rcky, "seed-ios-ipv6 responder IOS VID", RESPONDER, INITIATOR))

    keys = E.phase1_keys(HASH_SHA1, CIPHER_AES, KEY_BITS, PSK, ni, nr, g_xi, g_xr, gxy, icky, rcky)
    bs = keys.cipher.block_size

    def ident(address: str) -> bytes:   # "type : 5 ... protocol : 17 port : 500 length : 24"
        return E.id_body(5, E.id_data(5, address), 17, PORT)
    idii_b, idir_b = ident(INITIATOR), ident(RESPONDER)
    hash_i = ks.hash_i(HASH_SHA1, keys.skeyid, g_xi, g_xr, icky, rcky, sai_b, idii_b)
    hash_r = ks.hash_r(HASH_SHA1, keys.skeyid, g_xi, g_xr, icky, rcky, sai_b, idir_b)
    contact = E.notify_body(INITIAL_CONTACT, E.PROTO_ISAKMP, icky + rcky)
    mm5 = E.encrypted_message(icky, rcky, MAIN_MODE, E.chain([(ID, idii_b), (HASH, hash_i), (N, contact)]),
                              keys.cipher, keys.enc_key, keys.iv)
    mm6 = E.encrypted_message(icky, rcky, MAIN_MODE, E.chain([(ID, idir_b), (HASH, hash_r)]),
                              keys.cipher, keys.enc_key, E.last_block(mm5, bs))
    msgs["MM5"], msgs["MM6"] = (INITIATOR, RESPONDER, mm5), (RESPONDER, INITIATOR, mm6)

    any6 = E.id_body(6, E.id_data(6, "::/0"))           # local_proxy= ::/0/256/0 (ID_IPV6_ADDR_SUBNET)
    mid, a = QM_MESSAGE_ID, keys.skeyid_a
    sa_qm1, sa_qm2 = phase2_sa(SPI_TO_INITIATOR), phase2_sa(SPI_TO_RESPONDER)
    rest1 = E.chain([(SA, sa_qm1), (NONCE, ni2), (ID, any6), (ID, any6)])
    rest2 = E.chain([(SA, sa_qm2), (NONCE, nr2), (ID, any6), (ID, any6)])
    qm_iv = ks.phase2_iv(HASH_SHA1, E.last_block(mm6, bs), mid, bs)
    qm1 = E.encrypted_message(icky, rcky, QUICK_MODE, E.prepend(HASH, ks.qm_hash1(HASH_SHA1, a, mid, rest1.data),
                                                                rest1), keys.cipher, keys.enc_key, qm_iv, mid)
    qm2 = E.encrypted_message(icky, rcky, QUICK_MODE, E.prepend(HASH, ks.qm_hash2(HASH_SHA1, a, mid, ni2,
                                                                                  rest2.data), rest2),
                              keys.cipher, keys.enc_key, E.last_block(qm1, bs), mid)
    qm3 = E.encrypted_message(icky, rcky, QUICK_MODE, E.chain([(HASH, ks.qm_hash3(HASH_SHA1, a, mid, ni2, nr2))]),
                              keys.cipher, keys.enc_key, E.last_block(qm2, bs), mid)
    msgs["QM1"], msgs["QM2"], msgs["QM3"] = ((INITIATOR, RESPONDER, qm1), (RESPONDER, INITIATOR, qm2),
                                              (INITIATOR, RESPONDER, qm3))

    def proposals(body: bytes):  # the decoder's view of an SA payload, as dissect.espkeys takes it
        return decode_payload(1, SA, 0, len(body) + 4, 0, body).proposals
    qm = QuickMode(mid, INITIATOR, RESPONDER, ni2, nr2, proposals(sa_qm1), proposals(sa_qm2))
    esp = esp_sas(qm, HASH_SHA1, keys.skeyid_d, {}, "seed-ios-ipv6 Quick Mode")
    return {"messages": msgs, "keys": keys, "icookie": icky, "rcookie": rcky, "x_i": x_i, "x_r": x_r,
            "g_xi": g_xi, "g_xr": g_xr, "gxy": gxy, "ni": ni, "nr": nr, "ni2": ni2, "nr2": nr2,
            "hash_i": hash_i, "hash_r": hash_r, "esp": esp}


# --------------------------------------------------------------------------
# ESP: ICMPv6 echoes through Tunnel23

def icmpv6_echo(src: str, dst: str, kind: int, ident: int, seq: int) -> bytes:
    """An IPv6 packet of PING_BYTES bytes carrying an ICMPv6 echo request (128) or reply (129) with
    IOS's data pattern, its checksum over the RFC 8200 §8.1 pseudo-header (RFC 4443 §2.3)."""
    data = (PATTERN * PING_BYTES)[:PING_BYTES - 48]
    body = struct.pack(">BBHHH", kind, 0, 0, ident, seq) + data
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    pseudo = s + d + struct.pack(">IxxxB", len(body), 58) + body
    total = sum(struct.unpack(f">{len(pseudo) // 2}H", pseudo))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    body = body[:2] + struct.pack(">H", ~total & 0xFFFF) + body[4:]
    return struct.pack(">IHBB16s16s", 0x60000000, len(body), 58, 64, s, d) + body


def esp_traffic(sas) -> list[tuple[float, str, str, bytes, dict]]:
    """(seconds after 08:33:43 on the initiator's clock, src, dst, ESP packet, facts) for every echo."""
    out_sa = next(sa for sa in sas if sa.spi == SPI_TO_RESPONDER)
    in_sa = next(sa for sa in sas if sa.spi == SPI_TO_INITIATOR)
    base = dt.datetime.combine(dt.date(YEAR, 9, 21), dt.time(8, 33, 43))
    seq = {SPI_TO_RESPONDER: 0, SPI_TO_INITIATOR: 0}
    packets = []
    for start, ident, rtts in PINGS:
        t = (dt.datetime.combine(base.date(), start) - base).total_seconds()
        for n, rtt in enumerate(rtts):
            for sa, src, dst, kind, when in ((out_sa, INITIATOR, RESPONDER, 128, t),
                                             (in_sa, RESPONDER, INITIATOR, 129, t + rtt / 1000)):
                seq[sa.spi] += 1
                inner_src, inner_dst = (INNER_SRC, INNER_DST) if kind == 128 else (INNER_DST, INNER_SRC)
                inner = icmpv6_echo(inner_src, inner_dst, kind, ident, n)
                iv = secret(f"seed-ios-ipv6 ESP IV {sa.spi:08x} {seq[sa.spi]}", 16)
                packets.append((when, src, dst, E.esp_packet(sa, seq[sa.spi], iv, inner, 41),
                                {"spi": f"0x{sa.spi:08x}", "seq": seq[sa.spi], "icmpv6_type": kind,
                                 "echo_id": ident, "echo_seq": n}))
            t += (rtt + GAP_MS) / 1000
    return packets


# --------------------------------------------------------------------------
# The capture file

def frame(src: str, dst: str, next_header: int, payload: bytes, traffic_class: int) -> bytes:
    """Ethernet II / IPv6 / payload; UDP for IKE, with its checksum (RFC 8200 §8.1).  Hop limit 255:
    IOS sends IKE with TTL 255 (the public IOS captures), and a tunnel's outer header too (tunnel ttl)."""
    if next_header == 17:
        udp = dpkt.udp.UDP(sport=PORT, dport=PORT, data=payload)
        udp.ulen = 8 + len(payload)
        payload = udp
    ip6 = dpkt.ip6.IP6(src=socket.inet_pton(socket.AF_INET6, src), dst=socket.inet_pton(socket.AF_INET6, dst),
                       nxt=next_header, hlim=255, data=payload)
    ip6.fc = traffic_class
    ip6.plen = len(bytes(payload))
    return bytes(dpkt.ethernet.Ethernet(dst=MAC[dst], src=MAC[src], type=dpkt.ethernet.ETH_TYPE_IP6, data=ip6))


def epoch(seconds_after: float) -> float:
    """Capture time (epoch, UTC) of an instant given on the initiator's clock after 08:33:43."""
    base = dt.datetime(YEAR, 9, 21, 8, 33, 43, tzinfo=dt.timezone.utc).timestamp()
    return round(base + seconds_after + OFFSET_INITIATOR, 6)


def write_pcap(path: Path, rows: list[tuple[float, bytes]]) -> None:
    with path.open("wb") as f:
        w = dpkt.pcap.Writer(f, snaplen=65535, linktype=dpkt.pcap.DLT_EN10MB)
        for t, data in rows:
            w.writepkt(data, ts=t)


# --------------------------------------------------------------------------
# The logs: the seed's debug blocks, split by router

_FENCE = "```"
_STAMP = re.compile(r"^\*Sep 21 08:33:(\d\d\.\d{3}):")


def split_seed(text: str) -> tuple[list[str], list[str]]:
    """(initiator lines, responder lines) from the seed's code blocks, as they are.  A block stamped
    08:33:43.433 or later is the responder's (its clock runs 132 ms ahead; its debug is of QM1 and
    QM3); every other block is R2's: its debug, its prompts and its show output."""
    initiator: list[str] = []
    responder: list[str] = []
    block: list[str] | None = None
    for line in text.split("\n"):
        if line == _FENCE:
            if block is None:
                block = []
                continue
            stamps = [float(m.group(1)) for m in map(_STAMP.match, block) if m]
            (responder if stamps and min(stamps) >= 43.433 else initiator).extend(block)
            block = None
        elif block is not None:
            block.append(line)
    return initiator, responder


# --------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=Path, default=SEED, help="the seed document (to write the two logs)")
    ap.add_argument("--out", type=Path, default=HERE, help="the folder to write to (default: this one)")
    args = ap.parse_args()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    x = build_exchange()
    keys = x["keys"]
    rows = []   # (epoch, frame bytes, facts)
    for role, (src, dst, data) in x["messages"].items():
        rows.append((epoch(IKE_TIMES[role]), frame(src, dst, 17, data, 0xC0), {"label": role, "isakmp": data}))
    for when, src, dst, data, facts in esp_traffic(x["esp"]):
        rows.append((epoch(when), frame(src, dst, 50, data, 0), dict(facts, label="ESP", src=src, dst=dst)))
    rows.sort(key=lambda r: r[0])
    write_pcap(out / "capture.pcap", [(t, b) for t, b, _f in rows])

    (out / "keys.toml").write_text(
        "# ikescope keys file for the synthesized seed capture (see README.md, \"Keys and decryption\").\n"
        "# The PSK of Cisco's original document (crypto isakmp key cisco address ipv6 ::/0) and the\n"
        "# initiator's (R2's) DH private value, chosen for this capture (make_capture.py).\n"
        "[[tunnel]]\n"
        f"peer = \"{RESPONDER}\"\n"
        f"psk = \"{PSK.decode()}\"\n"
        f"dh_private = \"{x['x_i'].hex()}\"\n")
    (out / "ikev1_decryption_table").write_text(format_ikev1_decryption_table([(x["icookie"], keys.enc_key)]))
    (out / "esp_sa").write_text(format_esp_sa_table(x["esp"]))
    logs = {}
    if args.seed.is_file():
        init_lines, resp_lines = split_seed(args.seed.read_text(encoding="utf-8"))
        for name, lines in (("initiator.log", init_lines), ("responder.log", resp_lines)):
            (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        print(f"make_capture: {args.seed} not found; initiator.log and responder.log left as they are",
              file=sys.stderr)
    for name, offset in (("initiator.log", OFFSET_INITIATOR), ("responder.log", OFFSET_RESPONDER)):
        if (out / name).is_file():
            logs[name] = logged_packets(out / name, offset)
    (out / "truth.json").write_text(json.dumps(truth(x, rows, logs), indent=1, ensure_ascii=False) + "\n")
    return 0


def logged_packets(path: Path, offset: float) -> dict[float, list[int]]:
    """Capture time -> the lines of the packet events (received/sending packet) of a log that happen
    then: the event's stamp plus the log's clock offset."""
    from correlate.logparse import parse_log
    found: dict[float, list[int]] = {}
    for e in parse_log(str(path), year=YEAR).events:
        if e.kind == "packet" and e.time is not None:
            t = round(e.time.replace(tzinfo=dt.timezone.utc).timestamp() + offset, 6)
            found.setdefault(t, []).append(e.record.line)
    return found


def truth(x: dict, rows: list, logs: dict) -> dict:
    """truth.json: the lab cases' fields where they make sense, and what this capture adds."""
    keys = x["keys"]
    hexs = {k: x[k].hex() for k in ("g_xi", "g_xr", "gxy", "ni", "nr", "ni2", "nr2")}
    table, frames = [], {}
    for n, (t, data, facts) in enumerate(rows, 1):
        label = facts["label"]
        frames.setdefault(label, []).append(n)
        row = {"frame": n, "time": t, "frame_len": len(data), "label": label}
        if label == "ESP":
            row.update(kind="ESP", src=facts["src"], dst=facts["dst"], spi=facts["spi"], seq=facts["seq"],
                       inner=f"ICMPv6 {'echo request' if facts['icmpv6_type'] == 128 else 'echo reply'} "
                             f"id=0x{facts['echo_id']:04x} seq={facts['echo_seq']}")
        else:
            src, dst, msg = x["messages"][label]
            exch = msg[18]
            row.update(kind="ISAKMP", src=src, dst=dst, sport=PORT, dport=PORT, ispi=msg[:8].hex(),
                       rspi=msg[8:16].hex(), exchtype=exch, mid=int.from_bytes(msg[20:24], "big"),
                       isakmp_len=len(msg), exch={MAIN_MODE: "ID_PROT", QUICK_MODE: "QUICK_MODE"}[exch],
                       from_initiator_host=src == INITIATOR, encrypted=bool(msg[19] & 1),
                       logged=[{"file": f, "stamp": s} for f, s in LOGGED.get(label, [])],
                       log_lines={name: found.get(t, []) for name, found in logs.items()})
        table.append(row)
    esp_rows = [{"spi": f"0x{sa.spi:08x}", "src": sa.src, "dst": sa.dst, "enc_key": sa.enc_key.hex(),
                 "auth_key": sa.auth_key.hex(), "enc_alg": "AES_CBC_128", "auth_alg": "HMAC_SHA1_96",
                 "wireshark_enc": sa.enc.wireshark, "wireshark_auth": sa.auth.wireshark,
                 "installed_as": {"initiator": "outbound" if sa.src == INITIATOR else "inbound",
                                  "responder": "inbound" if sa.src == INITIATOR else "outbound"},
                 "ios_conn_id_initiator": 306 if sa.spi == SPI_TO_RESPONDER else 305,
                 "packets": sum(1 for r in table if r.get("spi") == f"0x{sa.spi:08x}")}
                for sa in x["esp"]]
    return {
        "case": "seed-ios-ipv6",
        "synthesized": True,
        "description": "Synthesized to match the seed's Cisco IOS 15.2(1)T debug (IPv6 VTI Tunnel23, Main Mode "
                       "PSK AES-128/SHA-1/DH 2, Quick Mode ESP AES-128/HMAC-SHA1 tunnel 3600 s / 4608000 KB, "
                       "then the ICMPv6 echoes its show crypto ipsec sa counters imply); built by make_capture.py "
                       "with dissect.encode and ikescope's own key schedule.",
        "seed": "shared/seed/000_e6e02144db6ec5bf.txt",
        "expected": "up",
        "ip_version": 6,
        "ike_version": 1,
        "exchange_mode": "main",
        "initiator": {"name": "R2", "addr": INITIATOR, "log": "initiator.log", "tunnel_addr": INNER_SRC.upper()},
        "responder": {"addr": RESPONDER, "log": "responder.log", "tunnel_addr": INNER_DST.upper()},
        "psk": PSK.decode(),
        "psk_initiator": PSK.decode(),
        "psk_responder": PSK.decode(),
        "clock": {"year": YEAR, "capture_minus_initiator_log_s": OFFSET_INITIATOR,
                  "capture_minus_responder_log_s": round(OFFSET_RESPONDER, 3),
                  "responder_ahead_of_initiator_s": RESPONDER_AHEAD,
                  "note": "capture time (UTC epoch) = the debug stamp (Sep 21, year above, read as UTC) + the "
                          "log's offset; the responder's router clock runs 132 ms ahead of R2's"},
        "frame_count": len(rows),
        "frame_table": table,
        "frames": frames,
        "initiator_cookie": x["icookie"].hex(),
        "responder_cookie": x["rcookie"].hex(),
        "dh_private_initiator": x["x_i"].hex(),
        "dh_private_responder": x["x_r"].hex(),
        "Ni": hexs["ni"], "Nr": hexs["nr"], "g_xi": hexs["g_xi"], "g_xr": hexs["g_xr"], "g_xy": hexs["gxy"],
        "SKEYID": keys.skeyid.hex(), "SKEYID_d": keys.skeyid_d.hex(), "SKEYID_a": keys.skeyid_a.hex(),
        "SKEYID_e": keys.skeyid_e.hex(), "enc_key": keys.enc_key.hex(), "initial_iv": keys.iv.hex(),
        "HASH_I": x["hash_i"].hex(), "HASH_R": x["hash_r"].hex(),
        "cipher": "AES_CBC_128", "hash": "SHA1", "prf": "PRF_HMAC_SHA1", "dh_group": "MODP_1024",
        "dh_group_number": GROUP, "phase1_lifetime_s": LIFETIME,
        "quick_mode_message_ids": [f"{QM_MESSAGE_ID:08x}"],
        "quick_modes": [{"message_id": QM_MESSAGE_ID, "message_id_hex": f"{QM_MESSAGE_ID:08x}",
                         "qm_initiator": "initiator", "Ni2": hexs["ni2"], "Nr2": hexs["nr2"],
                         "lifetime_s": QM_SECONDS, "lifetime_kb": QM_KILOBYTES, "pfs": False}],
        "quick_mode_frames": {f"{QM_MESSAGE_ID:08x}": {r: frames[r][0] for r in ("QM1", "QM2", "QM3")}},
        "esp_sas": esp_rows,
        "qm_pfs_g_xy": [],
        "ping": {"counters_before": 4, "counters_after": 9, "size_bytes": PING_BYTES,
                 "rtt_ms": PINGS[1][2], "first_exchanges_rtt_ms": PINGS[0][2]},
    }


if __name__ == "__main__":
    sys.exit(main())

"""Generate the 1M-packet benchmark capture (issue 2, Performance).

Shape: 1,000,000 Ethernet frames, about 500 MB:
  * 40 % IPv6 TCP, 40 % IPv4 UDP (neither port 500 nor 4500);
  * 20 % IPv6 ESP (IP protocol 50), AES-128-CBC + HMAC-SHA1-96 with real
    encryption, two SAs, keys written to ``<out>.esp_sa`` (Wireshark UAT form);
  * 1,000 IKE frames copied from a lab capture, spread evenly.

Usage: python bench/make_big.py OUT.pcap [--packets N] [--lab-case DIR]
"""
from __future__ import annotations

import argparse
import hmac
import os
import random
import struct
import sys
from pathlib import Path

import dpkt
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

HERE = Path(__file__).resolve().parent
DEFAULT_LAB = HERE.parent / "captures" / "v6-aes128-sha1-modp1024"

ESP_SAS = [
    # spi, src, dst, enc key, auth key
    (0x1000A001, "2001:db8:10::1", "2001:db8:20::1",
     bytes.fromhex("00112233445566778899aabbccddeeff"),
     bytes.fromhex("0102030405060708090a0b0c0d0e0f1011121314")),
    (0x2000B002, "2001:db8:20::1", "2001:db8:10::1",
     bytes.fromhex("ffeeddccbbaa99887766554433221100"),
     bytes.fromhex("14131211100f0e0d0c0b0a090807060504030201")),
]


def eth(payload: bytes, ethertype: int) -> bytes:
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + struct.pack(">H", ethertype) + payload


def ip6(src: str, dst: str, nxt: int, payload: bytes) -> bytes:
    import socket
    return (struct.pack(">IHBB", 0x60000000, len(payload), nxt, 64)
            + socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + payload)


def ip4(src: str, dst: str, proto: int, payload: bytes) -> bytes:
    ip = dpkt.ip.IP(src=bytes(map(int, src.split("."))), dst=bytes(map(int, dst.split("."))), p=proto,
                    ttl=64, data=payload)
    ip.len = 20 + len(payload)
    return bytes(ip)


def esp_packet(sa, seq: int, inner: bytes, rnd: random.Random) -> bytes:
    spi, _src, _dst, ekey, akey = sa
    pad_len = (-(len(inner) + 2)) % 16
    plain = inner + bytes(range(1, pad_len + 1)) + bytes([pad_len, 41])  # next header: IPv6
    iv = rnd.randbytes(16)
    enc = Cipher(algorithms.AES(ekey), modes.CBC(iv)).encryptor()
    body = struct.pack(">II", spi, seq) + iv + enc.update(plain) + enc.finalize()
    icv = hmac.new(akey, body, "sha1").digest()[:12]
    return body + icv


def lab_ike_frames(case: Path) -> list[bytes]:
    with open(case / "capture.pcap", "rb") as f:
        rd = dpkt.pcap.Reader(f)
        lt = rd.datalink()
        out = []
        for _ts, buf in rd:
            if lt == dpkt.pcap.DLT_EN10MB:
                out.append(buf)
            elif lt in (dpkt.pcap.DLT_LINUX_SLL, 113):
                proto = struct.unpack(">H", buf[14:16])[0]
                out.append(eth(buf[16:], proto))
            else:
                raise SystemExit(f"unsupported link type {lt} in {case}")
    # keep ISAKMP only (UDP 500, or 4500 with the non-ESP marker)
    ike = []
    for buf in out:
        pkt = dpkt.ethernet.Ethernet(buf)
        ip = pkt.data
        udp = getattr(ip, "data", None)
        if isinstance(udp, dpkt.udp.UDP) and (udp.dport == 500 or (udp.dport == 4500 and bytes(udp.data)[:4] == b"\0\0\0\0")):
            ike.append(buf)
    return ike


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--ike-frames", type=int, default=1000)
    ap.add_argument("--lab-case", type=Path, default=DEFAULT_LAB)
    ap.add_argument("--seed", type=int, default=2)
    a = ap.parse_args(argv)

    rnd = random.Random(a.seed)
    ike = lab_ike_frames(a.lab_case)
    if not ike:
        raise SystemExit("no IKE frames in the lab case")
    ike_every = max(1, a.packets // max(1, a.ike_frames))
    seqs = [0, 0]
    t0 = 1_800_000_000.0
    tcp_payload = rnd.randbytes(1400)
    udp_payload = rnd.randbytes(1400)
    inner_payload = rnd.randbytes(1200)
    with open(a.out, "wb") as f:
        w = dpkt.pcap.Writer(f, linktype=dpkt.pcap.DLT_EN10MB, snaplen=65535)
        ike_i = 0
        for n in range(a.packets):
            ts = t0 + n * 0.0001
            if n % ike_every == ike_every // 2 and ike_i < a.ike_frames:
                w.writepkt(ike[ike_i % len(ike)], ts)
                ike_i += 1
                continue
            r = n % 5
            size = 60 + rnd.randrange(820)
            if r in (0, 1):   # IPv6 TCP
                tcp = dpkt.tcp.TCP(sport=443, dport=40000 + n % 20000, seq=n, flags=0x18, data=tcp_payload[:size])
                w.writepkt(eth(ip6("2001:db8:a::1", "2001:db8:b::1", 6, bytes(tcp)), 0x86DD), ts)
            elif r in (2, 3):  # IPv4 UDP
                udp = dpkt.udp.UDP(sport=5353 + n % 7, dport=53 + (n % 3) * 1000, data=udp_payload[:size])
                udp.ulen = 8 + size
                w.writepkt(eth(ip4("198.51.100.7", "203.0.113.9", 17, bytes(udp)), 0x0800), ts)
            else:             # IPv6 ESP
                d = (n // 5) % 2
                seqs[d] += 1
                sa = ESP_SAS[d]
                inner = ip6(sa[1].replace("::1", "::100"), sa[2].replace("::1", "::200"), 59, inner_payload[:size])
                w.writepkt(eth(ip6(sa[1], sa[2], 50, esp_packet(sa, seqs[d], inner, rnd)), 0x86DD), ts)
    with open(a.out + ".esp_sa", "w") as f:
        for spi, src, dst, ek, ak in ESP_SAS:
            f.write(f'"IPv6","{src}","{dst}","0x{spi:08x}","AES-CBC [RFC3602]","0x{ek.hex()}",'
                    f'"HMAC-SHA-1-96 [RFC2404]","0x{ak.hex()}"\n')
    print(f"wrote {a.out}: {a.packets} packets, {os.path.getsize(a.out) / 1e6:.0f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

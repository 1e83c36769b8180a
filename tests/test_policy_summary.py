"""The one-line policy summary of an SA transform (the packet list's SA(...) column)."""
from __future__ import annotations

import json
import struct

from conftest import CAPTURES
from dissect.payloads import Transform, parse_attributes
from dissect.pipeline import Dissector
from dissect.registry import IPSEC_ATTRIBUTES

CASE = CAPTURES / "v6-aes128-sha1-modp1024"


def test_phase1_summary_from_the_lab_capture():
    """MM1/MM2 of the IPv6 lab case: strongSwan's aes128-sha1-modp1024, PSK (truth.json)."""
    truth = json.loads((CASE / "truth.json").read_text())
    assert truth["configured"]["proposals"] == "aes128-sha1-modp1024"
    pkts = {p.frame: p for p in Dissector(str(CASE / "capture.pcap")).packets()}
    for frame in truth["frames"]["MM1"] + truth["frames"]["MM2"]:
        sa = pkts[frame].isakmp.payloads[0]
        assert sa.short == "SA"
        # AES-CBC with a 128-bit key, SHA-1, pre-shared key, MODP 1024 = group 2, 86400 s (lab IKE lifetime)
        assert sa.summary() == "AES-CBC-128 SHA PSK DH2 86400s"


def _attrs(pairs):
    raw = b""
    for t, v in pairs:
        if v < 0x10000:
            raw += struct.pack(">HH", 0x8000 | t, v)
        else:  # variable length, as IOS sends SA life duration (VPI) 0x0 0x46 0x50 0x0
            raw += struct.pack(">HH", t, 4) + v.to_bytes(4, "big")
    return parse_attributes(raw, 0, IPSEC_ATTRIBUTES, [])


def test_ipsec_summary_of_the_seed_transform():
    """The seed's Quick Mode proposal (RFC 2407 §4.5 numbers): ESP_AES (12), key length 128,
    HMAC-SHA (2), tunnel (1), 3600 seconds and 4608000 kilobytes."""
    attrs = _attrs([(1, 1), (2, 3600), (1, 2), (2, 4608000), (4, 1), (5, 2), (6, 128)])
    t = Transform(1, 12, 3, attrs, 0, 0)
    assert t.summary() == "ESP AES-128 HMAC-SHA Tunnel 3600s 4608000KB"


def test_ipsec_summary_with_pfs_and_nat_t():
    """PFS group 14 and UDP-Encapsulated-Tunnel (RFC 3947 value 3)."""
    attrs = _attrs([(3, 14), (4, 3), (5, 5), (6, 256), (1, 1), (2, 28800)])
    t = Transform(1, 12, 3, attrs, 0, 0)
    assert t.summary() == "ESP AES-256 HMAC-SHA2-256 UDP-Encapsulated-Tunnel PFS-DH14 28800s"

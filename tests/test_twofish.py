"""dissect.twofish against published Twofish values and a real TWOFISH-CBC ESP capture.

Known answers (all from the Twofish AES submission, Schneier et al. 1998):

* ``ECB_TBL.TXT`` ("Tables Known Answer Test: tests permutation tables and MDS
  matrix multiply tables"): for each key size a chain of 49 encryptions
  starting from an all-zero key and plaintext, where step I+1 encrypts the
  previous ciphertext under the key made of the previous plaintext followed by
  the previous key (truncated to the key size).  Steps 1-10, 48 and 49 are
  checked below, so the whole chain is exercised.
* ``ECB_IVAL.TXT`` / the paper's appendix: the "counting" 192- and 256-bit keys
  0123456789ABCDEFFEDCBA9876543210 0011223344556677 [8899AABBCCDDEEFF] with an
  all-zero plaintext (the 128-bit vector there is the zero key, I=1 above).

The capture is ``wireshark-wiki/ipsec_esp_capture_3`` (SPIs 12 and 13:
TWOFISH-CBC with 16- and 32-byte keys, HMAC-SHA-1-96), decrypted here with
plain CBC over :class:`TwofishEcbDecryptor` and, when tshark is installed,
compared frame by frame with Wireshark's own decryption (libgcrypt).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import dpkt
import pytest

from dissect.twofish import Twofish, TwofishEcbDecryptor, TwofishError

# --------------------------------------------------------------------------
# Known-answer tests
# --------------------------------------------------------------------------

# ECB_TBL.TXT: {key size in bits: {I: (KEY, PT, CT)}}.
ECB_TBL = {
    128: {
        1: ("00000000000000000000000000000000", "00000000000000000000000000000000",
            "9F589F5CF6122C32B6BFEC2F2AE8C35A"),
        2: ("00000000000000000000000000000000", "9F589F5CF6122C32B6BFEC2F2AE8C35A",
            "D491DB16E7B1C39E86CB086B789F5419"),
        3: ("9F589F5CF6122C32B6BFEC2F2AE8C35A", "D491DB16E7B1C39E86CB086B789F5419",
            "019F9809DE1711858FAAC3A3BA20FBC3"),
        4: ("D491DB16E7B1C39E86CB086B789F5419", "019F9809DE1711858FAAC3A3BA20FBC3",
            "6363977DE839486297E661C6C9D668EB"),
        5: ("019F9809DE1711858FAAC3A3BA20FBC3", "6363977DE839486297E661C6C9D668EB",
            "816D5BD0FAE35342BF2A7412C246F752"),
        6: ("6363977DE839486297E661C6C9D668EB", "816D5BD0FAE35342BF2A7412C246F752",
            "5449ECA008FF5921155F598AF4CED4D0"),
        7: ("816D5BD0FAE35342BF2A7412C246F752", "5449ECA008FF5921155F598AF4CED4D0",
            "6600522E97AEB3094ED5F92AFCBCDD10"),
        8: ("5449ECA008FF5921155F598AF4CED4D0", "6600522E97AEB3094ED5F92AFCBCDD10",
            "34C8A5FB2D3D08A170D120AC6D26DBFA"),
        9: ("6600522E97AEB3094ED5F92AFCBCDD10", "34C8A5FB2D3D08A170D120AC6D26DBFA",
            "28530B358C1B42EF277DE6D4407FC591"),
        10: ("34C8A5FB2D3D08A170D120AC6D26DBFA", "28530B358C1B42EF277DE6D4407FC591",
             "8A8AB983310ED78C8C0ECDE030B8DCA4"),
        48: ("137A24CA47CD12BE818DF4D2F4355960", "BCA724A54533C6987E14AA827952F921",
             "6B459286F3FFD28D49F15B1581B08E42"),
        49: ("BCA724A54533C6987E14AA827952F921", "6B459286F3FFD28D49F15B1581B08E42",
             "5D9D4EEFFA9151575524F115815A12E0"),
    },
    192: {
        1: ("000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000", "EFA71F788965BD4453F860178FC19101"),
        2: ("000000000000000000000000000000000000000000000000",
            "EFA71F788965BD4453F860178FC19101", "88B2B2706B105E36B446BB6D731A1E88"),
        3: ("EFA71F788965BD4453F860178FC191010000000000000000",
            "88B2B2706B105E36B446BB6D731A1E88", "39DA69D6BA4997D585B6DC073CA341B2"),
        4: ("88B2B2706B105E36B446BB6D731A1E88EFA71F788965BD44",
            "39DA69D6BA4997D585B6DC073CA341B2", "182B02D81497EA45F9DAACDC29193A65"),
        5: ("39DA69D6BA4997D585B6DC073CA341B288B2B2706B105E36",
            "182B02D81497EA45F9DAACDC29193A65", "7AFF7A70CA2FF28AC31DD8AE5DAAAB63"),
        6: ("182B02D81497EA45F9DAACDC29193A6539DA69D6BA4997D5",
            "7AFF7A70CA2FF28AC31DD8AE5DAAAB63", "D1079B789F666649B6BD7D1629F1F77E"),
        7: ("7AFF7A70CA2FF28AC31DD8AE5DAAAB63182B02D81497EA45",
            "D1079B789F666649B6BD7D1629F1F77E", "3AF6F7CE5BD35EF18BEC6FA787AB506B"),
        8: ("D1079B789F666649B6BD7D1629F1F77E7AFF7A70CA2FF28A",
            "3AF6F7CE5BD35EF18BEC6FA787AB506B", "AE8109BFDA85C1F2C5038B34ED691BFF"),
        9: ("3AF6F7CE5BD35EF18BEC6FA787AB506BD1079B789F666649",
            "AE8109BFDA85C1F2C5038B34ED691BFF", "893FD67B98C550073571BD631263FC78"),
        10: ("AE8109BFDA85C1F2C5038B34ED691BFF3AF6F7CE5BD35EF1",
             "893FD67B98C550073571BD631263FC78", "16434FC9C8841A63D58700B5578E8F67"),
        48: ("DEA4F3DA75EC7A8EAC3861A9912402CD5DBE44032769DF54",
             "FB66522C332FCC4C042ABE32FA9E902F", "F0AB73301125FA21EF70BE5385FB76B6"),
        49: ("FB66522C332FCC4C042ABE32FA9E902FDEA4F3DA75EC7A8E",
             "F0AB73301125FA21EF70BE5385FB76B6", "E75449212BEEF9F4A390BD860A640941"),
    },
    256: {
        1: ("0000000000000000000000000000000000000000000000000000000000000000",
            "00000000000000000000000000000000", "57FF739D4DC92C1BD7FC01700CC8216F"),
        2: ("0000000000000000000000000000000000000000000000000000000000000000",
            "57FF739D4DC92C1BD7FC01700CC8216F", "D43BB7556EA32E46F2A282B7D45B4E0D"),
        3: ("57FF739D4DC92C1BD7FC01700CC8216F00000000000000000000000000000000",
            "D43BB7556EA32E46F2A282B7D45B4E0D", "90AFE91BB288544F2C32DC239B2635E6"),
        4: ("D43BB7556EA32E46F2A282B7D45B4E0D57FF739D4DC92C1BD7FC01700CC8216F",
            "90AFE91BB288544F2C32DC239B2635E6", "6CB4561C40BF0A9705931CB6D408E7FA"),
        5: ("90AFE91BB288544F2C32DC239B2635E6D43BB7556EA32E46F2A282B7D45B4E0D",
            "6CB4561C40BF0A9705931CB6D408E7FA", "3059D6D61753B958D92F4781C8640E58"),
        6: ("6CB4561C40BF0A9705931CB6D408E7FA90AFE91BB288544F2C32DC239B2635E6",
            "3059D6D61753B958D92F4781C8640E58", "E69465770505D7F80EF68CA38AB3A3D6"),
        7: ("3059D6D61753B958D92F4781C8640E586CB4561C40BF0A9705931CB6D408E7FA",
            "E69465770505D7F80EF68CA38AB3A3D6", "5AB67A5F8539A4A5FD9F0373BA463466"),
        8: ("E69465770505D7F80EF68CA38AB3A3D63059D6D61753B958D92F4781C8640E58",
            "5AB67A5F8539A4A5FD9F0373BA463466", "DC096BCD99FC72F79936D4C748E75AF7"),
        9: ("5AB67A5F8539A4A5FD9F0373BA463466E69465770505D7F80EF68CA38AB3A3D6",
            "DC096BCD99FC72F79936D4C748E75AF7", "C5A3E7CEE0F1B7260528A68FB4EA05F2"),
        10: ("DC096BCD99FC72F79936D4C748E75AF75AB67A5F8539A4A5FD9F0373BA463466",
             "C5A3E7CEE0F1B7260528A68FB4EA05F2", "43D5CEC327B24AB90AD34A79D0469151"),
        48: ("2E2158BC3E5FC714C1EEECA0EA696D48D2DED73E59319A8138E0331F0EA149EA",
             "248A7F3528B168ACFDD1386E3F51E30C", "431058F4DBC7F734DA4F02F04CC4F459"),
        49: ("248A7F3528B168ACFDD1386E3F51E30C2E2158BC3E5FC714C1EEECA0EA696D48",
             "431058F4DBC7F734DA4F02F04CC4F459", "37FE26FF1CF66175F5DDF4C33B97A205"),
    },
}

# ECB_IVAL.TXT (and the paper's appendix): key, plaintext, ciphertext.
ECB_IVAL = [
    ("00000000000000000000000000000000",
     "00000000000000000000000000000000", "9F589F5CF6122C32B6BFEC2F2AE8C35A"),
    ("0123456789ABCDEFFEDCBA98765432100011223344556677",
     "00000000000000000000000000000000", "CFD1D2E5A9BE9CDF501F13B892BD2248"),
    ("0123456789ABCDEFFEDCBA987654321000112233445566778899AABBCCDDEEFF",
     "00000000000000000000000000000000", "37527BE0052334B89F0CFCCAE87CFA20"),
]

_TBL_CASES = [(bits, i, *row) for bits, rows in ECB_TBL.items() for i, row in rows.items()]


@pytest.mark.parametrize("bits,i,key,pt,ct", _TBL_CASES,
                         ids=[f"{c[0]}-I{c[1]}" for c in _TBL_CASES])
def test_ecb_tbl_entry(bits: int, i: int, key: str, pt: str, ct: str) -> None:
    cipher = Twofish(bytes.fromhex(key))
    assert len(bytes.fromhex(key)) * 8 == bits
    assert cipher.encrypt_block(bytes.fromhex(pt)).hex().upper() == ct
    assert cipher.decrypt_block(bytes.fromhex(ct)).hex().upper() == pt


@pytest.mark.parametrize("bits", sorted(ECB_TBL))
def test_ecb_tbl_chain(bits: int) -> None:
    """Run the 49-step chain from the zero key and compare every published step."""
    size = bits // 8
    key, pt = bytes(size), bytes(16)
    for i in range(1, 50):
        ct = Twofish(key).encrypt_block(pt)
        if i in ECB_TBL[bits]:
            assert (key.hex().upper(), pt.hex().upper(), ct.hex().upper()) == ECB_TBL[bits][i], i
        key, pt = (pt + key)[:size], ct
    assert i == 49


@pytest.mark.parametrize("key,pt,ct", ECB_IVAL, ids=["128", "192", "256"])
def test_ecb_ival_vectors(key: str, pt: str, ct: str) -> None:
    cipher = Twofish(bytes.fromhex(key))
    assert cipher.encrypt_block(bytes.fromhex(pt)).hex().upper() == ct
    assert cipher.decrypt_block(bytes.fromhex(ct)).hex().upper() == pt
    assert TwofishEcbDecryptor(bytes.fromhex(key)).update(bytes.fromhex(ct)).hex().upper() == pt


# --------------------------------------------------------------------------
# Round trips, key padding, errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("key_len", [1, 5, 15, 16, 17, 23, 24, 25, 31, 32])
def test_round_trip(key_len: int) -> None:
    rng = random.Random(key_len)
    cipher = Twofish(rng.randbytes(key_len))
    for _ in range(20):
        block = rng.randbytes(16)
        ct = cipher.encrypt_block(block)
        assert ct != block
        assert cipher.decrypt_block(ct) == block


@pytest.mark.parametrize("key_len,padded_len", [(1, 16), (10, 16), (17, 24), (24, 24), (25, 32)])
def test_short_key_is_zero_padded(key_len: int, padded_len: int) -> None:
    """Paper section 4.3.1: a key of another byte length is padded with zeros to the next size."""
    key = bytes(range(1, key_len + 1))
    block = bytes(range(16))
    short, padded = Twofish(key), Twofish(key.ljust(padded_len, b"\0"))
    assert short.encrypt_block(block) == padded.encrypt_block(block)
    assert short.key_size == padded_len


def test_ecb_decryptor_is_blockwise() -> None:
    rng = random.Random(7)
    key = rng.randbytes(32)
    cipher = Twofish(key)
    blocks = [rng.randbytes(16) for _ in range(5)]
    ct = b"".join(cipher.encrypt_block(b) for b in blocks)
    decryptor = TwofishEcbDecryptor(key)
    assert decryptor.update(ct) == b"".join(blocks)
    assert decryptor.update(bytearray(ct[16:32])) == blocks[1]
    assert decryptor.update(b"") == b""


@pytest.mark.parametrize("key", [b"", bytes(33), "0123456789abcdef", None])
def test_bad_key(key: object) -> None:
    with pytest.raises(TwofishError):
        Twofish(key)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        TwofishEcbDecryptor(key)  # type: ignore[arg-type]


@pytest.mark.parametrize("block", [b"", bytes(15), bytes(17), "x" * 16])
def test_bad_block(block: object) -> None:
    cipher = Twofish(bytes(16))
    with pytest.raises(TwofishError):
        cipher.encrypt_block(block)  # type: ignore[arg-type]
    with pytest.raises(TwofishError):
        cipher.decrypt_block(block)  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [bytes(1), bytes(15), bytes(17), bytes(33), "x" * 16])
def test_ecb_decryptor_rejects_bad_data(data: object) -> None:
    with pytest.raises(TwofishError):
        TwofishEcbDecryptor(bytes(16)).update(data)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# The Wireshark wiki capture ipsec_esp_capture_3
# --------------------------------------------------------------------------

CAPTURE_DIR = (Path(__file__).resolve().parents[2] / "shared" / "public-captures"
               / "wireshark-wiki" / "ipsec_esp_capture_3")
AUTH_KEY = b"hmacsha1authenticati"
ICV_LEN = 12
IV_LEN = 16
# SPI -> (encryption key, destination), from the capture's esp_sa / ipsec.conf.
TWOFISH_SAS = {
    12: (b"twofishcbctestin", "190.0.0.4"),
    13: (b"twofishcbctestintwofishcbctestin", "190.0.0.5"),
}
IPPROTO_ESP = 50
IPPROTO_ICMP = 1


def _require_capture() -> Path:
    if not (CAPTURE_DIR / "capture.pcap").is_file():
        pytest.skip(f"public capture not present at {CAPTURE_DIR} "
                    "(the shared public captures sit beside the repository)")
    return CAPTURE_DIR


def _cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    """CBC over the ECB decryptor: P_i = D(C_i) xor C_(i-1), C_0 = IV."""
    ecb = TwofishEcbDecryptor(key).update(ciphertext)
    chain = iv + ciphertext[:-16]
    return bytes(a ^ b for a, b in zip(ecb, chain))


def _ones_complement_sum_ok(data: bytes) -> bool:
    if len(data) % 2:
        data += b"\0"
    total = sum(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total == 0xFFFF


def _esp_frames(pcap: Path) -> list[tuple[int, int, str, bytes]]:
    """(frame number, SPI, destination, ESP bytes) for every IPv4 ESP packet."""
    frames = []
    with pcap.open("rb") as f:
        for number, (_ts, raw) in enumerate(dpkt.pcap.Reader(f), start=1):
            ip = dpkt.ethernet.Ethernet(raw).data
            if not isinstance(ip, dpkt.ip.IP) or ip.p != IPPROTO_ESP:
                continue
            esp = bytes(ip.data)
            frames.append((number, int.from_bytes(esp[:4], "big"),
                           ".".join(str(b) for b in ip.dst), esp))
    return frames


def _decrypt_twofish_frames(capture: Path) -> dict[int, bytes]:
    """Frame number -> inner payload (padding and trailer removed), checking ICV and trailer."""
    out: dict[int, bytes] = {}
    for number, spi, dst, esp in _esp_frames(capture / "capture.pcap"):
        if spi not in TWOFISH_SAS:
            continue
        key, expected_dst = TWOFISH_SAS[spi]
        assert dst == expected_dst, number
        authenticated, icv = esp[:-ICV_LEN], esp[-ICV_LEN:]
        digest = hmac.new(AUTH_KEY, authenticated, hashlib.sha1).digest()[:ICV_LEN]
        assert hmac.compare_digest(digest, icv), f"frame {number}: ICV mismatch"
        iv, ciphertext = esp[8:8 + IV_LEN], esp[8 + IV_LEN:-ICV_LEN]
        assert ciphertext and len(ciphertext) % 16 == 0, number
        plain = _cbc_decrypt(key, iv, ciphertext)
        pad_len, next_header = plain[-2], plain[-1]
        padding = plain[-2 - pad_len:-2]
        assert padding == bytes(range(1, pad_len + 1)), f"frame {number}: padding {padding.hex()}"
        assert next_header == IPPROTO_ICMP, f"frame {number}: next header {next_header}"
        out[number] = plain[:-2 - pad_len]
    return out


def test_capture_twofish_cbc_decrypts() -> None:
    """Both Twofish SAs: ICV good, RFC 4303 padding 1,2,3..., next header ICMP, ICMP checksum good."""
    payloads = _decrypt_twofish_frames(_require_capture())
    spis = {spi for _n, spi, _d, _e in _esp_frames(CAPTURE_DIR / "capture.pcap")}
    assert {12, 13} <= spis
    assert len(payloads) == 15   # 3 frames for SPI 12 (128-bit key), 12 for SPI 13 (256-bit key)
    for number, icmp in payloads.items():
        assert icmp[0] == 8 and icmp[1] == 0, f"frame {number}: not an ICMP echo request"
        assert _ones_complement_sum_ok(icmp), f"frame {number}: ICMP checksum bad"
        assert icmp.endswith(bytes(range(0x08, 0x38))), f"frame {number}: ping pattern"


def _tshark_contained_data(exe: str, capture: Path) -> dict[int, tuple[int, bytes]]:
    args = [exe, "-r", str(capture / "capture.pcap"),
            "-o", "esp.enable_encryption_decode:TRUE",
            "-o", "esp.enable_authentication_check:TRUE"]
    for line in (capture / "esp_sa").read_text().splitlines():
        if line.strip():
            args += ["-o", f"uat:esp_sa:{line.strip()}"]
    args += ["-T", "fields", "-e", "frame.number", "-e", "esp.spi",
             "-e", "esp.contained_data", "-Y", "esp"]
    with tempfile.TemporaryDirectory() as config_dir:
        env = dict(os.environ, WIRESHARK_CONFIG_DIR=config_dir)
        result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120, check=True)
    rows: dict[int, tuple[int, bytes]] = {}
    for line in result.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[2]:
            rows[int(fields[0])] = (int(fields[1], 16), bytes.fromhex(fields[2].replace(":", "")))
    return rows


def test_capture_matches_tshark() -> None:
    capture = _require_capture()
    exe = shutil.which("tshark")
    if exe is None:
        pytest.skip("tshark is not installed")
    ours = _decrypt_twofish_frames(capture)
    theirs = {n: data for n, (spi, data) in _tshark_contained_data(exe, capture).items()
              if spi in TWOFISH_SAS}
    assert theirs, "tshark decrypted no Twofish frame"
    assert ours == theirs

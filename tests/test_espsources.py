"""dissect.espsources: known ESP SAs from Wireshark/strongSwan esp_sa tables,
``ip xfrm state`` output and tcpdump -E secrets.

Real inputs only: the shipped lab cases' esp_sa tables are compared with their
truth.json and written back byte for byte; Wireshark's own esp_sa template, the
Wireshark wiki's sample tables and tcpdump's test secrets (with the inline -E
strings quoted in MANIFEST.md) are parsed for their real values; ``ip xfrm
state`` and strongSwan save-keys text is written with values from truth.json
and from the wiki tables, in the layout iproute2 and strongSwan print.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from dissect.espsa import ENCRYPTION, INTEGRITY, EspSa
from dissect.espsources import (
    WIRESHARK_10_FIELD_NOTE,
    EspSourceError,
    format_esp_sa_table,
    load_esp_file,
    looks_like_esp_table,
    parse_esp_sas,
)
from tests.conftest import CAPTURES, require_public, require_tshark, shipped_cases

LAB_TABLES = [c for c in shipped_cases() if (c / "esp_sa").is_file()]


def fields(sa: EspSa) -> tuple:
    """Everything of an SA but where it came from."""
    return (sa.spi, sa.src, sa.dst, sa.enc.name, bytes(sa.enc_key), sa.auth.name, bytes(sa.auth_key))


def truth_esp_sas(case: Path) -> dict[int, dict]:
    """Every ESP SA truth.json records (top level and per Quick Mode), by SPI."""
    found: dict[int, dict] = {}

    def walk(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "esp_sas":
                    found.update((int(sa["spi"], 16), sa) for sa in value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((case / "truth.json").read_text()))
    return found


def parse(text: str, name: str = "t") -> tuple[list[EspSa], list[str]]:
    problems: list[str] = []
    return parse_esp_sas(text, name, problems), problems


def public(*parts: str) -> Path:
    path = require_public().joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return path


# --------------------------------------------------------------------------
# the lab's own esp_sa tables

@pytest.mark.parametrize("case", LAB_TABLES, ids=lambda c: c.name)
def test_lab_table_equals_truth(case: Path) -> None:
    problems: list[str] = []
    sas = load_esp_file(str(case / "esp_sa"), problems)
    assert problems == []
    truth = truth_esp_sas(case)
    assert sorted(sa.spi for sa in sas) == sorted(truth)
    for lineno, sa in enumerate(sas, 1):
        t = truth[sa.spi]
        assert sa.source == f"{case / 'esp_sa'}:{lineno}"
        assert (sa.src, sa.dst) == (t["src"], t["dst"])
        assert sa.enc_key.hex() == t["enc_key"] and sa.auth_key.hex() == t["auth_key"]
        assert (sa.enc.wireshark, sa.auth.wireshark) == (t["wireshark_enc"], t["wireshark_auth"])
        assert sa.problem() is None


@pytest.mark.parametrize("case", LAB_TABLES, ids=lambda c: c.name)
def test_lab_table_written_back_byte_for_byte(case: Path) -> None:
    text = (case / "esp_sa").read_text()
    sas, problems = parse(text)
    assert problems == []
    assert format_esp_sa_table(sas) == text


def test_v4_natt_values() -> None:
    sas, _ = parse((CAPTURES / "v4-natt" / "esp_sa").read_text(), "esp_sa")
    assert [hex(sa.spi) for sa in sas] == ["0x411389fb", "0xbd685cb1"]
    first = sas[0]
    assert (first.src, first.dst, first.enc.name, first.auth.name) == ("192.0.2.2", "192.0.2.3", "AES-CBC",
                                                                       "HMAC-SHA1-96")
    assert first.enc_key == bytes.fromhex("28aa2d55289fd63406a28be7ab139490")
    assert first.auth_key == bytes.fromhex("a42e698f13eb0c8f1c48359dce2026d0e39ab8be")
    assert first.source == "esp_sa:1"


# --------------------------------------------------------------------------
# Wireshark's own and the Wireshark wiki's tables

def test_wireshark_template() -> None:
    sas, problems = parse(public("wireshark", "esp_sa.tmpl").read_text())
    assert problems == []
    assert [(hex(sa.spi), sa.src, sa.dst) for sa in sas] == [
        ("0x70883c2", "192.168.0.1", "192.168.0.100"), ("0xc254fe64", "192.168.0.100", "192.168.0.1")]
    assert sas[0].enc_key == bytes.fromhex("5de1a4c2c72662c9fda7a7c78cd25623")
    assert sas[0].auth_key == bytes.fromhex("51c9213c18232f8f26c70c4dee6e0e6d56e31e8a")
    assert {(sa.enc.name, sa.auth.name) for sa in sas} == {("AES-CBC", "HMAC-SHA1-96")}


def test_wiki_capture_1_text_keys_decimal_spis_null() -> None:
    path = public("wireshark-wiki", "ipsec_esp_capture_1", "esp_sa")
    problems: list[str] = []
    sas = load_esp_file(str(path), problems)
    assert problems == []
    assert len(sas) == 24
    # the SPI column is read as strtoul(s, NULL, 0) reads it: "10" is ten
    assert [sa.spi for sa in sas[:4]] == [10, 11, 12, 13]
    assert [sa.spi for sa in sas[12:16]] == [110, 111, 112, 113]
    aes = sas[0]
    assert (aes.src, aes.dst, aes.enc.name, aes.auth.name) == ("3ffe::1", "3ffe::2", "AES-CBC", "HMAC-SHA1-96")
    assert aes.enc_key == b"aescbcencryption" and aes.auth_key == b"hmacsha1authenticati"
    assert aes.source == f"{path}:5"
    assert (sas[1].enc.name, sas[1].enc_key) == ("3DES-CBC", b"3descbcencryptiontesting")
    assert (sas[2].enc.name, sas[2].enc_key) == ("DES-CBC", b"descbcte")
    assert (sas[3].enc.name, sas[3].enc_key) == ("NULL", b"")
    assert (sas[4].auth.name, sas[4].auth_key) == ("HMAC-MD5-96", b"hmacmd5authentic")
    assert (sas[11].enc.name, sas[11].auth.name, sas[11].auth_key) == ("NULL", "NULL", b"")
    assert {sa.src for sa in sas[12:]} == {"190.0.0.1"}


def test_wiki_capture_2_wildcard_spi() -> None:
    sas, problems = parse(public("wireshark-wiki", "ipsec_esp_capture_2", "esp_sa").read_text())
    assert problems == []
    assert [(sa.spi, sa.src, sa.dst, sa.enc.name, sa.enc_key) for sa in sas] == [
        (None, "10.0.0.1", "10.0.0.2", "AES-CBC", b"aescbcencryption"),
        (None, "192.168.0.3", "10.0.0.2", "DES-CBC", b"descbcte")]


def test_wiki_capture_3_blowfish_twofish() -> None:
    sas, problems = parse(public("wireshark-wiki", "ipsec_esp_capture_3", "esp_sa").read_text())
    assert problems == []
    assert [(sa.spi, sa.enc.name, sa.enc_key) for sa in sas] == [
        (10, "BLOWFISH-CBC", b"blowfishblowfish"),
        (12, "TWOFISH-CBC", b"twofishcbctestin"),
        (13, "TWOFISH-CBC", b"twofishcbctestintwofishcbctestin")]


def test_wiki_capture_5_odd_hex_key_gets_a_leading_zero() -> None:
    sas, problems = parse(public("wireshark-wiki", "ipsec_esp_capture_5", "esp_sa").read_text())
    assert problems == []
    assert sas[0].enc_key == bytes.fromhex("fecafecacafecafebbccbbccdadaffff")
    # 31 hex digits: Wireshark's compute_ascii_key reads them as if a 0 came first
    assert sas[1].enc_key == bytes.fromhex("0ecafecacafecafebbccbbccdadaffff")
    assert sas[1].auth_key == bytes.fromhex("00fdabceff00aabb55412364d003219fffabc000")
    assert {sa.spi for sa in sas} == {None}


@pytest.mark.parametrize("table", ["esp_sa", "esp_sa.no_icv"])
def test_wiki_ikev2_gcm_ctr_cbc(table: str) -> None:
    sas, problems = parse(public("wireshark-wiki", "ipsec_ikev2_esp_aes-gcm_aes-ctr_aes-cbc", table).read_text())
    assert problems == []
    assert [(hex(sa.spi), sa.enc.name, sa.auth.name) for sa in sas] == [
        ("0xc1a9656b", "AES-GCM-16", "NULL"), ("0xac0faf03", "AES-GCM-16", "NULL"),
        ("0x78bd5377", "AES-CTR", "HMAC-SHA2-256-128"), ("0x958a753b", "AES-CTR", "HMAC-SHA2-256-128"),
        ("0xc1d717e8", "AES-CBC", "HMAC-SHA2-256-128"), ("0xb6b5f296", "AES-CBC", "HMAC-SHA2-256-128")]
    assert {(sa.src, sa.dst) for sa in sas} == {(None, None)}
    assert sas[0].enc_key == bytes.fromhex("167fc4915921b24f27f71e7498b1978c238398d6")   # key + 4-byte salt
    assert sas[2].enc_key == bytes.fromhex("9e93603f8c0e5406e7bf052518fec074c3ff06c9")   # key + 4-byte nonce
    assert sas[0].source == "t:2"                                   # line 1 is Wireshark's header comment


def _public_tables() -> list[Path]:
    from tests.conftest import PUBLIC
    return sorted([*PUBLIC.glob("wireshark/esp_sa.tmpl"), *PUBLIC.glob("wireshark-wiki/*/esp_sa*"),
                   *PUBLIC.glob("tcpdump/esp-secrets.txt")])


@pytest.mark.parametrize("path", _public_tables() or [None], ids=lambda p: p and f"{p.parent.name}/{p.name}")
def test_public_tables_round_trip_through_format(path: Path | None) -> None:
    if path is None:
        require_public()
        pytest.skip("no public ESP tables")
    sas, problems = parse(path.read_text())
    assert sas and problems == []
    again, problems = parse(format_esp_sa_table(sas))
    assert problems == []
    assert [fields(sa) for sa in again] == [fields(sa) for sa in sas]


# --------------------------------------------------------------------------
# strongSwan save-keys spellings (save_keys_listener.c)

def test_strongswan_spellings() -> None:
    """Rows as save_keys_listener.c prints them ("%s","%H","%H","0x%.8x","%s","0x%+B","%s","0x%+B"),
    with its names: TripleDes-CBC, and AES-GCM [RFC4106] plus ANY n bit authentication."""
    wiki = _wiki_gcm_keys()
    text = "".join([
        '"IPv4","192.0.2.2","192.0.2.3","0x411389fb","TripleDes-CBC [RFC2451]",'
        f'"0x{wiki["3des"]}","HMAC-SHA-1-96 [RFC2404]","0xa42e698f13eb0c8f1c48359dce2026d0e39ab8be"\n',
        f'"IPv4","172.16.15.92","192.168.245.131","0xc1a9656b","AES-GCM [RFC4106]","0x{wiki["gcm"]}",'
        '"ANY 128 bit authentication [no checking]","0x"\n',
        f'"IPv4","192.168.245.131","172.16.15.92","0xac0faf03","AES-GCM [RFC4106]","0x{wiki["gcm"]}",'
        '"ANY 64 bit authentication [no checking]","0x"\n',
    ])
    sas, problems = parse(text, "esp_sa")
    assert [(sa.enc.name, sa.auth.name) for sa in sas] == [("3DES-CBC", "HMAC-SHA1-96"), ("AES-GCM-16", "NULL"),
                                                           ("AES-GCM-8", "NULL")]
    assert sas[1].enc_key == bytes.fromhex(wiki["gcm"]) and sas[1].auth_key == b""
    # "0x" alone is an empty key (Wireshark: "a valid null key")
    assert len(problems) == 1 and problems[0].startswith("esp_sa:3: ") and "12-octet" in problems[0]


def _wiki_gcm_keys() -> dict[str, str]:
    """Real key material for names the lab tables lack: the wiki's AES-GCM key, and a 24-byte key."""
    sas, _ = parse(public("wireshark-wiki", "ipsec_ikev2_esp_aes-gcm_aes-ctr_aes-cbc", "esp_sa").read_text())
    return {"gcm": sas[0].enc_key.hex(), "3des": sas[4].auth_key[:24].hex()}


# --------------------------------------------------------------------------
# the 10-column form of newer Wireshark

def test_ten_columns() -> None:
    lines = (CAPTURES / "v4-natt" / "esp_sa").read_text().splitlines()
    eight, _ = parse("\n".join(lines))
    ten, problems = parse("\n".join(f'{ln},"32-bit","0"' for ln in lines))
    assert problems == [] and [fields(sa) for sa in ten] == [fields(sa) for sa in eight]
    esn, problems = parse(f'{lines[0]},"64-bit","1"\n{lines[1]},"48-bit","0"\n', "esp_sa")
    assert [fields(sa) for sa in esn] == [fields(eight[0])]
    assert len(problems) == 2
    assert problems[0].startswith("esp_sa:1: SN is 64-bit")
    assert problems[1].startswith("esp_sa:2: SN '48-bit'")
    assert "\"SN\"" in WIRESHARK_10_FIELD_NOTE and "\"ESN High Bits\"" in WIRESHARK_10_FIELD_NOTE


# --------------------------------------------------------------------------
# ip xfrm state

def _xfrm_state(sa: dict, indent: str = "\t") -> str:
    """One state as iproute2 prints it (ipxfrm.c) for a lab truth.json ESP SA."""
    return "\n".join([
        f"src {sa['src']} dst {sa['dst']}",
        f"{indent}proto esp spi {sa['spi']} reqid 1 mode tunnel",
        f"{indent}replay-window 0 flag af-unspec",
        f"{indent}auth-trunc hmac(sha1) 0x{sa['auth_key']} 96",
        f"{indent}enc cbc(aes) 0x{sa['enc_key']}",
        f"{indent}encap type espinudp sport 4500 dport 4500 addr 0.0.0.0",
        f"{indent}anti-replay context: seq 0x0, oseq 0x2, bitmap 0x00000000",
        f"{indent}sel src 198.51.100.0/24 dst 203.0.113.0/24 ",
    ]) + "\n"


def _truth_in_order(case: str) -> list[dict]:
    return json.loads((CAPTURES / case / "truth.json").read_text())["esp_sas"]


@pytest.mark.parametrize("indent", ["\t", "    ", ""])
def test_xfrm_state_equals_truth(indent: str) -> None:
    truth = _truth_in_order("v4-natt")
    text = "".join(_xfrm_state(sa, indent) for sa in truth)
    sas, problems = parse(text, "xfrm.txt")
    assert problems == []
    assert [(f"0x{sa.spi:08x}", sa.src, sa.dst, sa.enc_key.hex(), sa.auth_key.hex()) for sa in sas] == [
        (t["spi"], t["src"], t["dst"], t["enc_key"], t["auth_key"]) for t in truth]
    assert {(sa.enc.name, sa.auth.name) for sa in sas} == {("AES-CBC", "HMAC-SHA1-96")}
    assert [sa.source for sa in sas] == ["xfrm.txt:1", "xfrm.txt:9"]
    assert looks_like_esp_table(text)
    # and Wireshark's table of them is the lab's own esp_sa
    assert format_esp_sa_table(sas) == (CAPTURES / "v4-natt" / "esp_sa").read_text()


def test_xfrm_wrapped_stats_and_policies() -> None:
    """A statement wrapped onto the next line, ip -s key sizes and SPIs (``spi 0x...(decimal)``), and
    ip xfrm policy entries."""
    t = _truth_in_order("v4-natt")[0]
    text = (f"src {t['src']} dst {t['dst']}\n"
            f"  proto esp spi {t['spi']}({int(t['spi'], 16)}) reqid 1(0x00000001) mode tunnel\n"
            f"  auth-trunc hmac(sha1)\n    0x{t['auth_key']} (160 bits) 96\n"
            f"  enc cbc(aes) 0x{t['enc_key']} (128 bits)\n"
            "src 0.0.0.0/0 dst 0.0.0.0/0 \n\tsocket in priority 0 ptype main \n"
            "src 198.51.100.0/24 dst 203.0.113.0/24 \n\tdir out priority 375423 ptype main \n"
            f"\ttmpl src {t['src']} dst {t['dst']}\n\t\tproto esp reqid 1 mode tunnel\n")
    sas, problems = parse(text)
    assert problems == []
    assert [(sa.spi, sa.enc_key.hex(), sa.auth_key.hex()) for sa in sas] == [
        (int(t["spi"], 16), t["enc_key"], t["auth_key"])]


def test_xfrm_algorithms() -> None:
    """Kernel algorithm names, with real key material from the wiki and lab tables."""
    gcm = _wiki_gcm_keys()["gcm"]
    wiki = {hex(sa.spi): sa for sa in parse(public(
        "wireshark-wiki", "ipsec_ikev2_esp_aes-gcm_aes-ctr_aes-cbc", "esp_sa").read_text())[0]}
    ctr = wiki["0x78bd5377"]
    lab = {hex(sa.spi): sa for sa in parse((CAPTURES / "v6-aes256-sha256-modp2048-pfs14" / "esp_sa")
                                           .read_text())[0]}
    sha = lab["0x2864097c"]
    k24, k48, k64 = (sha.auth_key * 2)[:24].hex(), (sha.auth_key * 2)[:48].hex(), (sha.auth_key * 2).hex()

    def state(spi: int, *algos: str) -> str:
        return f"src 2001:db8::2 dst 2001:db8::3\n\tproto esp spi 0x{spi:08x} reqid 1 mode tunnel\n" + "".join(
            f"\t{a}\n" for a in algos)

    text = "".join([
        state(1, f"aead rfc4106(gcm(aes)) 0x{gcm} 128"),
        state(2, f"aead rfc4106(gcm(aes)) 0x{gcm} 96"),
        state(3, f"aead rfc4106(gcm(aes)) 0x{gcm} 64"),
        state(4, f"auth-trunc hmac(sha256) 0x{ctr.auth_key.hex()} 128", f"enc rfc3686(ctr(aes)) 0x{ctr.enc_key.hex()}"),
        state(5, f"auth hmac(sha256) 0x{sha.auth_key.hex()}", f"enc cbc(aes) 0x{sha.enc_key.hex()}"),
        state(6, f"auth-trunc hmac(sha384) 0x{k48} 192", f"enc cbc(des3_ede) 0x{k24}"),
        state(7, f"auth-trunc hmac(sha512) 0x{k64} 256", f"enc cbc(des) 0x{k24[:16]}"),
        state(8, f"auth hmac(md5) 0x{k24[:32]}", 'enc ecb(cipher_null) ""'),
        state(9, "auth digest_null 0x", f"enc cbc(aes) 0x{sha.enc_key.hex()}"),
    ])
    sas, problems = parse(text)
    assert problems == []
    assert [(sa.spi, sa.enc.name, sa.auth.name) for sa in sas] == [
        (1, "AES-GCM-16", "NULL"), (2, "AES-GCM-12", "NULL"), (3, "AES-GCM-8", "NULL"),
        (4, "AES-CTR", "HMAC-SHA2-256-128"), (5, "AES-CBC", "HMAC-SHA2-256-96"),
        (6, "3DES-CBC", "HMAC-SHA2-384-192"), (7, "DES-CBC", "HMAC-SHA2-512-256"),
        (8, "NULL", "HMAC-MD5-96"), (9, "AES-CBC", "NULL")]
    assert sas[0].enc_key.hex() == gcm and sas[3].enc_key == ctr.enc_key and sas[3].auth_key == ctr.auth_key
    assert (sas[7].enc_key, sas[8].auth_key) == (b"", b"")
    assert {(sa.src, sa.dst) for sa in sas} == {("2001:db8::2", "2001:db8::3")}


def test_xfrm_not_esp_or_without_keys() -> None:
    t = _truth_in_order("v4-natt")[0]
    ah = (f"src {t['src']} dst {t['dst']}\n\tproto ah spi 0x00001000 reqid 2 mode transport\n"
          f"\tauth-trunc hmac(sha1) 0x{t['auth_key']} 96\n")
    unsupported = (f"src {t['src']} dst {t['dst']}\n\tproto esp spi 0x00001001 reqid 3 mode tunnel\n"
                   f"\tenc cbc(serpent) 0x{t['enc_key']}\n")
    sas, problems = parse(ah + _xfrm_state(t) + unsupported, "x")
    assert [hex(sa.spi) for sa in sas] == [t["spi"]]
    assert len(problems) == 2
    assert problems[0].startswith("x:1: proto ah state")
    assert problems[1].startswith("x:12: enc 'cbc(serpent)' is not supported")
    assert not any(t["enc_key"] in p or t["auth_key"] in p for p in problems)


def test_xfrm_esn_state_is_kept_with_a_note() -> None:
    t = _truth_in_order("v4-natt")[0]
    text = _xfrm_state(t).replace("flag af-unspec", "flag af-unspec esn")
    sas, problems = parse(text, "x")
    assert [hex(sa.spi) for sa in sas] == [t["spi"]]
    assert problems == [f"x:1: ESP state spi {t['spi']} uses extended sequence numbers: ikescope does not use "
                        f"the high bits, so ICVs and AES-GCM tags may not verify"]


def test_lab_xfrm_dump_with_a_keyless_state() -> None:
    """The one lab xfrm.txt with a state: strongSwan's kernel-libipsec put an ESP state without
    algorithms into the kernel (truth.json kernel_xfrm); policies around it are skipped."""
    path = CAPTURES / "v6-aes128-sha1-modp1024-port500" / "xfrm.txt"
    problems: list[str] = []
    assert load_esp_file(str(path), problems) == []
    assert problems == [f"{path}:22: ESP state spi 0xca910ab3 shows no 'enc' or 'aead' line, so it holds "
                        f"no keys to use; take the state that carries the keys"]


# --------------------------------------------------------------------------
# tcpdump -E secrets

def test_tcpdump_secrets_file() -> None:
    path = public("tcpdump", "esp-secrets.txt")
    problems: list[str] = []
    sas = load_esp_file(str(path), problems)
    assert problems == []
    assert [(hex(sa.spi), sa.src, sa.dst, sa.enc.name, sa.auth.name, sa.icv_bytes, sa.source) for sa in sas] == [
        ("0x12345678", None, "192.1.2.45", "3DES-CBC", "ANY-96", 12, f"{path}:3"),
        ("0xabcdabcd", None, "192.0.1.1", "3DES-CBC", "ANY-96", 12, f"{path}:4"),
        ("0xd1234567", None, "192.1.2.45", "AES-CBC", "ANY-96", 12, f"{path}:5")]
    assert sas[0].enc_key == bytes.fromhex("43434545464649494a4a4c4c4f4f51515252545457575840")
    assert sas[2].enc_key == bytes.fromhex("aaaabbbbccccdddd4043434545464649494a4a4c4c4f4f515152525454575758")
    assert {sa.auth_key for sa in sas} == {b""}


def _manifest_secrets() -> list[str]:
    """The -E strings of tcpdump's tests esp1 and esp2, as MANIFEST.md quotes them."""
    return re.findall(r'`-E "([^"]+)"`', public("MANIFEST.md").read_text())


def test_tcpdump_inline_secrets() -> None:
    esp1, esp2 = _manifest_secrets()
    sas, problems = parse(esp1 + "\n" + esp2, "-E")
    assert problems == []
    assert [(hex(sa.spi), sa.dst, sa.source) for sa in sas] == [
        ("0x12345678", "192.1.2.45", "-E:1"), ("0x12345678", "192.1.2.45", "-E:2"), ("0xabcdabcd", "192.0.1.1", "-E:2")]
    assert sas[0].enc_key == bytes.fromhex("4043434545464649494a4a4c4c4f4f515152525454575758")
    # esp3: the same secret without spi@addr applies to any SPI and address
    default, problems = parse(esp1.split(None, 1)[1])
    assert problems == [] and [(sa.spi, sa.src, sa.dst) for sa in default] == [(None, None, None)]
    assert default[0].enc_key == sas[0].enc_key


def test_tcpdump_names_text_secrets_and_bad_entries() -> None:
    key24 = _manifest_secrets()[0].rsplit(":0x", 1)[1]
    text = "\n".join([
        "# algorithm names tcpdump 4.99 takes, and a text secret",
        f"0x1@2001:db8::3 aes128-cbc:0x{key24[:32]},2@192.0.2.3 blowfish-cbc-hmac96:textsecret16byte",
        f"0x3@192.0.2.3 des-hmac96:0x{key24[:16]},0x4@192.0.2.3 rc3-cbc:0x{key24[:16]}",
        f"0x5@192.0.2.3 aes256-cbc:0x{key24}",
        "ikev2 I 0x0001020304050607 0xc02e7a3031a03188 sha1:0x4ea8e662 aes128:0x3f44bf47",
    ])
    sas, problems = parse(text, "s")
    assert [(sa.spi, sa.dst, sa.enc.name, sa.auth.name) for sa in sas] == [
        (1, "2001:db8::3", "AES-CBC", "NULL"), (2, "192.0.2.3", "BLOWFISH-CBC", "ANY-96"),
        (3, "192.0.2.3", "DES-CBC", "ANY-96")]
    assert sas[1].enc_key == b"textsecret16byte"
    assert len(problems) == 3
    assert problems[0].startswith("s:3: entry 2: cipher 'rc3-cbc' is not supported")
    assert problems[1] == "s:4: aes256 needs a 32-byte key, the secret has 24 bytes"
    assert problems[2].startswith("s:5: an IKEv2 SA secret")
    assert not any(key24[:16] in p for p in problems)


# --------------------------------------------------------------------------
# bad rows cost only themselves, and never show a key

def test_bad_rows_one_problem_each_without_keys() -> None:
    good = (CAPTURES / "v4-natt" / "esp_sa").read_text().splitlines()[0]
    enc_hex, auth_hex = "28aa2d55289fd63406a28be7ab139490", "a42e698f13eb0c8f1c48359dce2026d0e39ab8be"
    bad = [
        good.replace(enc_hex, enc_hex[:-2] + "zz"),                      # not hex
        good.replace(enc_hex, enc_hex[:-2]),                             # 15-byte AES key
        good.replace("AES-CBC [RFC3602]", "SERPENT-CBC"),                # unknown algorithm
        good.replace('"AES-CBC [RFC3602]",', ""),                        # a column missing
        good.replace("192.0.2.3", "192.0.2.300"),                        # not an address
        good.replace("192.0.2.3", "2001:db8::3"),                        # IPv6 in an IPv4 row
        good.replace("0x411389fb", "0x411389f*"),                        # partial SPI wildcard
        good.replace("0x411389fb", "0x1411389fb"),                       # more than 32 bits
        good.replace('"IPv4"', '"IPv5"'),                                # protocol
        good.replace('"HMAC-SHA-1-96 [RFC2404]"', f'"0x{auth_hex}"'),     # key in the name column
        good.replace("AES-CBC [RFC3602]", "AES-GCM with 16 octet ICV [RFC4106]"),  # GCM + HMAC
        good.replace(f'"0x{enc_hex}"', '"aescbcencryptio"'),            # 15-byte text key
        "this line is in no format",
    ]
    text = "\n".join([good, *bad, good.replace("0x411389fb", "*")]) + "\n"
    sas, problems = parse(text, "esp_sa")
    assert [sa.spi for sa in sas] == [0x411389fb, None]
    assert [p.split(":", 2)[1] for p in problems] == [str(n) for n in range(2, 2 + len(bad))]
    for p in problems:
        assert enc_hex not in p and auth_hex not in p and enc_hex[:-2] not in p and "aescbcencryptio" not in p
        assert "\n" not in p
    assert "is not valid hex" not in problems[0] and "not valid hex after 0x" in problems[0]
    assert problems[1].endswith("AES-CBC key is 120 bits; it must be 128/192/256 bits")
    assert problems[8].startswith("esp_sa:10: Protocol 'IPv5' is not IPv4, IPv6 or Any")
    assert "looks like a key" in problems[9]


def test_any_protocol_prefixes_octal_spi() -> None:
    """Wireshark's matching rules where ikescope can follow them: "Any" ignores the addresses,
    a full-length prefix is the address, a shorter prefix or partial wildcard is any address,
    and a leading 0 makes the SPI octal (strtoul base 0)."""
    good = (CAPTURES / "v4-natt" / "esp_sa").read_text().splitlines()[0]
    rows = [good.replace('"IPv4"', '"Any"'),
            good.replace('"192.0.2.2","192.0.2.3"', '"192.0.2.2/32","192.0.2.0/24"'),
            good.replace('"192.0.2.2","192.0.2.3"', '"192.0.*.2","192.0.2.3"'),
            good.replace('"0x411389fb"', '"0777"'),
            good.replace('"IPv4","192.0.2.2","192.0.2.3"', 'IPv6,"[2001:DB8::2]",2001:db8:0::3')]
    sas, problems = parse("\n".join(rows))
    assert problems == []
    assert [(sa.spi, sa.src, sa.dst) for sa in sas] == [
        (0x411389fb, None, None), (0x411389fb, "192.0.2.2", None), (0x411389fb, None, "192.0.2.3"),
        (0o777, "192.0.2.2", "192.0.2.3"), (0x411389fb, "2001:db8::2", "2001:db8::3")]


def test_whole_file_failures() -> None:
    with pytest.raises(EspSourceError, match=r"cannot read the ESP SA table: No such file or directory"):
        load_esp_file(str(CAPTURES / "v4-natt" / "no-such-file"), [])
    with pytest.raises(EspSourceError, match=r"capture.pcap: a packet capture, not an ESP SA table"):
        load_esp_file(str(CAPTURES / "v4-natt" / "capture.pcap"), [])
    with pytest.raises(EspSourceError, match=r"only comments"):
        load_esp_file(str(CAPTURES / "v4-natt" / "xfrm.txt"), [])
    problems: list[str] = []
    with pytest.raises(EspSourceError, match=r"left.log:1: not an ESP SA table; expected"):
        load_esp_file(str(CAPTURES / "v4-natt" / "left.log"), problems)
    # line 1 of the table is Wireshark's header comment
    with pytest.raises(EspSourceError, match=r"ikev1_decryption_table:2: not an ESP SA table "
                                             r"\(this looks like an ikev1/ikev2_decryption_table"):
        load_esp_file(str(CAPTURES / "v4-natt" / "ikev1_decryption_table"), problems)
    assert problems == []
    assert parse_esp_sas("", "empty", problems) == [] and problems == []


# --------------------------------------------------------------------------
# recognition by content

@pytest.mark.parametrize("case", shipped_cases(), ids=lambda c: c.name)
def test_not_an_esp_table(case: Path) -> None:
    for name in ("left.log", "right.log", "ikev1_decryption_table", "ikev2_decryption_table", "keys.toml"):
        if (case / name).is_file():
            assert not looks_like_esp_table((case / name).read_text(errors="replace")), name


def test_not_an_esp_table_toml_from_readme_format() -> None:
    toml = ('[[tunnel]]\npeer = "192.0.2.3"\npsk = "cisco123-lab"\n'
            '[[tunnel.quick_mode]]\nmessage_id = "0xd6f1b409"\ndh_shared = "b86c"\n')
    assert not looks_like_esp_table(toml)


def test_is_an_esp_table() -> None:
    for case in LAB_TABLES:
        assert looks_like_esp_table((case / "esp_sa").read_text())
    assert looks_like_esp_table((CAPTURES / "v6-aes128-sha1-modp1024-port500" / "xfrm.txt").read_text())
    assert looks_like_esp_table(public("tcpdump", "esp-secrets.txt").read_text())
    assert looks_like_esp_table(public("wireshark-wiki", "ipsec_esp_capture_1", "esp_sa").read_text())
    assert looks_like_esp_table(_manifest_secrets()[0].split(None, 1)[1])
    assert not looks_like_esp_table(public("tcpdump", "ikev2pI2-secrets.txt").read_text())


# --------------------------------------------------------------------------
# format_esp_sa_table

def test_format_wildcards_families_and_empty_keys() -> None:
    sas, _ = parse(public("wireshark-wiki", "ipsec_esp_capture_1", "esp_sa").read_text())
    default, _ = parse(_manifest_secrets()[0].split(None, 1)[1])
    out = format_esp_sa_table([sas[3], sas[19], default[0]]).splitlines()
    assert out[0] == '"IPv6","3ffe::1","3ffe::5","0x0000000d","NULL","","HMAC-SHA-1-96 [RFC2404]",' \
                     f'"0x{b"hmacsha1authenticati".hex()}"'
    assert out[1].startswith('"IPv4","190.0.0.1","190.0.0.15","0x00000071","NULL","","HMAC-MD5-96 [RFC2403]"')
    assert out[2] == ('"IPv4","*","*","*","TripleDES-CBC [RFC2451]",'
                      '"0x4043434545464649494a4a4c4c4f4f515152525454575758",'
                      '"ANY 96 bit authentication [no checking]",""')
    assert format_esp_sa_table([]) == ""


def test_tshark_decrypts_with_our_table() -> None:
    """tshark takes the 8-column lines (and, as the note says, the 10-column ones) and decrypts
    the six pings of v4-natt, as the lab's oracle did (truth.json "oracle" options)."""
    tshark = require_tshark()
    case = CAPTURES / "v4-natt"
    sas, problems = parse((case / "esp_sa").read_text())
    assert problems == []
    lines = format_esp_sa_table(sas).splitlines()
    oracle = json.loads((case / "truth.json").read_text())["oracle"]["options"]
    assert [o.removeprefix("uat:esp_sa:") for o in oracle if o.startswith("uat:esp_sa:")] == lines
    for form in (lines, [f'{ln},"32-bit","0"' for ln in lines]):
        options = ["-o", "esp.enable_encryption_decode:TRUE"]
        for line in form:
            options += ["-o", f"uat:esp_sa:{line}"]
        run = subprocess.run([tshark, "-r", str(case / "capture.pcap"), *options, "-Y", "icmp",
                              "-T", "fields", "-e", "frame.number"],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert run.stdout.split() == ["10", "11", "12", "13", "14", "15"]


def test_every_encryption_and_integrity_round_trips() -> None:
    """format -> parse keeps every algorithm of dissect.espsa (the integrity keys cut from the real
    key twice over, to the length each HMAC takes)."""
    key = bytes.fromhex(_truth_in_order("v6-aes256-sha256-modp2048-pfs14")[0]["enc_key"])
    sas = []
    for enc in ENCRYPTION.values():
        size = enc.key_bytes[0] if enc.key_bytes else 16
        sas.append(EspSa(1, "192.0.2.2", "192.0.2.3", enc, b"" if enc.mode == "null" else key[:size + enc.salt_bytes],
                         INTEGRITY["NULL"], b"", "x"))
    for auth in INTEGRITY.values():
        sas.append(EspSa(2, "2001:db8::2", "2001:db8::3", ENCRYPTION["AES-CBC"], key[:16], auth,
                         (key * 2)[:auth.key_bytes], "x"))
    again, problems = parse(format_esp_sa_table(sas))
    assert problems == []
    assert [fields(sa) for sa in again] == [fields(sa) for sa in sas]


def test_short_integrity_key_is_a_problem() -> None:
    """An HMAC-SHA1-96 key one byte short (RFC 2404: 160 bits) is said, not left to fail every ICV."""
    t = _truth_in_order("v4-natt")[0]
    text = _xfrm_state(dict(t, auth_key=t["auth_key"][:-2]))
    sas, problems = parse(text, "xfrm.txt")
    assert sas == [] and len(problems) == 1
    assert "HMAC-SHA1-96 key is 152 bits; it must be 160 bits" in problems[0] and t["auth_key"][:-2] not in problems[0]

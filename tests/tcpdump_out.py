"""A parser for tcpdump's expected-output (``.out``) files, for the tcpdump oracle tests.

tcpdump's test harness runs ``tcpdump -# -n -tttt -r PCAP ARGS`` with ``TZ=UTC``
(tests/TESTrun), so every record starts with the frame number and a UTC
timestamp; with ``-v`` the IP header is on the first line and the
``src.port > dst.port: ...`` line follows, with one payload per line indented
by four spaces.  Only what ISAKMP/ESP comparisons need is parsed: addresses,
ports, the RFC 3948 prefixes (``NONESP-encap``, ``UDP-encap``,
``isakmp-nat-keep-alive``), ESP SPI/sequence/length, and the ISAKMP header
(version, message ID, cookies, exchange, I/R, flags) and top-level payloads.

Names are tcpdump's (print-isakmp.c: ``etypestr``, ``npstr``, the IKEv1
attribute maps), mapped here to IANA numbers.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

RECORD = re.compile(r"^\s*(\d+)  (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) (.*)$")
ADDR_LINE = re.compile(r"(?:^|\s)([0-9A-Fa-f:.]+) > ([0-9A-Fa-f:.]+): ?(.*)$")
ESP = re.compile(r"^ESP\(spi=0x([0-9a-f]+),seq=0x([0-9a-f]+)\), length (\d+)")
ESP_SPI_ONLY = re.compile(r"^ESP\(spi=0x([0-9a-f]+)")
ISAKMP_V = re.compile(r"^isakmp (\d+)\.(\d+) msgid ([0-9a-f]{8})(?: cookie ([0-9a-f]{16})->([0-9a-f]{16}))?: ?(.*)$")
ISAKMP_PLAIN = re.compile(r"^isakmp: ?(.*)$")
PHASE_V1 = re.compile(r"^(phase 1|phase 2/others) (I|R|\?) ([^\s\[:]+)(?:\[([A-Z]*)\])?:?\s*(.*)$")
PHASE_V2 = re.compile(r"^(parent_sa|child_sa) +([^\s\[:]+)\[([A-Z]*)\]:?\s*(.*)$")
PAYLOAD = re.compile(r"^\(([A-Za-z0-9]+)(\[C\])?(?::\s?|\))(.*)$")

#: tcpdump's etypestr (print-isakmp.c); "#N" is an unnamed exchange type N.
EXCHANGES = {"none": 0, "base": 1, "ident": 2, "auth": 3, "agg": 4, "inf": 5,
             "oakley-quick": 32, "oakley-newgroup": 33,
             "ikev2_init": 34, "ikev2_auth": 35, "child_sa": 36, "inf2": 37}

#: tcpdump's npstr for top-level payloads: IKEv1 names, and IKEv2 names
#: (IKEv2 nonce/notify print as "nonce"/"n", the IKEv2 SA as "sa").
PAYLOADS_V1 = {"sa": 1, "p": 2, "t": 3, "ke": 4, "id": 5, "cert": 6, "cr": 7, "hash": 8, "sig": 9, "nonce": 10,
               "n": 11, "d": 12, "vid": 13}
PAYLOADS_V2 = {"sa": 33, "v2ke": 34, "v2IDi": 35, "v2IDr": 36, "v2cert": 37, "v2cr": 38, "v2auth": 39,
               "nonce": 40, "n": 41, "v2d": 42, "v2vid": 43, "v2TSi": 44, "v2TSr": 45, "v2e": 46,
               "v2cp": 47, "v2eap": 48}

#: IKEv1 phase 1 attributes as tcpdump -v prints them: name -> (type, {value name: number}).
ATTRS_V1 = {
    "enc": (1, {"1des": 1, "des": 1, "idea": 2, "blowfish": 3, "rc5": 4, "3des": 5, "cast": 6, "aes": 7}),
    "hash": (2, {"md5": 1, "sha1": 2, "tiger": 3, "sha2-256": 4, "sha2-384": 5, "sha2-512": 6}),
    "auth": (3, {"preshared": 1, "dss": 2, "rsa sig": 3, "rsa enc": 4, "rsa enc revised": 5}),
    "group desc": (4, {"modp768": 1, "modp1024": 2, "EC2N 2^155": 3, "EC2N 2^185": 4, "modp1536": 5}),
    "lifetype": (11, {"sec": 1, "kb": 2}),
    "lifeduration": (12, {}),
    "keylen": (14, {}),
}
ATTR = re.compile(r"\(type=([a-z0-9 ]+?)(?: len=\d+)? value=([^)]+)\)")

#: IKEv2 groups by tcpdump's name (dh transform names / v2ke group=).
GROUPS = {"modp768": 1, "modp1024": 2, "modp1536": 5, "modp2048": 14, "modp3072": 15, "modp4096": 16}

#: IKEv1 notify names tcpdump prints (those that occur in the test captures).
NOTIFY_V1 = {"INVALID-MAJOR-VERSION": 5, "REPLAY-STATUS": 24577, "INITIAL-CONTACT": 24578,
             "RESPONDER-LIFETIME": 24576}

ID_TYPES_V1 = {"IPv4": 1, "FQDN": 2, "user FQDN": 3, "IPv4net": 4, "IPv6": 5, "IPv6net": 6,
               "IPv4range": 7, "IPv6range": 8, "ASN1 DN": 9, "ASN1 GN": 10, "keyid": 11}


@dataclass
class TdPayload:
    """One top-level payload line: tcpdump's name, its IANA number, and what it printed."""
    name: str
    type: int | None
    critical: bool
    text: str

    @property
    def body_len(self) -> int | None:
        """The first ``len=N`` tcpdump printed (body length, without the generic header)."""
        m = re.search(r"\blen=(\d+)", self.text)
        return int(m.group(1)) if m else None


@dataclass
class TdRecord:
    """One frame of a tcpdump .out file."""
    frame: int
    time: float  # epoch seconds (the .out prints UTC)
    text: str  # the whole record, lines joined with "\n"
    src: str | None = None
    dst: str | None = None
    sport: int | None = None
    dport: int | None = None
    kind: str = "other"  # isakmp, esp, udp-esp, keepalive, other
    body: str = ""  # what follows "src > dst: "
    non_esp: bool = False
    truncated: bool = False  # tcpdump printed "[|...]" somewhere in the record
    esp_spi: int | None = None
    esp_seq: int | None = None
    esp_len: int | None = None
    # ISAKMP header as printed
    version: tuple[int, int] | None = None
    msgid: int | None = None
    icookie: str | None = None
    rcookie: str | None = None
    phase: str | None = None  # "phase 1" / "phase 2/others" / "parent_sa" / "child_sa"
    ir: str | None = None  # IKEv1: "I", "R" or "?"
    exchange: int | None = None
    exchange_name: str | None = None
    flag_letters: str | None = None  # the letters in "[...]" after the exchange, None if absent
    encrypted_first: str | None = None  # "[encrypted id]" -> "id"
    payloads: list[TdPayload] = field(default_factory=list)

    @property
    def ike_version(self) -> int | None:
        if self.version is not None:
            return self.version[0]
        if self.phase in ("parent_sa", "child_sa"):
            return 2
        if self.phase is not None:
            return 1
        return None


def _epoch(stamp: str) -> float:
    t = dt.datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f")
    return calendar.timegm(t.timetuple()) + t.microsecond / 1e6


def _split_endpoint(s: str) -> tuple[str, int | None]:
    """``192.1.2.23.500`` -> (``192.1.2.23``, 500); ``2001:db8::2.500`` -> (``2001:db8::2``, 500)."""
    if ":" in s:  # IPv6
        if "." in s:
            a, p = s.rsplit(".", 1)
            return a, int(p)
        return s, None
    parts = s.split(".")
    if len(parts) == 5:
        return ".".join(parts[:4]), int(parts[4])
    return s, None


def parse_out(path: Path) -> list[TdRecord]:
    """Parse one tcpdump .out file into records, in file order."""
    records: list[tuple[int, str, list[str]]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = RECORD.match(line)
        if m:
            records.append((int(m.group(1)), m.group(2), [m.group(3)]))
        elif records:
            records[-1][2].append(line)
    return [_record(n, stamp, lines) for n, stamp, lines in records]


def _record(n: int, stamp: str, lines: list[str]) -> TdRecord:
    rec = TdRecord(n, _epoch(stamp), "\n".join(lines))
    rec.truncated = "[|" in rec.text
    # The address line: the first line, or (with -v / -e) the second.
    addr_at = None
    for i, cand in enumerate(lines[:2]):
        m = ADDR_LINE.search(cand)
        if m and (i == 0 and cand.startswith(("IP ", "IP6 ")) or i == 1 and cand.startswith("    ")):
            addr_at = (i, m)
            break
    if addr_at is None:
        return rec
    i, m = addr_at
    rec.src, rec.sport = _split_endpoint(m.group(1))
    rec.dst, rec.dport = _split_endpoint(m.group(2))
    body = m.group(3)
    while body.startswith("["):  # "[bad udp cksum ...!]", "[no cksum]", "[udp sum ok]"
        end = body.find("] ")
        if end < 0 or body.startswith("[|"):
            break
        body = body[end + 2:]
    body = body.lstrip()
    rec.body = body
    payload_lines = lines[i + 1:]
    if body.startswith("NONESP-encap: "):
        rec.non_esp = True
        body = body[len("NONESP-encap: "):]
    if body.startswith("isakmp-nat-keep-alive"):
        rec.kind = "keepalive"
        return rec
    udp_encap = body.startswith("UDP-encap: ")
    if udp_encap:
        body = body[len("UDP-encap: "):]
    if body.startswith("ESP("):
        rec.kind = "udp-esp" if udp_encap else "esp"
        e = ESP.match(body)
        if e:
            rec.esp_spi, rec.esp_seq, rec.esp_len = int(e.group(1), 16), int(e.group(2), 16), int(e.group(3))
        else:
            s = ESP_SPI_ONLY.match(body)
            rec.esp_spi = int(s.group(1), 16) if s else None
        return rec
    if udp_encap:
        rec.kind = "udp-esp"
        return rec
    if body.startswith("isakmp"):
        rec.kind = "isakmp"
        _isakmp(rec, body, payload_lines)
    return rec


def _isakmp(rec: TdRecord, body: str, payload_lines: list[str]) -> None:
    m = ISAKMP_V.match(body)
    if m:
        rec.version = (int(m.group(1)), int(m.group(2)))
        rec.msgid = int(m.group(3), 16)
        rec.icookie, rec.rcookie = m.group(4), m.group(5)
        rest = m.group(6)
    else:
        p = ISAKMP_PLAIN.match(body)
        rest = p.group(1) if p else ""
    v1 = PHASE_V1.match(rest)
    v2 = PHASE_V2.match(rest)
    if v1:
        rec.phase, rec.ir, name, rec.flag_letters, tail = v1.groups()
    elif v2:
        rec.phase, name, rec.flag_letters, tail = v2.groups()
    else:
        return
    rec.exchange_name = name
    rec.exchange = int(name[1:]) if name.startswith("#") and name[1:].isdigit() else EXCHANGES.get(name)
    enc = re.match(r"\[encrypted ([A-Za-z0-9]+)\]", tail or "")
    if enc:
        rec.encrypted_first = enc.group(1)
    version = rec.ike_version
    table = PAYLOADS_V2 if version == 2 else PAYLOADS_V1
    for line in payload_lines:
        if not line.startswith("    (") or line.startswith("     "):
            continue  # nested (proposals, transforms, decrypted SK contents) or not a payload
        pm = PAYLOAD.match(line[4:])
        if pm is None:
            continue
        name, crit, text = pm.groups()
        if name.startswith("pay") and name[3:].isdigit():
            ptype: int | None = int(name[3:])
        else:
            ptype = table.get(name)
        rec.payloads.append(TdPayload(name, ptype, bool(crit), text))


def v1_transform_attributes(text: str) -> list[dict[int, int]]:
    """IKEv1 ``(t: #1 id=ike (type=enc value=aes)...)`` lines of one record -> [{type: value}] per transform."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("(t: #"):
            continue
        attrs: dict[int, int] = {}
        for name, value in ATTR.findall(s):
            spec = ATTRS_V1.get(name)
            if spec is None:
                continue
            atype, names = spec
            if value in names:
                attrs[atype] = names[value]
            elif re.fullmatch(r"[0-9a-f]+", value):
                attrs[atype] = int(value, 16)
        out.append(attrs)
    return out

"""Decrypting and verifying ESP packets (RFC 4303) with known SAs.

:class:`EspDecryptor` holds the SAs (from Quick Mode, dissect.espkeys, or
from tables, dissect.espsources) and, per SA, the objects decryption needs,
built once: an ECB decryptor for CBC ciphers (cryptography's; for Twofish,
which cryptography lacks, dissect.twofish's), since CBC is undone block-wise
as P_i = D(C_i) xor C_i-1 and one context then serves every packet; an
AESGCM object; and an HMAC whose copy is taken per packet.  :meth:`EspDecryptor.process`
checks the ICV, decrypts, removes and checks the padding, reads the next
header and analyses sequence numbers; the result goes on the packet's
:class:`~dissect.esp.EspHeader` as ``plain`` (an :class:`EspPlain`).

Per SA it counts packets, bytes, ICV failures and sequence-number gaps,
replays and wraps (:class:`EspSaStats`).  Wrong keys show as ICV failures
(or, without an ICV, as padding that does not check), said once per SA in
the summary, not once per packet.
"""
from __future__ import annotations

import hmac as std_hmac
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .ciphers import CIPHERS
from .espsa import EspSa
from . import registry
from .inner import NO_NEXT_HEADER, InnerPacket, decode_inner
from .twofish import TwofishEcbDecryptor

__all__ = ["EspDecryptor", "EspPlain", "EspSaStats"]

#: cryptography block cipher per EspEncryption.cipher (the IKE cipher table's builders)
_BLOCK = {"AES": CIPHERS[7], "3DES": CIPHERS[5], "DES": CIPHERS[1], "Blowfish": CIPHERS[3], "CAST": CIPHERS[6]}
_HASHES = {"MD5": hashes.MD5, "SHA1": hashes.SHA1, "SHA256": hashes.SHA256, "SHA384": hashes.SHA384,
           "SHA512": hashes.SHA512}
#: how far back a sequence number counts as a replay rather than a new one (RFC 4303 §3.4.3 window)
REPLAY_WINDOW = 64
#: ESP inside ESP decrypted this deep at most
MAX_NESTING = 4


@dataclass
class EspPlain:
    """One decrypted ESP packet.

    icv          "ok", "failed", "unchecked" (an ICV of unknown algorithm) or "none" (NULL integrity)
    next_header  the trailer's Next Header (4 IPv4, 41 IPv6, 59 none, else transport mode)
    pad_length   bytes of padding; ``pad_ok`` whether they are 1, 2, 3, ... (RFC 4303 §2.4)
    payload      the plaintext without IV, padding and trailer
    inner        the decoded inner packet (dissect.inner.InnerPacket), or None
    seq_note     "gap of N", "replay", "wrapped" or ""
    sa           the EspSa used
    problem      why the plaintext is not a packet ("padding incorrect", a next header that makes no
                 sense): with no failed ICV, the sign of wrong keys; "" when fine
    nested       the inner ESP packet decrypted, when the inner packet is ESP with a known SPI
    """
    icv: str
    next_header: int | None
    pad_length: int
    pad_ok: bool
    payload: bytes
    inner: InnerPacket | None
    seq_note: str
    sa: EspSa
    nested: EspPlain | None = None
    problem: str = ""

    @property
    def innermost(self) -> InnerPacket | None:
        """The deepest decoded inner packet: through nested ESP (an ESP tunnel carrying ESP) when its SA is known."""
        if self.nested is not None and self.nested.inner is not None:
            return self.nested.innermost
        return self.inner

    @property
    def ok(self) -> bool:
        return self.icv in ("ok", "none", "unchecked") and not self.problem and self.next_header is not None

    def to_dict(self) -> dict:
        d = {"icv": self.icv, "next_header": self.next_header, "pad_length": self.pad_length,
             "pad_ok": self.pad_ok, "sa": self.sa.source}
        if self.problem:
            d["problem"] = self.problem
        if self.seq_note:
            d["sequence"] = self.seq_note
        if self.inner is not None:
            d["inner"] = self.inner.to_dict()
        if self.nested is not None:
            d["nested"] = self.nested.to_dict()
        return d


@dataclass
class EspSaStats:
    """Counts for one SA and SPI (a table's SA may leave the SPI open): packets and bytes (of ESP,
    from the SPI on), failures, sequence analysis."""
    sa: EspSa
    spi: int | None = None
    packets: int = 0
    bytes: int = 0
    decrypted: int = 0
    icv_failed: int = 0
    garbled: int = 0            # decrypted to no packet: bad padding or a senseless next header (wrong keys?)
    truncated: int = 0
    gaps: int = 0               # sequence numbers missing (counted)
    replays: int = 0
    wraps: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    seen: set = field(default_factory=set)  # recent sequence numbers (replay detection), bounded


class _SaRuntime:
    """The per-SA objects built once: cipher context, AEAD object, HMAC base."""

    def __init__(self, sa: EspSa):
        self.sa = sa
        enc = sa.enc
        key = sa.enc_key[:len(sa.enc_key) - enc.salt_bytes] if enc.salt_bytes else sa.enc_key
        self.salt = sa.enc_key[len(key):]
        self.ecb = None
        self.gcm = None
        self.key = key
        if enc.mode == "cbc" and enc.cipher == "Twofish":  # not in cryptography: dissect.twofish
            self.ecb = TwofishEcbDecryptor(key)
        elif enc.mode == "cbc":
            spec = _BLOCK.get(enc.cipher)
            if spec is None:
                raise ValueError(f"{enc.name} is not available in this build of cryptography")
            self.ecb = Cipher(spec.algorithm(key), modes.ECB()).decryptor()
        elif enc.mode == "gcm":
            self.gcm = AESGCM(key)
        self.mac = None
        if sa.auth.hash is not None and enc.mode != "gcm":
            self.mac = hmac.HMAC(sa.auth_key, _HASHES[sa.auth.hash]())

    def icv_ok(self, signed: bytes, icv: bytes) -> bool:
        h = self.mac.copy()
        h.update(signed)
        return std_hmac.compare_digest(h.finalize()[:len(icv)], icv)

    def decrypt(self, iv: bytes, data: bytes, aad: bytes, tag: bytes) -> bytes | None:
        """Plaintext, or None when the AEAD tag fails (GCM)."""
        mode = self.sa.enc.mode
        if mode == "null":
            return data
        if mode == "cbc":
            raw = self.ecb.update(data)
            prev = iv + data[:-len(iv)] if data else b""
            return (int.from_bytes(raw, "big") ^ int.from_bytes(prev, "big")).to_bytes(len(raw), "big")
        if mode == "ctr":
            d = Cipher(algorithms.AES(self.key), modes.CTR(self.salt + iv + b"\0\0\0\1")).decryptor()
            return d.update(data) + d.finalize()
        try:  # gcm
            return self.gcm.decrypt(self.salt + iv, data + tag, aad)
        except InvalidTag:
            return None


class EspDecryptor:
    """Decrypts ESP packets with the SAs given (:meth:`add`), in capture order (:meth:`process`)."""

    def __init__(self, sas: list[EspSa] | None = None):
        self._by_spi: dict[int | None, list[tuple[EspSa, _SaRuntime | None]]] = {}  # None: any SPI
        self.sas: list[EspSa] = []                 # in the order added
        self.stats: dict[tuple[int, int], EspSaStats] = {}  # (id(sa), SPI) -> stats, in the order first seen
        self.problems: list[str] = []              # SAs that cannot be used, one line each
        self.unknown_spis: dict[int, int] = {}     # SPI -> packets without an SA
        for sa in sas or []:
            self.add(sa)

    def add(self, sa: EspSa) -> None:
        problem = sa.problem()
        runtime = None
        if problem is None:
            try:
                runtime = _SaRuntime(sa)
            except ValueError as err:
                problem = str(err)
        if problem is not None:
            self.problems.append(f"{sa.source}: SPI {'*' if sa.spi is None else f'0x{sa.spi:08x}'}: {problem}")
        self._by_spi.setdefault(sa.spi, []).append((sa, runtime))
        self.sas.append(sa)

    def _lookup(self, spi: int, src: str, dst: str) -> tuple[EspSa, _SaRuntime | None] | None:
        found = self._by_spi.get(spi, [])
        exact = [f for f in found if f[0].dst in (None, dst) and f[0].src in (None, src)]
        if exact or found:
            return (exact or found)[-1]  # the latest SA for this SPI (a rekey may reuse it)
        # tables may leave the SPI open ("*"): then the addresses must match
        wild = [f for f in self._by_spi.get(None, []) if f[0].dst in (None, dst) and f[0].src in (None, src)]
        return wild[-1] if wild else None

    def process(self, pkt) -> EspPlain | None:
        """Decrypt one ESP packet (a Packet whose ``esp`` is set); the result also goes on ``pkt.esp.plain``.

        None when no usable SA has the packet's SPI (counted in ``unknown_spis``
        or in the SA's stats) or the packet is too short for its SA (counted as
        truncated).
        """
        esp, d = pkt.esp, pkt.datagram
        result = self._open(esp.spi, esp.seq, d.payload, esp.length, d.src, d.dst, 0)
        if result is not None:
            esp.plain = result
        return result

    def _open(self, spi: int, seq: int | None, data: bytes, length: int, src: str, dst: str,
              depth: int) -> EspPlain | None:
        entry = self._lookup(spi, src, dst)
        if entry is None:
            self.unknown_spis[spi] = self.unknown_spis.get(spi, 0) + 1
            return None
        sa, rt = entry
        st = self.stats.get((id(sa), spi))
        if st is None:  # a table's "*" SPI: counted per SPI, so that sequence numbers make sense
            st = self.stats[(id(sa), spi)] = EspSaStats(sa, spi)
        st.packets += 1
        st.bytes += length
        if rt is None:
            return None
        seq_note = _sequence(st, seq)
        enc = sa.enc
        icv_len = sa.icv_bytes
        body_start = 8 + enc.iv_bytes
        if seq is None or len(data) < body_start + icv_len + 2:
            st.truncated += 1
            return None
        icv = data[len(data) - icv_len:] if icv_len else b""
        signed = data[:len(data) - icv_len]
        iv, ciphertext = data[8:body_start], signed[body_start:]
        if enc.mode == "cbc" and len(ciphertext) % enc.block_bytes:
            st.truncated += 1
            return None
        icv_state = "none"
        if rt.mac is not None:
            icv_state = "ok" if rt.icv_ok(signed, icv) else "failed"
        elif icv_len and enc.mode != "gcm":
            icv_state = "unchecked"
        plain = rt.decrypt(iv, ciphertext, data[:8], icv)
        if enc.mode == "gcm":
            icv_state = "ok" if plain is not None else "failed"
        if icv_state == "failed":  # wrong keys (or a damaged packet): the plaintext is not worth reading
            st.icv_failed += 1
            return EspPlain(icv_state, None, 0, False, b"", None, seq_note, sa)
        if plain is None or len(plain) < 2:
            return EspPlain(icv_state, None, 0, False, b"", None, seq_note, sa)
        pad_len, next_header = plain[-2], plain[-1]
        pad_ok = pad_len + 2 <= len(plain) and plain[-2 - pad_len:-2] == bytes(range(1, pad_len + 1))
        problem = "" if pad_ok else "padding incorrect"
        payload = plain[:len(plain) - 2 - pad_len] if pad_ok else b""
        inner = decode_inner(next_header, payload, src, dst) if pad_ok and icv_state != "failed" else None
        if inner is not None and icv_state != "ok" and not _plausible(next_header, inner):
            # without a verified ICV, a wrong key shows as a next header or inner packet that makes no sense
            problem, inner = f"next header {next_header} and its packet make no sense", None
        if problem:
            st.garbled += 1
        result = EspPlain(icv_state, None if problem else next_header, pad_len, pad_ok, payload if not problem
                          else b"", inner, seq_note, sa, problem=problem)
        if result.ok:
            st.decrypted += 1
        if inner is not None and inner.protocol == 50 and not inner.error and depth < MAX_NESTING:
            l4 = inner.l4
            result.nested = self._open(int.from_bytes(l4[:4], "big"), int.from_bytes(l4[4:8], "big"), l4,
                                       len(l4), inner.src, inner.dst, depth + 1)
        return result

    def summary(self) -> list[EspSaStats]:
        """Stats per SA and SPI, in the order the SAs were added; an SA without packets has one empty entry."""
        by_sa: dict[int, list[EspSaStats]] = {}
        for st in self.stats.values():
            by_sa.setdefault(id(st.sa), []).append(st)
        return [st for sa in self.sas for st in by_sa.get(id(sa), [EspSaStats(sa, sa.spi)])]


#: Next Header values a right key gives: IP protocols in use, and 59 (no next header)
_PLAUSIBLE_NEXT = (set(registry.IP_PROTOCOLS) - {0}) | {NO_NEXT_HEADER}


def _plausible(next_header: int, inner: InnerPacket) -> bool:
    """Whether an unauthenticated plaintext looks like a packet (tunnel mode: an inner IP header that
    decodes; transport mode: a protocol in use)."""
    if next_header not in _PLAUSIBLE_NEXT:
        return False
    return not (inner.mode == "tunnel" and inner.error)


def _sequence(st: EspSaStats, seq: int | None) -> str:
    """Sequence-number analysis for one packet (RFC 4303 §3.3.3, §3.4.3): gaps, replays, wraps."""
    if seq is None:
        return ""
    note = ""
    if st.last_seq is None:
        st.first_seq = seq
    elif seq in st.seen:
        st.replays += 1
        note = "replay"
    elif seq == st.last_seq + 1:
        pass
    elif seq > st.last_seq + 1:
        missing = seq - st.last_seq - 1
        st.gaps += missing
        note = f"gap of {missing}"
    elif seq < st.last_seq and st.last_seq > 0xFFFFFF00 and seq < 0x100:
        st.wraps += 1
        note = "wrapped"
    else:
        note = "out of order"
    st.seen.add(seq)
    if len(st.seen) > REPLAY_WINDOW * 2:
        floor = max(st.seen) - REPLAY_WINDOW
        st.seen = {s for s in st.seen if s >= floor}
    if st.last_seq is None or seq > st.last_seq or note == "wrapped":
        st.last_seq = seq
    return note

"""Decrypting and verifying ESP packets (RFC 4303) with known SAs.

:class:`EspDecryptor` holds the SAs (from Quick Mode, dissect.espkeys, or
from tables, dissect.espsources) and, per SA, the objects decryption needs,
built once: a CBC decryptor that runs across packets (each packet's IV is
fed first, as a ciphertext block, so that the chain restarts from it; for
Twofish, which cryptography lacks, dissect.twofish's ECB and a XOR per
block); an AESGCM object; and an HMAC whose copy is taken per packet.  :meth:`EspDecryptor.process`
checks the ICV, decrypts, removes and checks the padding, reads the next
header and analyses sequence numbers; the result goes on the packet's
:class:`~dissect.esp.EspHeader` as ``plain`` (an :class:`EspPlain`).

Per SA it counts packets, bytes, ICV failures and sequence-number gaps,
replays and wraps (:class:`EspSaStats`).  Wrong keys show as ICV failures
(or, without an ICV, as padding that does not check), said once per SA in
the summary, not once per packet.
"""
from __future__ import annotations

from hmac import compare_digest
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .ciphers import CIPHERS
from .espsa import EspSa
from . import registry
from .model import cut_by_capture
from .inner import NO_NEXT_HEADER, InnerPacket, carries_esp, decode_inner, ip_datagram
from .twofish import TwofishEcbDecryptor

__all__ = ["EspDecryptor", "EspPlain", "EspSaStats"]

#: cryptography block cipher per EspEncryption.cipher (the IKE cipher table's builders)
BLOCK_CIPHERS = {"AES": CIPHERS[7], "3DES": CIPHERS[5], "DES": CIPHERS[1], "Blowfish": CIPHERS[3], "CAST": CIPHERS[6]}
HMAC_HASHES = {"MD5": hashes.MD5, "SHA1": hashes.SHA1, "SHA256": hashes.SHA256, "SHA384": hashes.SHA384,
           "SHA512": hashes.SHA512}
#: how far back a sequence number counts as a replay rather than a new one (RFC 4303 §3.4.3 window)
REPLAY_WINDOW = 64
_WINDOW_MASK = (1 << REPLAY_WINDOW) - 1
#: the padding RFC 4303 §2.4 prescribes, by pad length: 1, 2, 3, ...
_PADDING = [bytes(range(1, n + 1)) for n in range(256)]
#: ESP inside ESP decrypted this deep at most
MAX_NESTING = 4


class EspPlain:
    """One decrypted ESP packet.

    icv          "ok", "failed", "unchecked" (an ICV of unknown algorithm) or "none" (NULL integrity)
    next_header  the trailer's Next Header (4 IPv4, 41 IPv6, 59 none, else transport mode), None when
                 the packet did not decrypt to one
    pad_length   bytes of padding; ``pad_ok`` whether they are 1, 2, 3, ... (RFC 4303 §2.4)
    payload      the plaintext without IV, padding and trailer
    seq_note     "gap of N", "replay", "wrapped", "out of order" or ""
    sa           the EspSa used
    src, dst     the addresses of the ESP packet (the inner ones in transport mode)
    problem      why the plaintext is not a packet ("padding incorrect", a next header that makes no
                 sense): with no failed ICV, the sign of wrong keys; or why the packet was not
                 decrypted (``truncated``: cut short by the capture, or too short); "" when fine
    nested       the inner ESP packet decrypted, when the inner packet is ESP with a known SPI
    inner        the decoded inner packet (dissect.inner.InnerPacket), or None; decoded when first
                 asked for, so that decrypting a flood costs no dpkt parsing
    """
    __slots__ = ("icv", "next_header", "pad_length", "pad_ok", "payload", "seq_note", "sa", "src", "dst",
                 "problem", "truncated", "nested", "_inner")

    def __init__(self, icv: str, next_header: int | None, pad_length: int, pad_ok: bool, payload: bytes,
                 seq_note: str, sa: EspSa, src: str = "", dst: str = "", problem: str = "",
                 truncated: bool = False):
        self.icv, self.next_header, self.pad_length, self.pad_ok = icv, next_header, pad_length, pad_ok
        self.payload, self.seq_note, self.sa, self.src, self.dst = payload, seq_note, sa, src, dst
        self.problem = problem
        self.truncated = truncated  # cut short by the capture, or too short for its SA: not decrypted
        self.nested: EspPlain | None = None
        self._inner: InnerPacket | None = None

    def __repr__(self) -> str:
        return (f"EspPlain(icv={self.icv!r}, next_header={self.next_header}, pad_length={self.pad_length}, "
                f"problem={self.problem!r}, sa={self.sa.source!r})")

    @property
    def inner(self) -> InnerPacket | None:
        if self._inner is None and self.next_header is not None:
            self._inner = decode_inner(self.next_header, self.payload, self.src, self.dst)
        return self._inner

    @property
    def deepest(self) -> EspPlain:
        """This packet, or the ESP packet it carries when that decrypted too (an ESP tunnel carrying ESP)."""
        return self.nested.deepest if self.nested is not None and self.nested.ok else self

    @property
    def innermost(self) -> InnerPacket | None:
        """The deepest decoded inner packet: through nested ESP when its SA is known."""
        return self.deepest.inner

    def ip_bytes(self) -> bytes:
        """The inner packet as an IP datagram, for a raw-IP pcap (no dpkt parsing); b"" for none or a dummy."""
        if self.next_header is None:
            return b""
        return ip_datagram(self.next_header, self.payload, self.src, self.dst)

    @property
    def ok(self) -> bool:
        return self.icv in ("ok", "none", "unchecked") and not self.problem and self.next_header is not None

    def to_dict(self) -> dict:
        """JSON object (README "ESP decryption"); without the trailer's fields when the ICV failed
        (the packet was not decrypted)."""
        if self.icv == "failed":
            return {"icv": "failed", "sa": self.sa.source, **({"sequence": self.seq_note} if self.seq_note else {})}
        if self.truncated:
            return {"icv": "unchecked", "sa": self.sa.source, "problem": self.problem, "truncated": True}
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
    garbled_icv_ok: int = 0     # of those, with a correct ICV: the encryption key or algorithm is wrong
    truncated: int = 0
    gaps: int = 0               # sequence numbers missing (late packets fill them again)
    reordered: int = 0          # packets that came after a higher sequence number
    replays: int = 0
    wraps: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    window: int = 0             # replay window: bit i set when last_seq - i was seen


class _SaRuntime:
    """The per-SA objects built once: cipher context, AEAD object, HMAC base."""

    def __init__(self, sa: EspSa):
        self.sa = sa
        enc = sa.enc
        key = sa.enc_key[:len(sa.enc_key) - enc.salt_bytes] if enc.salt_bytes else sa.enc_key
        self.salt = sa.enc_key[len(key):]
        self.ecb = None   # Twofish: an ECB decryptor; CBC is undone with a XOR per block
        self.cbc = None   # cryptography's CBC decryptor, kept running across packets (see decrypt)
        self.gcm = None
        self.key = key
        if enc.mode == "cbc" and enc.cipher == "Twofish":  # not in cryptography: dissect.twofish
            self.ecb = TwofishEcbDecryptor(key)
        elif enc.mode == "cbc":
            spec = BLOCK_CIPHERS.get(enc.cipher)
            if spec is None:
                raise ValueError(f"{enc.name} is not available in this build of cryptography")
            self.cbc = Cipher(spec.algorithm(key), modes.CBC(bytes(enc.block_bytes))).decryptor()
        elif enc.mode == "gcm" and enc.icv_bytes == 16:
            self.gcm = AESGCM(key)
        self.mac = None  # the HMAC keyed once; each packet's is a copy of it
        if sa.auth.hash is not None and enc.mode != "gcm":
            self.mac = hmac.HMAC(sa.auth_key, HMAC_HASHES[sa.auth.hash]())
        # the packet layout, worked out once
        self.icv_len = sa.icv_bytes
        self.body_start = 8 + enc.iv_bytes
        self.block = enc.block_bytes if enc.mode == "cbc" else 1
        self.aead = enc.mode == "gcm"
        #: the ICV state without an HMAC: an ICV of unknown algorithm is not checked
        self.icv_state = "unchecked" if self.icv_len and not self.aead else "none"

    def verifies(self, data: bytes) -> bool:
        """Whether this SA's keys fit an ESP packet: its ICV (or AEAD tag) checks, and the plaintext's
        padding does (an SA that shares the integrity key of another but not its encryption key fails).
        Used to choose among several SAs given for one SPI."""
        end = len(data) - self.icv_len
        if end < self.body_start + 2 or (end - self.body_start) % self.block:
            return False
        if self.mac is not None and not self.icv_ok(data, end):
            return False
        plain = self.decrypt(data, self.body_start, end)
        return plain is not None and len(plain) >= 2 and _padding_ok(plain)

    def icv_ok(self, data: bytes, end: int) -> bool:
        """Whether the HMAC of ``data[:end]`` (SPI to ciphertext), truncated, is the ICV ``data[end:]``."""
        h = self.mac.copy()
        h.update(data[:end])
        return compare_digest(h.finalize()[:self.icv_len], data[end:])

    def decrypt(self, data: bytes, body_start: int, end: int) -> bytes | None:
        """The plaintext of an ESP packet ``data`` (from the SPI on) whose IV is ``data[8:body_start]``,
        ciphertext ``data[body_start:end]`` and ICV ``data[end:]``; None when the AEAD tag fails (GCM)."""
        mode = self.sa.enc.mode
        if mode == "cbc" and self.cbc is not None:
            # A CBC decryptor turns C_i into D(C_i) xor C_i-1 and keeps C_i as the next chaining value.
            # Fed this packet's IV first, as if it were a ciphertext block, it chains from the IV: the
            # first block out is discarded, the rest is the plaintext.  No block stays buffered, so one
            # context serves every packet of the SA.
            return self.cbc.update(data[8:end])[body_start - 8:]
        iv, body = data[8:body_start], data[body_start:end]
        if mode == "null":
            return body
        if mode == "cbc":
            raw = self.ecb.update(body)
            prev = iv + body[:-len(iv)] if body else b""
            return (int.from_bytes(raw, "big") ^ int.from_bytes(prev, "big")).to_bytes(len(raw), "big")
        if mode == "ctr":
            d = Cipher(algorithms.AES(self.key), modes.CTR(self.salt + iv + b"\0\0\0\1")).decryptor()
            return d.update(body) + d.finalize()
        try:  # gcm: AESGCM takes 16-octet tags; the 8- and 12-octet ICVs of RFC 4106 go through GCM mode
            if self.gcm is not None:
                return self.gcm.decrypt(self.salt + iv, body + data[end:], data[:8])
            d = Cipher(algorithms.AES(self.key), modes.GCM(self.salt + iv, data[end:],
                                                           min_tag_length=len(data) - end)).decryptor()
            d.authenticate_additional_data(data[:8])
            return d.update(body) + d.finalize()
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
        self.notes: list[str] = []                 # which of several SAs for one SPI verifies
        self._route: dict[tuple[int, str, str], tuple | None] = {}  # (SPI, src, dst) -> (sa, runtime, stats)
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
        self._route.clear()

    def _candidates(self, spi: int, src: str, dst: str) -> list[tuple[EspSa, _SaRuntime | None]]:
        """The SAs that may carry a packet: its SPI (or a table's "*"), and addresses and family that match,
        as Wireshark matches its esp_sa rows; the most recently added first."""
        version = 6 if ":" in src else 4

        def fits(sa: EspSa) -> bool:
            return sa.dst in (None, dst) and sa.src in (None, src) and sa.ip_version in (None, version)
        exact = [f for f in self._by_spi.get(spi, []) if fits(f[0])]
        return (exact or [f for f in self._by_spi.get(None, []) if fits(f[0])])[::-1]

    def _find(self, spi: int, src: str, dst: str, data: bytes) -> tuple | None | bool:
        """The route of a packet: (sa, runtime, stats); None without an SA; False when several SAs fit
        and none verifies this packet (ask again with the next one).  With several, the one whose ICV
        (or, without integrity, padding) checks is taken, and a note says so."""
        found = self._candidates(spi, src, dst)
        if not found:
            return None
        chosen = found[0]
        if len(found) > 1:
            good = next((f for f in found if f[1] is not None and f[1].verifies(data)), None)
            if good is None:
                return False
            chosen = good
            same = (good[0].enc, good[0].enc_key, good[0].auth, good[0].auth_key)
            others = [f[0].source for f in found if (f[0].enc, f[0].enc_key, f[0].auth, f[0].auth_key) != same]
            if others:
                self.notes.append(f"SPI 0x{spi:08x} {src} -> {dst}: {len(others) + 1} different SAs fit; the keys "
                                  f"of {good[0].source} verify and are used, not those of {', '.join(others)}")
        sa, rt = chosen
        st = self.stats.get((id(sa), spi))
        if st is None:  # per SA and SPI: a table's "*" SPI covers several, each with its sequence numbers
            st = self.stats[(id(sa), spi)] = EspSaStats(sa, spi)
        return sa, rt, st

    def process(self, pkt) -> EspPlain | None:
        """Decrypt one ESP packet (a Packet whose ``esp`` is set); the result also goes on ``pkt.esp.plain``.

        None when no usable SA has the packet's SPI (counted in ``unknown_spis``
        or in the SA's stats) or the packet is too short for its SA (counted as
        truncated).
        """
        esp, d = pkt.esp, pkt.datagram
        result = self._open(esp.spi, esp.seq, d.payload, esp.length, d.src, d.dst, 0,
                            bool(d.notes) and cut_by_capture(d.notes))
        if result is not None:
            esp.plain = result
        return result

    def _open(self, spi: int, seq: int | None, data: bytes, length: int, src: str, dst: str,
              depth: int, cut: bool = False) -> EspPlain | None:
        key = (spi, src, dst)
        route = self._route.get(key, False)
        if route is False:
            route = self._find(spi, src, dst, data)
            if route is False:  # several SAs fit and none verifies this packet: count it on the latest
                found = self._candidates(spi, src, dst)[0][0]
                route = (found, None, self.stats.setdefault((id(found), spi), EspSaStats(found, spi)))
                route[2].packets += 1
                route[2].bytes += length
                route[2].icv_failed += 1
                return EspPlain("failed", None, 0, False, b"", "", found, src, dst)
            self._route[key] = route
        if route is None:
            self.unknown_spis[spi] = self.unknown_spis.get(spi, 0) + 1
            return None
        sa, rt, st = route
        st.packets += 1
        st.bytes += length
        if rt is None:
            return None
        icv_len, body_start = rt.icv_len, rt.body_start
        end = len(data) - icv_len
        if cut or seq is None or end < body_start + 2 or (end - body_start) % rt.block:
            st.truncated += 1
            why = ("cut short by the capture (snap length): not decrypted" if cut or seq is None else
                   f"too short for its SA: {len(data)} bytes, not SPI, sequence, IV, whole cipher blocks"
                   f"{' and ICV' if icv_len else ''}")
            return EspPlain("unchecked", None, 0, False, b"", "", sa, src, dst, why, truncated=True)
        if rt.mac is not None:
            icv_state = "ok" if rt.icv_ok(data, end) else "failed"
        else:
            icv_state = rt.icv_state
        plain = rt.decrypt(data, body_start, end)
        if rt.aead:
            icv_state = "ok" if plain is not None else "failed"
        # the replay window moves only for packets whose ICV checks (RFC 4303 §3.4.3)
        last = st.last_seq
        if icv_state == "failed":
            seq_note = ""
        elif last is not None and seq == last + 1:
            st.last_seq = seq  # in order: the common case, without a call
            st.window = ((st.window << 1) | 1) & _WINDOW_MASK
            seq_note = ""
        else:
            seq_note = _sequence(st, seq)
        if icv_state == "failed":  # wrong keys (or a damaged packet): the plaintext is not worth reading
            st.icv_failed += 1
            return EspPlain(icv_state, None, 0, False, b"", seq_note, sa, src, dst)
        if plain is None or len(plain) < 2:
            return EspPlain(icv_state, None, 0, False, b"", seq_note, sa, src, dst)
        pad_len, next_header = plain[-2], plain[-1]
        pad_ok = _padding_ok(plain)
        if not pad_ok and icv_state == "ok" and pad_len + 2 <= len(plain):
            # RFC 4303 §2.4 lets a sender pad with other bytes than 1, 2, 3, ...: with a correct ICV the
            # packet stands if what it carries makes sense (Wireshark shows it too)
            result = EspPlain(icv_state, next_header, pad_len, False, plain[:len(plain) - 2 - pad_len], seq_note,
                              sa, src, dst)
            if _plausible(next_header, result.inner):
                st.decrypted += 1
                return result
        if not pad_ok:
            st.garbled += 1
            if icv_state == "ok":  # the integrity key is right: the cipher, its key or its IV is not
                st.garbled_icv_ok += 1
                return EspPlain(icv_state, None, pad_len, False, b"", seq_note, sa, src, dst,
                                "padding incorrect although the ICV is correct: wrong encryption key or algorithm")
            return EspPlain(icv_state, None, pad_len, False, b"", seq_note, sa, src, dst, "padding incorrect")
        result = EspPlain(icv_state, next_header, pad_len, True, plain[:len(plain) - 2 - pad_len], seq_note, sa,
                          src, dst)
        if icv_state != "ok" and not _plausible(next_header, result.inner):
            # without a verified ICV, a wrong key shows as a next header or inner packet that makes no sense
            st.garbled += 1
            result.next_header, result.payload, result._inner = None, b"", None
            result.problem = f"next header {next_header} and its packet make no sense"
            return result
        st.decrypted += 1
        if depth < MAX_NESTING and carries_esp(next_header, result.payload):
            inner = result.inner
            if not inner.error:
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


def _padding_ok(plain: bytes) -> bool:
    """Whether a plaintext (at least 2 bytes) ends in the padding RFC 4303 §2.4 prescribes: 1, 2, 3, ...,
    then the pad length (and the next header)."""
    pad = plain[-2]
    return pad + 2 <= len(plain) and plain[-2 - pad:-2] == _PADDING[pad]


#: Next Header values a right key gives: IP protocols in use, and 59 (no next header)
_PLAUSIBLE_NEXT = (set(registry.IP_PROTOCOLS) - {0}) | {NO_NEXT_HEADER}


def _plausible(next_header: int, inner: InnerPacket) -> bool:
    """Whether an unauthenticated plaintext looks like a packet (tunnel mode: an inner IP header that
    decodes; transport mode: a protocol in use)."""
    if next_header not in _PLAUSIBLE_NEXT:
        return False
    return not (inner.mode == "tunnel" and inner.error)


def _sequence(st: EspSaStats, seq: int | None) -> str:
    """Sequence-number analysis for one packet (RFC 4303 §3.3.3, §3.4.3 and its Appendix A's sliding
    window): gaps, replays, wraps.  ``st.window`` has bit i set when ``last_seq - i`` was seen."""
    if seq is None:
        return ""
    last = st.last_seq
    if last is None:
        st.first_seq = st.last_seq = seq
        st.window = 1
        return ""
    if seq > last:
        step = seq - last
        st.window = ((st.window << step) | 1) & _WINDOW_MASK
        st.last_seq = seq
        if step == 1:
            return ""
        st.gaps += step - 1
        return f"gap of {step - 1}"
    if last > 0xFFFFFF00 and seq < 0x100:  # the 32-bit counter started again (an SA should rekey first)
        st.wraps += 1
        st.last_seq, st.window = seq, 1
        return "wrapped"
    back = last - seq
    if back < REPLAY_WINDOW and st.window >> back & 1:
        st.replays += 1
        return "replay"
    st.reordered += 1
    if back < REPLAY_WINDOW:  # a late packet: the gap it left is filled
        st.window |= 1 << back
        st.gaps = max(st.gaps - 1, 0)
    return "out of order"

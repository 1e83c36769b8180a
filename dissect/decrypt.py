"""Decrypting IKEv1 (RFC 2409) as the messages stream by, and saying whether the PSK is right.

For every IKE SA that some key material matches (:mod:`dissect.keysources`),
:class:`Decryptor` gathers what the key schedule needs from the clear
messages — the initiator's SA payload body (SAi_b), the chosen transform,
the KE values g^xi and g^xr, the nonces Ni_b and Nr_b — derives SKEYID,
SKEYID_d/a/e and the cipher key (:mod:`dissect.keyschedule`), follows the
CBC IV chains (Phase 1: hash(g^xi | g^xr), then the last ciphertext block;
Quick Mode and Informational: hash(last Phase-1 block | M-ID) per message
ID, then chained) and decrypts Main Mode 5/6, Aggressive Mode 3, Quick
Mode, Informational and Transaction messages in place: the decrypted
payloads go through the same decoders as any other.

It verifies HASH_I and HASH_R (RFC 2409 §5), the Quick Mode HASH(1)/(2)/(3)
(§5.5) and Informational HASH(1) (§5.7), and gives each IKE SA a verdict:
``PSK verified``; ``HASH_I mismatch: wrong pre-shared key or DH secret``;
``decryption gives no valid payload chain: this key material does not
belong to this SA``.  In Aggressive Mode HASH_R travels in the clear, so a
PSK is checked from the capture alone, and candidate PSKs can be tried.

Retransmissions (the same bytes again) are decrypted with the IV their first
copy used and do not move the chains.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

from . import dhgroups, keyschedule as ks
from .ciphers import CipherSpec, cbc_decrypt, cipher_spec, key_bytes
from .isakmp import Message, decode_decrypted
from .keysources import KeyEntry
from .model import ERROR, WARNING, Expert, Packet
from .payloads import SaPayload, Transform

VERIFIED = "PSK verified"
MISMATCH = "HASH_I mismatch: wrong pre-shared key or DH secret"
NOT_THIS_SA = "decryption gives no valid payload chain: this key material does not belong to this SA"
KEYS_VERIFIED = "keys verified (HASH_I/HASH_R match)"  # keys without a PSK (a log, a table) that check out

#: Authentication methods whose SKEYID is prf(Ni_b | Nr_b, g^xy) (RFC 2409 §5): DSS, RSA and ECDSA
#: signatures (RFC 4754), hybrid (draft-ietf-ipsec-isakmp-hybrid-auth) and XAUTH over signatures.
SIGNATURE_AUTH = frozenset({2, 3, 9, 10, 11, 64221, 64222, 64223, 64224, 65003, 65004, 65005, 65006})

#: Retransmissions and message IDs remembered per IKE SA (memory stays bounded).
RECENT = 64


@dataclass
class Phase1Keys:
    """The keys of one IKE SA (RFC 2409 §5); ``source`` says where they came from."""
    hash_id: int
    cipher: CipherSpec
    enc_key: bytes                 # Ka
    iv: bytes | None               # the Phase 1 IV, hash(g^xi | g^xr)
    source: str
    gxy: bytes | None = None
    skeyid: bytes | None = None
    skeyid_d: bytes | None = None
    skeyid_a: bytes | None = None
    skeyid_e: bytes | None = None
    psk_based: bool = False        # SKEYID came from a PSK given by the user (a verdict is possible)

    def to_dict(self, show_secrets: bool = False) -> dict:
        def val(b: bytes | None):
            if b is None:
                return None
            return b.hex() if show_secrets else "*" * 8
        return {"hash": ks.HASH_NAMES.get(self.hash_id), "cipher": self.cipher.name,
                "g_xy": val(self.gxy), "SKEYID": val(self.skeyid), "SKEYID_d": val(self.skeyid_d),
                "SKEYID_a": val(self.skeyid_a), "SKEYID_e": val(self.skeyid_e), "enc_key": val(self.enc_key),
                "phase1_iv": self.iv.hex() if self.iv else None, "source": self.source}


@dataclass
class SaState:
    """What decryption knows about one IKE SA, gathered from its messages in capture order."""
    icookie: bytes
    entry: KeyEntry
    rcookie: bytes = bytes(8)
    exchange: int = 0
    sai_b: bytes | None = None
    chosen: Transform | None = None
    g_xi: bytes | None = None
    g_xr: bytes | None = None
    ni_b: bytes | None = None
    nr_b: bytes | None = None
    idii_b: bytes | None = None
    idir_b: bytes | None = None
    keys: Phase1Keys | None = None
    key_error: str | None = None
    p1_iv: bytes | None = None          # IV of the next Phase 1 message: the last block this key accepted
    p1_alt: bytes | None = None         # last block of a Phase 1 message this key did not decrypt
    ivs: OrderedDict = field(default_factory=OrderedDict)      # (exchange type, M-ID) -> IV of its next message
    recent: OrderedDict = field(default_factory=OrderedDict)   # digest -> IV its first copy used
    quick_modes: OrderedDict = field(default_factory=OrderedDict)  # message ID -> {"ni_b", "nr_b"}
    verdict: str | None = None
    detail: str = ""
    found_psk: bytes | None = None      # the PSK (given or candidate) that HASH_R of AM2 / HASH_I of MM5 matched
    candidate_params: tuple | None = None  # Main Mode, DH secret but no PSK: what _try_candidates needs
    decrypted: int = 0
    failed: int = 0
    failed_by_side: dict = field(default_factory=dict)  # "initiator"/"responder" -> messages that did not decrypt
    ok_by_side: dict = field(default_factory=dict)

    def to_dict(self, show_secrets: bool = False) -> dict:
        return {"icookie": self.icookie.hex(), "rcookie": self.rcookie.hex(), "verdict": self.verdict,
                "detail": self.detail, "decrypted": self.decrypted, "not_decrypted": self.failed,
                "keys": self.keys.to_dict(show_secrets) if self.keys else None, "key_error": self.key_error,
                "key_source": self.entry.source}


def matches(entry: KeyEntry, icookie: bytes, peers: tuple[str, ...]) -> bool:
    """Does a key entry apply to the IKE SA with this cookie and these peer addresses?"""
    if entry.icookie is not None:
        return entry.icookie == icookie
    if entry.peer is not None:
        return entry.peer in peers
    return True


def merge(entries: list[KeyEntry]) -> KeyEntry:
    """One entry from several that match an SA: cookie-specific ones first, then peer, then general."""
    def rank(e: KeyEntry) -> int:
        return 0 if e.icookie is not None else 1 if e.peer is not None else 2
    ordered = sorted(entries, key=rank)
    out = KeyEntry(source=", ".join(e.source for e in ordered))
    for name in ("icookie", "rcookie", "peer", "psk", "dh_private", "dh_shared", "ni", "nr", "g_xi", "g_xr",
                 "skeyid", "skeyid_d", "skeyid_a", "skeyid_e", "enc_key"):
        for e in ordered:
            if getattr(e, name) is not None:
                setattr(out, name, getattr(e, name))
                break
    for e in ordered:
        out.quick_modes.extend(e.quick_modes)
    return out


class Decryptor:
    """Decrypts the IKEv1 messages of the IKE SAs that ``entries`` match (see the module doc).

    Call :meth:`process` for every ISAKMP packet, in capture order, after
    the session tracker has labelled it.  ``states`` holds each SA's state
    and verdict; ``unused_entries()`` the key entries that matched nothing.
    ``psk_candidates``: (label, PSK) pairs to try, e.g. ("line 3 of words.txt", b"cisco"): in
    Aggressive Mode on HASH_R (in clear), in Main Mode on MM5's HASH_I when a DH secret is given.
    """

    def __init__(self, entries: list[KeyEntry], psk_candidates: list[tuple[str, bytes]] | None = None):
        self.entries = list(entries)
        self.psk_candidates = psk_candidates or []
        if self.psk_candidates and not any(e.icookie is None and e.peer is None for e in self.entries):
            self.entries.append(KeyEntry(source="PSK candidates"))  # so that every IKE SA gets tried
        self.states: dict[bytes, SaState] = {}
        self._used: set[int] = set()

    def unused_entries(self) -> list[KeyEntry]:
        return [e for i, e in enumerate(self.entries) if i not in self._used]

    # -- per packet ---------------------------------------------------------
    def process(self, pkt: Packet) -> None:
        msg: Message = pkt.isakmp
        h = msg.header
        if h is None or h.major != 1 or pkt.sa is None:
            return
        st = self.states.get(h.icookie)
        if st is None:
            found = [i for i, e in enumerate(self.entries)
                     if matches(e, h.icookie, (pkt.sa.initiator, pkt.sa.responder))]
            if not found:
                return
            self._used.update(found)
            st = self.states[h.icookie] = SaState(h.icookie, merge([self.entries[i] for i in found]))
        if h.rcookie != bytes(8):
            st.rcookie = h.rcookie
        from_initiator = pkt.datagram.src == pkt.sa.initiator
        if msg.encrypted:
            self._decrypt(st, pkt, from_initiator)
        else:
            self._learn(st, msg, from_initiator)
        if h.exchange_type in (2, 4):
            self._check_phase1(st, msg, from_initiator)
        elif msg.decrypted and h.exchange_type in (5, 32, 6):
            self._check_phase2(st, msg, from_initiator)

    def _learn(self, st: SaState, msg: Message, from_initiator: bool) -> None:
        """Collect SAi_b, the chosen transform, KE, nonces and (Aggressive Mode) IDs from a clear message."""
        h = msg.header
        if h.exchange_type not in (2, 4):
            return
        st.exchange = st.exchange or h.exchange_type
        for p in msg.payloads:
            if p.type == 1 and isinstance(p, SaPayload):
                if from_initiator and st.sai_b is None:
                    st.sai_b = p.body
                    offered = [t for prop in p.proposals for t in prop.transforms]
                    if len(offered) == 1 and st.chosen is None:
                        st.chosen = offered[0]
                elif not from_initiator:
                    chosen = [t for prop in p.proposals for t in prop.transforms]
                    if chosen:
                        st.chosen = chosen[0]
            elif p.type == 4:
                if from_initiator:
                    st.g_xi = p.body
                else:
                    st.g_xr = p.body
            elif p.type == 10:
                if from_initiator:
                    st.ni_b = p.body
                else:
                    st.nr_b = p.body
            elif p.type == 5:
                if from_initiator:
                    st.idii_b = p.body
                else:
                    st.idir_b = p.body
        if st.keys is None and st.key_error is None:
            self._derive(st)

    # -- keys ---------------------------------------------------------------
    def _derive(self, st: SaState) -> None:
        """Derive the Phase 1 keys once the clear messages gave what they need (RFC 2409 §5)."""
        e = st.entry
        if st.chosen is None or st.g_xi is None or st.g_xr is None:
            return  # the transform and both KE values (for the Phase 1 IV) come first
        attrs = {a.type: a.value for a in st.chosen.attributes}
        try:
            hash_id = attrs.get(2) or 0
            cipher = cipher_spec(attrs.get(1) or 0)
            klen = key_bytes(cipher, attrs.get(14))
        except ks.KeyScheduleError as err:
            st.key_error = str(err)
            return
        if hash_id not in ks.HASHES:
            st.key_error = f"hash algorithm {hash_id} is not supported"
            return
        iv = ks.phase1_iv(hash_id, st.g_xi, st.g_xr, cipher.block_size)
        if e.psk is not None and e.skeyid is not None and st.ni_b is not None and st.nr_b is not None:
            # a log gave SKEYID: the PSK given is right if it gives the same (RFC 2409 §5)
            if ks.skeyid_psk(hash_id, e.psk, st.ni_b, st.nr_b) == e.skeyid:
                self._set_verdict(st, VERIFIED, "the PSK gives the SKEYID the log holds")
            else:
                self._set_verdict(st, MISMATCH, "the PSK does not give the SKEYID the log holds")
        if e.enc_key is not None:  # Wireshark's table (or a log's Ka): decrypts, proves nothing about a PSK
            if len(e.enc_key) != klen:
                st.key_error = (f"{e.source}: the encryption key has {len(e.enc_key)} bytes; "
                                f"{cipher.name} with this SA's key length needs {klen}")
                return
            st.keys = Phase1Keys(hash_id, cipher, e.enc_key, iv, e.source, skeyid=e.skeyid,
                                 skeyid_d=e.skeyid_d, skeyid_a=e.skeyid_a, skeyid_e=e.skeyid_e, gxy=e.dh_shared)
        else:
            if st.ni_b is None or st.nr_b is None:
                return
            skeyid, psk_based = e.skeyid, False
            if skeyid is None and e.psk is not None:
                skeyid, psk_based = ks.skeyid_psk(hash_id, e.psk, st.ni_b, st.nr_b), True
            gxy = self._gxy(st, attrs.get(4))
            if gxy is None:
                return
            if skeyid is None and attrs.get(3) in SIGNATURE_AUTH:  # RFC 2409 §5: no secret but g^xy
                skeyid = ks.skeyid_sig(hash_id, st.ni_b, st.nr_b, gxy)
            if skeyid is None:
                if self.psk_candidates and st.exchange == 2:  # tried on MM5 (HASH_I), see _try_candidates
                    st.candidate_params = (hash_id, cipher, klen, iv, gxy)
                return
            st.keys = _keys_from_skeyid(st, hash_id, cipher, klen, iv, gxy, skeyid, e.source, psk_based, e)
        st.p1_iv = iv

    def _gxy(self, st: SaState, group_number: int | None) -> bytes | None:
        """g^xy from the entry: given, or from either side's private value (which side: compare g^x)."""
        e = st.entry
        if e.dh_shared is None and e.dh_private is None:
            return None
        if group_number is None:
            st.key_error = f"{e.source}: the chosen Phase 1 transform names no DH group (Group-Description)"
            return None
        try:
            grp = dhgroups.group(group_number)
            if e.dh_shared is not None:
                return dhgroups.check_shared_secret(grp, e.dh_shared)
            mine = dhgroups.public_value(grp, e.dh_private)
            if mine == st.g_xi:
                return dhgroups.shared_secret(grp, e.dh_private, st.g_xr)
            if mine == st.g_xr:
                return dhgroups.shared_secret(grp, e.dh_private, st.g_xi)
        except dhgroups.DhError as err:
            st.key_error = f"{e.source}: {err}"
            return None
        st.key_error = (f"{e.source}: the DH private value belongs to neither peer of this SA "
                        f"(its g^x matches neither KE payload)")
        return None

    # -- decryption ---------------------------------------------------------
    def _decrypt(self, st: SaState, pkt: Packet, from_initiator: bool) -> None:
        msg = pkt.isakmp
        h = msg.header
        k = st.keys
        data = msg.ciphertext or b""
        if k is None and st.candidate_params is not None and from_initiator and data:
            k = self._try_candidates(st, msg, data)
        if k is None or not data:
            return
        bs = k.cipher.block_size
        digest = hashlib.blake2b(msg.raw, digest_size=16).digest()
        first_copy = st.recent.get(digest)
        phase1 = h.exchange_type in (2, 4)
        chain = (h.exchange_type, h.message_id)
        ivs = [first_copy] if first_copy is not None else self._iv_candidates(st, chain, phase1)
        if not ivs:
            msg.notes.append(Expert(WARNING, "not decrypted: the IV is unknown (a message before it is missing)",
                                    None, "undecoded"))
            return
        try:
            iv, plain, decoded = _first_valid(k, ivs, data, msg)
        except ValueError as err:
            msg.notes.append(Expert(ERROR, f"not decrypted: {err}", 28, "malformed"))
            return
        if first_copy is None:  # the chains move on (a retransmission reuses its first copy's IV)
            _advance(st, digest, chain, phase1, iv, data[-bs:], decoded is not None)
        side = "initiator" if from_initiator else "responder"
        if decoded is None:
            st.failed += 1
            st.failed_by_side[side] = st.failed_by_side.get(side, 0) + 1
            msg.notes.append(Expert(WARNING, "decryption with this SA's keys gives no valid payload chain", None,
                                    "undecoded"))
            if phase1 and from_initiator:
                self._set_verdict(st, MISMATCH if k.psk_based else NOT_THIS_SA,
                                  f"{msg.role.rstrip('?')} does not decrypt to a valid payload chain")
            return
        payloads, notes, padding = decoded
        msg.plaintext = plain
        msg.payloads = payloads
        msg.notes.extend(notes)
        msg.decrypted = True
        msg.padding = padding
        st.decrypted += 1
        st.ok_by_side[side] = st.ok_by_side.get(side, 0) + 1
        if not _padding_ok(plain, padding):
            msg.notes.append(Expert(WARNING, f"{padding} bytes of padding that are neither zeros nor as RFC 2409 "
                                    "App. B says (zeros, then the count of padding bytes before the last)", None,
                                    "protocol"))

    def _try_candidates(self, st: SaState, msg: Message, data: bytes) -> Phase1Keys | None:
        """Main Mode with a DH secret but no PSK: the candidate whose keys decrypt MM5 to a payload
        chain whose HASH_I matches (RFC 2409 §5) is the PSK.  Sets the verdict either way."""
        hash_id, cipher, klen, iv, gxy = st.candidate_params
        st.candidate_params = None
        for label, psk in self.psk_candidates:
            skeyid = ks.skeyid_psk(hash_id, psk, st.ni_b, st.nr_b)
            keys = _keys_from_skeyid(st, hash_id, cipher, klen, iv, gxy, skeyid, label, True)
            try:
                decoded = decode_decrypted(msg, cbc_decrypt(cipher, keys.enc_key, iv, data))
            except ValueError:
                return None
            if decoded is None:
                continue
            ids = [p for p in decoded[0] if p.type == 5]
            hashes = [p for p in decoded[0] if p.type == 8]
            if ids and hashes and st.sai_b is not None and hashes[0].body == ks.hash_i(
                    hash_id, skeyid, st.g_xi, st.g_xr, st.icookie, st.rcookie, st.sai_b, ids[0].body):
                st.keys, st.found_psk, st.p1_iv = keys, psk, iv
                self._set_verdict(st, VERIFIED, f"HASH_I of MM5 matches {label}")
                return keys
        self._set_verdict(st, MISMATCH, f"HASH_I of MM5 matches none of the {len(self.psk_candidates)} PSK "
                                        "candidates")
        return None

    @staticmethod
    def _iv_candidates(st: SaState, chain: tuple[int, int], phase1: bool) -> list[bytes]:
        """The IVs a message may have used, most likely first (RFC 2409 App. B).

        ``chain`` is (exchange type, message ID): an Informational may reuse a Quick Mode's
        message ID (Openswan does) without joining its chain.  A peer chains on the messages it
        accepted: one that failed to decrypt MM5 (another PSK) keeps the Phase 1 IV it had, so its
        Informational messages start from hash(that IV | M-ID); the last block of a message this
        key did not decrypt is the second guess (the peer whose key we may not hold accepted it).
        Openswan encrypts an Informational sent during Phase 1 with the Phase 1 IV itself."""
        bases = [b for b in (st.p1_iv, st.p1_alt) if b is not None]
        if phase1:
            return bases
        k = st.keys
        chained = st.ivs.get(chain)
        derived = [ks.phase2_iv(k.hash_id, b, chain[1], k.cipher.block_size) for b in bases]
        during_phase1 = bases if chain[0] == 5 else []
        return ([chained] if chained is not None else []) + derived + during_phase1

    # -- verification -------------------------------------------------------
    def _check_phase1(self, st: SaState, msg: Message, from_initiator: bool) -> None:
        """HASH_I / HASH_R of Main Mode (decrypted MM5/MM6) and Aggressive Mode (clear AM2/AM3)."""
        if not msg.payloads:
            return
        ids = [p for p in msg.payloads if p.type == 5]
        hashes = [p for p in msg.payloads if p.type == 8]
        if ids:
            if from_initiator:
                st.idii_b = ids[0].body
            else:
                st.idir_b = ids[0].body
        if st.keys is None and st.exchange == 4 and not from_initiator and hashes:
            self._aggressive_from_capture(st, hashes[0].body)
            return
        k = st.keys
        if not hashes or k is None or k.skeyid is None or None in (st.g_xi, st.g_xr, st.sai_b):
            return
        if from_initiator and st.idii_b is not None:
            want = ks.hash_i(k.hash_id, k.skeyid, st.g_xi, st.g_xr, st.icookie, st.rcookie, st.sai_b, st.idii_b)
            name = "HASH_I"
        elif not from_initiator and st.idir_b is not None:
            want = ks.hash_r(k.hash_id, k.skeyid, st.g_xi, st.g_xr, st.icookie, st.rcookie, st.sai_b, st.idir_b)
            name = "HASH_R"
        else:
            return
        ok = hashes[0].body == want
        msg.hash_check = f"{name} {'verified' if ok else 'mismatch'}"
        if ok:
            self._set_verdict(st, VERIFIED if k.psk_based else KEYS_VERIFIED, "")
        elif k.psk_based:
            self._set_verdict(st, MISMATCH, f"{name} does not match")

    def _aggressive_from_capture(self, st: SaState, hash_r_sent: bytes) -> None:
        """Aggressive Mode: SKEYID = prf(PSK, Ni_b | Nr_b) and HASH_R need nothing secret but the PSK."""
        if st.chosen is None or None in (st.g_xi, st.g_xr, st.ni_b, st.nr_b, st.sai_b, st.idir_b):
            return
        hash_id = next((a.value for a in st.chosen.attributes if a.type == 2), 0)
        if hash_id not in ks.HASHES:
            return
        candidates = ([("the given PSK", st.entry.psk)] if st.entry.psk is not None else []) + \
                     list(self.psk_candidates)
        for label, psk in candidates:
            skeyid = ks.skeyid_psk(hash_id, psk, st.ni_b, st.nr_b)
            if ks.hash_r(hash_id, skeyid, st.g_xi, st.g_xr, st.icookie, st.rcookie, st.sai_b, st.idir_b) == hash_r_sent:
                st.found_psk = psk
                self._set_verdict(st, VERIFIED, f"HASH_R of AM2 matches {label}")
                return
        if candidates:
            self._set_verdict(st, MISMATCH, "HASH_R of AM2 matches no PSK given")

    def _check_phase2(self, st: SaState, msg: Message, from_initiator: bool) -> None:
        """Quick Mode HASH(1)/(2)/(3) (RFC 2409 §5.5), Informational HASH(1) (§5.7) and the Transaction
        exchange's HASH = prf(SKEYID_a, M-ID | attributes) (draft-dukes-ike-mode-cfg §3.2)."""
        k = st.keys
        if k is None or k.skeyid_a is None or not msg.payloads or msg.payloads[0].type != 8:
            return
        h = msg.header
        mid = h.message_id
        sent = msg.payloads[0].body
        plain_rest = _after_first_payload(msg)
        qm = st.quick_modes.setdefault(mid, {})
        if len(st.quick_modes) > RECENT:
            st.quick_modes.popitem(last=False)
        nonce = next((p.body for p in msg.payloads if p.type == 10), None)
        if h.exchange_type == 32 and msg.role.startswith("QM2"):
            if nonce is not None:
                qm["nr_b"] = nonce
            if "ni_b" not in qm:
                return
            want = ks.qm_hash2(k.hash_id, k.skeyid_a, mid, qm["ni_b"], plain_rest)
            name = "HASH(2)"
        elif h.exchange_type == 32 and msg.role.startswith("QM3"):
            if "ni_b" not in qm or "nr_b" not in qm:
                return
            want = ks.qm_hash3(k.hash_id, k.skeyid_a, mid, qm["ni_b"], qm["nr_b"])
            name = "HASH(3)"
        else:  # QM1, Informational, Transaction
            if h.exchange_type == 32 and nonce is not None:
                qm["ni_b"] = nonce
            want = ks.qm_hash1(k.hash_id, k.skeyid_a, mid, plain_rest)
            name = "HASH" if h.exchange_type == 6 else "HASH(1)"
        ok = sent == want
        msg.hash_check = f"{name} {'verified' if ok else 'mismatch'}"
        if not ok:
            msg.notes.append(Expert(WARNING, f"{name} does not match what SKEYID_a gives", msg.payloads[0].offset,
                                    "protocol"))

    def _set_verdict(self, st: SaState, verdict: str, detail: str) -> None:
        """The first verdict on the PSK stands (a verified PSK stays verified: later failures are the
        peer's, see :meth:`finish`); verdicts about keys that came without a PSK never replace one."""
        if st.verdict in (VERIFIED, MISMATCH) or (st.verdict is not None and verdict not in (VERIFIED, MISMATCH)):
            return
        st.verdict, st.detail = verdict, detail

    def key_problems(self) -> list[str]:
        """One line per piece of key material that could not be used: a value that does not fit its
        IKE SA (wrong length, outside the DH group, a private value of neither peer), or an entry
        that matches no IKE SA of the capture.  The CLI exits 1 when there is any."""
        return ([st.key_error for st in self.states.values() if st.key_error]
                + [f"{e.source} matches no IKE SA of this capture" for e in self.unused_entries()])

    def finish(self) -> None:
        """Last words per SA.  When one peer's messages decrypt and verify and the other's never do,
        the two peers derived different keys from the same g^xy and nonces: their PSKs differ, and the
        responder's HASH_I check failed (what IOS logs as a failed hash), whichever side's key we hold."""
        for st in self.states.values():
            what = "this PSK" if st.keys is not None and st.keys.psk_based else "these keys"
            ok_i, ok_r = st.ok_by_side.get("initiator", 0), st.ok_by_side.get("responder", 0)
            bad_i, bad_r = st.failed_by_side.get("initiator", 0), st.failed_by_side.get("responder", 0)
            if ok_i and bad_r and not ok_r and st.verdict in (VERIFIED, KEYS_VERIFIED):
                st.verdict, st.detail = MISMATCH, (
                    f"the initiator's MM5 decrypts and its HASH_I verifies with {what}, but none of the "
                    "responder's messages decrypt: the responder has a different PSK")
            elif ok_r and bad_i and not ok_i and st.verdict in (MISMATCH, NOT_THIS_SA, None):
                st.verdict, st.detail = MISMATCH, (
                    f"the responder's messages decrypt with {what}, but the initiator's MM5 does not: "
                    "the initiator uses a different PSK")
            elif st.verdict is None and st.keys is not None and st.failed and not st.decrypted:
                st.verdict = MISMATCH if st.keys.psk_based else NOT_THIS_SA


def missing_material(st: SaState) -> str | None:
    """Why an IKE SA that key material matched has no keys: what the user should add. None when it
    has keys or a problem of its own (``key_error``)."""
    if st.keys is not None or st.key_error or (st.verdict and st.found_psk):
        return None
    e = st.entry
    if st.chosen is None or st.g_xi is None or st.g_xr is None or st.ni_b is None or st.nr_b is None:
        return ("the capture lacks the clear Phase 1 messages the keys derive from (the SA, KE and nonce "
                "payloads of MM1-MM4 or AM1-AM2)")
    need = []
    signatures = any(a.type == 3 and a.value in SIGNATURE_AUTH for a in st.chosen.attributes)
    if e.psk is None and e.skeyid is None and not signatures and not (st.verdict and st.exchange == 2):
        need.append("the pre-shared key (--psk)")
    if e.dh_shared is None and e.dh_private is None and e.skeyid_e is None:
        need.append("a DH secret (--dh-private or --dh-shared)")
    if not need:
        return None
    return ("not enough to derive the keys: give " + " and ".join(need)
            + ", or a strongSwan charon log, or Wireshark's ikev1_decryption_table")


def _keys_from_skeyid(st: SaState, hash_id: int, cipher: CipherSpec, klen: int, iv: bytes, gxy: bytes,
                      skeyid: bytes, source: str, psk_based: bool, logged: KeyEntry | None = None) -> Phase1Keys:
    """SKEYID_d, SKEYID_a, SKEYID_e and the cipher key Ka from SKEYID and g^xy (RFC 2409 §5, App. B);
    values a log gave (``logged``) are taken as they are."""
    cky_i, cky_r = st.icookie, st.rcookie
    d = (logged and logged.skeyid_d) or ks.skeyid_d(hash_id, skeyid, gxy, cky_i, cky_r)
    a = (logged and logged.skeyid_a) or ks.skeyid_a(hash_id, skeyid, d, gxy, cky_i, cky_r)
    e = (logged and logged.skeyid_e) or ks.skeyid_e(hash_id, skeyid, a, gxy, cky_i, cky_r)
    return Phase1Keys(hash_id, cipher, ks.expand_key(hash_id, e, klen), iv, source, gxy, skeyid, d, a, e, psk_based)


def _first_valid(k: Phase1Keys, ivs: list[bytes], data: bytes, msg: Message):
    """Decrypt with each IV in turn; return (iv, plaintext, decoded) for the first that gives a valid
    payload chain, or the first IV's (iv, plaintext, None).  Raises ValueError (ragged ciphertext)."""
    first = None
    for iv in ivs:
        plain = cbc_decrypt(k.cipher, k.enc_key, iv, data)
        decoded = decode_decrypted(msg, plain)
        if decoded is not None:
            return iv, plain, decoded
        first = first or (iv, plain, None)
    return first


def _advance(st: SaState, digest: bytes, chain: tuple[int, int], phase1: bool, iv: bytes, last: bytes,
             ok: bool) -> None:
    """Move the IV chains past a message: its last ciphertext block seeds the next IV (RFC 2409 App. B).
    Retransmissions are recognised by ``digest`` and reuse ``iv``."""
    st.recent[digest] = iv
    if len(st.recent) > RECENT:
        st.recent.popitem(last=False)
    if phase1:
        if ok:
            st.p1_iv, st.p1_alt = last, None
        else:
            st.p1_alt = last
    else:
        st.ivs[chain] = last
        if len(st.ivs) > RECENT:
            st.ivs.popitem(last=False)


def _padding_ok(plain: bytes, padding: int) -> bool:
    """Padding as implementations send it: all zeros (strongSwan, Openswan, Cisco), or RFC 2409
    App. B's zeros followed by the count of padding bytes before the last one."""
    if padding == 0:
        return True
    pad = plain[len(plain) - padding:]
    return not any(pad) or (pad[-1] == padding - 1 and not any(pad[:-1]))


def _after_first_payload(msg: Message) -> bytes:
    """The decrypted bytes from the end of the first payload (HASH) to the end of the chain."""
    first, last = msg.payloads[0], msg.payloads[-1]
    start = first.offset + first.length - 28
    end = last.offset + last.length - 28
    return msg.plaintext[start:end]

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
``PSK verified``; ``HASH_I mismatch: wrong pre-shared key or DH secret`` (``HASH_R mismatch: wrong
pre-shared key`` for Aggressive Mode's AM2, checked with the PSK alone);
``PSK mismatch: the peers' pre-shared keys differ``; ``decryption gives no
valid payload chain: this key material does not belong to this SA``
(:mod:`dissect.verdict`).  In Aggressive Mode HASH_R travels in the clear, so a
PSK is checked from the capture alone, and candidate PSKs can be tried.

Retransmissions (the same bytes again) are decrypted with the IV their first
copy used and do not move the chains.

When the peers' PSKs differ, each derives its own keys for one IKE SA, and
two key sources (both peers' charon logs, or two table rows) hold two key
sets with the same cookies.  The keys in use decrypt one side's messages;
a message from the other side that they do not decrypt is tried with the
other sources' keys, and the first that decrypts it becomes that side's own
keys (``SaState.own_keys``): each side's messages are then decrypted, and
their hashes checked, with that side's keys.
"""
from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

from . import dhgroups, keyschedule as ks
from .ciphers import CipherSpec, cbc_decrypt, cipher_spec, key_bytes
from .espkeys import EspKeyError, QuickMode, esp_sas
from .isakmp import Message, decode_decrypted
from .keysources import KeyEntry
from .model import ERROR, WARNING, Expert, Packet
from .payloads import SaPayload, Transform
from .verdict import (HASH_R_MISMATCH, INITIATOR, KEYS_VERIFIED, MISMATCH, MISMATCHES, NOT_DECRYPTED, NOT_THIS_SA,
                      PEERS_DIFFER, RESPONDER, VERIFIED, Evidence, KeyKind, judge)

__all__ = ["Decryptor", "SaState", "Phase1Keys", "missing_material", "VERIFIED", "MISMATCH", "HASH_R_MISMATCH",
           "PEERS_DIFFER", "MISMATCHES", "NOT_THIS_SA", "KEYS_VERIFIED"]

#: Authentication methods whose SKEYID is prf(Ni_b | Nr_b, g^xy) (RFC 2409 §5): DSS, RSA and ECDSA
#: signatures (RFC 4754), hybrid (draft-ietf-ipsec-isakmp-hybrid-auth) and XAUTH over signatures.
SIGNATURE_AUTH = frozenset({2, 3, 9, 10, 11, 64221, 64222, 64223, 64224, 65003, 65004, 65005, 65006})

#: Retransmissions and message IDs remembered per IKE SA (memory stays bounded).
RECENT = 64
#: Last blocks of Phase 1 messages this key did not decrypt, kept as IV guesses.
ALTERNATIVES = 4


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
    cipher_from_psk: bool = False  # the cipher key too (not from a table or a log)

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
    p1_alts: list = field(default_factory=list)  # last blocks of Phase 1 messages this key did not decrypt
    ivs: OrderedDict = field(default_factory=OrderedDict)      # (exchange type, M-ID) -> IV of its next message
    recent: OrderedDict = field(default_factory=OrderedDict)   # digest -> IV its first copy used
    quick_modes: OrderedDict = field(default_factory=OrderedDict)  # message ID -> QuickMode
    esp_made: list = field(default_factory=list)      # ESP SAs derived from its Quick Modes (dissect.espkeys)
    esp_problems: list = field(default_factory=list)  # Quick Modes whose ESP keys could not be derived
    found: list = field(default_factory=list)  # every key entry that matched this SA (see _fit)
    evidence: Evidence = field(default_factory=Evidence)
    verdict: str | None = None          # set by Decryptor.finish (dissect.verdict.judge)
    detail: str = ""
    found_psk: bytes | None = None      # a PSK candidate that matched
    conflict: str | None = None         # another source holds other keys (see _disagreeing)
    others: list = field(default_factory=list)  # other entries to try if these keys fail (see alternatives)
    own_keys: dict = field(default_factory=dict)  # side -> (Phase1Keys, SKEYID for its hashes): a peer's own keys
    other_keys: list | None = None      # (keys, SKEYID for hashes) of ``others``, derived once (_try_own_keys)
    hash_skeyid: bytes | None = None    # SKEYID for HASH_I/HASH_R: the keys', or a given PSK's beside a log
    cut_clear: list = field(default_factory=list)  # roles of clear Phase 1 messages cut short by the capture
    candidate_params: tuple | None = None  # Main Mode, DH secret but no PSK: what _try_candidates needs
    decrypted: int = 0
    failed: int = 0
    truncated: int = 0                  # encrypted messages cut short by the capture (not tried)

    def to_dict(self, show_secrets: bool = False) -> dict:
        return {"icookie": self.icookie.hex(), "rcookie": self.rcookie.hex(), "verdict": self.verdict,
                "detail": self.detail, "decrypted": self.decrypted, "not_decrypted": self.failed,
                "cut_short": self.truncated, "keys": self.keys.to_dict(show_secrets) if self.keys else None,
                "key_error": self.key_error, "key_source": self.entry.source, "note": self.conflict,
                "keys_by_side": {side: src for side, (src, _role) in self.evidence.keyed_by.items()} or None,
                "own_keys": {side: k.to_dict(show_secrets) for side, (k, _) in self.own_keys.items()} or None}


def matches(entry: KeyEntry, icookie: bytes, peers: tuple[str, ...]) -> bool:
    """Does a key entry apply to the IKE SA with this cookie and these peer addresses?"""
    if entry.icookie is not None:
        return entry.icookie == icookie
    if entry.peer is not None:
        return entry.peer in peers
    return True


def merge(entries: list[KeyEntry]) -> KeyEntry:
    """One entry from several that match an SA, field by field: values given on the command line
    win; then entries for the initiator cookie, for the peer, and general ones (in the order
    given).  Entries with keys of their own that lose here stay :func:`alternatives`."""
    def rank(e: KeyEntry) -> int:
        return -1 if e.explicit else 0 if e.icookie is not None else 1 if e.peer is not None else 2
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


def _disagreeing(st: SaState) -> str | None:
    """A note when another source given for this SA holds other keys than the ones used: the
    other peer's log (their PSKs differ), or a stale key-table row."""
    if st.keys is None:
        return None
    used = [e for k in [st.keys] + [k for k, _ in st.own_keys.values()] for e in st.found
            if (e.skeyid is not None and e.skeyid == k.skeyid) or (e.enc_key is not None and e.enc_key == k.enc_key)]
    files = {_file_of(e) for e in used}
    other = next((e for e in st.found if (e.skeyid is not None or e.enc_key is not None) and e not in used
                  and _file_of(e) not in files), None)
    if other is None:
        return None
    mine = used[0].source if used else "the PSK and g^xy"
    if other.skeyid is not None and used and used[0].skeyid is not None:
        return (f"{other.source} holds another SKEYID for this SA than {mine}, whose keys are used: two "
                f"logs of one exchange differ when the peers' PSKs differ; give {other.source} alone to "
                "decrypt the other side")
    return f"{other.source} holds another cipher key for this SA than {mine}, whose keys are used"


def key_source(st: SaState, keys: Phase1Keys) -> str:
    """The source of the entry whose SKEYID (or cipher key) ``keys`` are, e.g. ``right.log:1546``; the merged
    sources when no entry holds keys of its own (a PSK and a DH secret)."""
    return next((e.source for e in st.found if (e.skeyid is not None and e.skeyid == keys.skeyid)
                 or (e.skeyid is None and e.enc_key is not None and e.enc_key == keys.enc_key)), keys.source)


def _file_of(entry: KeyEntry) -> str:
    return entry.source.rsplit(":", 1)[0]


def alternatives(entries: list[KeyEntry], chosen: KeyEntry) -> list[KeyEntry]:
    """Other ways to key an SA when several entries with their own keys match it (a log without
    cookies names only the peer, and holds one SKEYID per exchange with it): each such entry,
    merged with the entries that carry no keys of their own (a PSK given on the command line)."""
    keyed = [e for e in entries if e.skeyid is not None or e.enc_key is not None]
    plain = [e for e in entries if e not in keyed]
    return [merge([e] + plain) for e in keyed
            if (e.skeyid, e.enc_key) != (chosen.skeyid, chosen.enc_key)]


def _fits(entry: KeyEntry, st: SaState) -> bool:
    """Do the nonces and KE values a log recorded (when it did) belong to this SA's exchange?"""
    return all(mine is None or theirs is None or mine == theirs
               for mine, theirs in ((entry.ni, st.ni_b), (entry.nr, st.nr_b), (entry.g_xi, st.g_xi),
                                    (entry.g_xr, st.g_xr)))


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
        self.esp_sas: list = []  # ESP SAs from Quick Modes, in the order they were made (dissect.espsa.EspSa)

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
            entries = [self.entries[i] for i in found]
            entry = merge(entries)
            st = self.states[h.icookie] = SaState(h.icookie, entry, found=entries,
                                                  others=alternatives(entries, entry))
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
            self._check_phase2(st, pkt, from_initiator)

    def _learn(self, st: SaState, msg: Message, from_initiator: bool) -> None:
        """Collect SAi_b, the chosen transform, KE, nonces and (Aggressive Mode) IDs from a clear message."""
        h = msg.header
        if h.exchange_type not in (2, 4):
            return
        st.exchange = st.exchange or h.exchange_type
        if len(msg.raw) < h.length:  # cut short by the capture: its nonce or KE value may be partial
            st.cut_clear.append(msg.role.rstrip("?"))
            return
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
        """Derive the Phase 1 keys once the clear messages gave what they need (RFC 2409 §5).

        Secrets come first: SKEYID (a log's, a PSK's, or a signature SA's) with g^xy gives every
        key and lets the hashes be checked.  A cipher key alone (Wireshark's table) decrypts; with
        a PSK beside it, SKEYID = prf(PSK, Ni_b | Nr_b) still checks HASH_I and HASH_R."""
        if st.chosen is None or st.g_xi is None or st.g_xr is None:
            return  # the transform and both KE values (for the Phase 1 IV) come first
        self._fit(st)
        if st.key_error:
            return
        e = st.entry
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
        if st.ni_b is None or st.nr_b is None:
            return
        iv = ks.phase1_iv(hash_id, st.g_xi, st.g_xr, cipher.block_size)
        st.p1_iv = iv
        skeyid, psk_based = e.skeyid, False
        hash_skeyid = None  # the SKEYID the hashes are checked with, when it is not the keys' own
        if e.psk is not None:
            from_psk = ks.skeyid_psk(hash_id, e.psk, st.ni_b, st.nr_b)
            if skeyid is None:
                skeyid, psk_based = from_psk, True
            else:  # a log gave SKEYID: the PSK given is right if it gives the same (RFC 2409 §5); with both
                # peers' logs, it is one peer's if it gives the SKEYID of that peer's log
                holders = list(dict.fromkeys(x.source for x in st.found if x.skeyid is not None)) or [e.source]
                same_as = next((x.source for x in st.found if x.skeyid is not None and x.skeyid == from_psk),
                               e.source if skeyid == from_psk else None)
                st.evidence.psk_check = (same_as is not None, f"this PSK gives the SKEYID that {same_as} holds"
                                         if same_as is not None else
                                         f"this PSK does not give the SKEYID that {' or '.join(holders)} holds")
                hash_skeyid = from_psk  # HASH_I/HASH_R in the list then speak of the PSK given
        elif skeyid is not None and self.psk_candidates:
            label = next((lbl for lbl, c in self.psk_candidates
                          if ks.skeyid_psk(hash_id, c, st.ni_b, st.nr_b) == skeyid), None)
            st.found_psk = dict(self.psk_candidates).get(label) if label else None
            st.evidence.psk_check = (label is not None, f"{label} gives the SKEYID the log holds" if label else
                                     f"none of the {len(self.psk_candidates)} PSK candidates gives the SKEYID "
                                     "the log holds")
        gxy = self._gxy(st, attrs.get(4)) if st.key_error is None else None
        if e.psk is not None and e.skeyid is not None and gxy is not None and st.evidence.psk_check is not None \
                and not st.evidence.psk_check[0]:
            _offer_psk_keys(st, e.psk, gxy)
        if skeyid is None and gxy is not None and attrs.get(3) in SIGNATURE_AUTH:
            skeyid = ks.skeyid_sig(hash_id, st.ni_b, st.nr_b, gxy)  # RFC 2409 §5: no secret but g^xy
        if skeyid is not None and gxy is not None:
            st.keys = _keys_from_skeyid(st, hash_id, cipher, klen, iv, gxy, skeyid, e.source, psk_based, e)
            st.keys.cipher_from_psk = psk_based and e.skeyid_e is None
        elif e.enc_key is not None:  # Wireshark's table: decrypts; a PSK beside it still checks HASH_I/R
            if len(e.enc_key) != klen:
                st.key_error = (f"{e.source}: the encryption key has {len(e.enc_key)} bytes; "
                                f"{cipher.name} with this SA's key length needs {klen}")
                return
            st.keys = Phase1Keys(hash_id, cipher, e.enc_key, iv, e.source, skeyid=skeyid, skeyid_d=e.skeyid_d,
                                 skeyid_a=e.skeyid_a, skeyid_e=e.skeyid_e, gxy=e.dh_shared, psk_based=psk_based)
        elif skeyid is None and gxy is not None and self.psk_candidates and st.exchange == 2:
            st.candidate_params = (hash_id, cipher, klen, iv, gxy)  # tried on MM5 (HASH_I): _try_candidates
        if st.keys is not None:
            st.hash_skeyid = hash_skeyid or st.keys.skeyid

    def _fit(self, st: SaState) -> None:
        """Keep only the matched entries whose logged nonces/KE values are this SA's (two SAs with
        one peer, from a log without cookies), and merge those again."""
        fitting = [e for e in st.found if _fits(e, st)]
        if len(fitting) != len(st.found):
            st.found = fitting
            if fitting:
                st.entry = merge(fitting)
                st.others = alternatives(fitting, st.entry)
            else:
                st.key_error = (f"{st.entry.source}: logged for another exchange with this peer "
                                "(other nonces or KE values)")

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
            shared = dhgroups.check_shared_secret(grp, e.dh_shared) if e.dh_shared is not None else None
            if e.dh_private is None:
                return shared
            mine = dhgroups.public_value(grp, e.dh_private)
            if mine not in (st.g_xi, st.g_xr):
                st.key_error = (f"{e.source}: the DH private value belongs to neither peer of this SA "
                                f"(its g^x matches neither KE payload)")
                return None
            computed = dhgroups.shared_secret(grp, e.dh_private, st.g_xr if mine == st.g_xi else st.g_xi)
        except dhgroups.DhError as err:
            st.key_error = f"{e.source}: {err}"
            return None
        if shared is not None and shared != computed:
            st.key_error = f"{e.source}: the DH private value gives another g^xy than the one given; check both"
            return None
        return computed

    # -- decryption ---------------------------------------------------------
    def _decrypt(self, st: SaState, pkt: Packet, from_initiator: bool) -> None:
        msg = pkt.isakmp
        h = msg.header
        data = msg.ciphertext or b""
        if not data:
            return
        if len(msg.raw) < h.length:  # cut short by the capture: not a verdict on any key
            st.truncated += 1
            msg.notes.append(Expert(WARNING, "not decrypted: the message is cut short in the capture", None,
                                    "undecoded"))
            return
        side = INITIATOR if from_initiator else RESPONDER
        digest = hashlib.blake2b(msg.raw, digest_size=16).digest()
        first_copy = st.recent.get(digest)
        st.evidence.seen(msg.role.rstrip("?"), first_copy is not None)
        k = st.own_keys[side][0] if side in st.own_keys else st.keys
        if k is None and st.candidate_params is not None and from_initiator and h.exchange_type == 2:
            k = self._try_candidates(st, msg, data)
        if k is None:
            return
        bs = k.cipher.block_size
        phase1 = h.exchange_type in (2, 4)
        chain = (h.exchange_type, h.message_id)
        own = side in st.own_keys
        ivs = [first_copy] if first_copy is not None else self._iv_candidates(st, chain, phase1, k.iv if own else None)
        if not ivs:
            msg.notes.append(Expert(WARNING, "not decrypted: the IV is unknown (a message before it is missing)",
                                    None, "undecoded"))
            return
        try:
            iv, plain, decoded = _first_valid(k, ivs, data, msg)
            if decoded is None and phase1 and st.others and not st.decrypted:
                k, iv, plain, decoded = self._try_others(st, msg, data, (k, iv, plain, decoded))
            elif decoded is None and first_copy is None and st.others and side not in st.own_keys \
                    and st.evidence.decrypted.get(RESPONDER if from_initiator else INITIATOR):
                k, iv, plain, decoded = self._try_own_keys(st, side, msg, data, chain, phase1) or (k, iv, plain, decoded)
        except ValueError as err:
            msg.notes.append(Expert(ERROR, f"not decrypted: {err}", 28, "malformed"))
            return
        if first_copy is None:  # the chains move on (a retransmission reuses its first copy's IV)
            _advance(st, digest, chain, phase1, iv, data[-bs:], decoded is not None)
        if decoded is None:
            st.failed += 1
            st.evidence.count("failed", side)
            st.evidence.first_failure = st.evidence.first_failure or msg.role.rstrip("?")
            msg.notes.append(Expert(WARNING, NOT_DECRYPTED, None,
                                    "undecoded"))
            return
        payloads, notes, padding = decoded
        msg.plaintext = plain
        msg.payloads = payloads
        msg.notes.extend(notes)
        msg.decrypted = True
        msg.padding = padding
        st.decrypted += 1
        st.evidence.count("decrypted", side)
        st.evidence.keyed_by.setdefault(side, (key_source(st, k), msg.role.rstrip("?")))
        if not _padding_ok(plain, padding):
            msg.notes.append(Expert(WARNING, f"{padding} bytes of padding that are neither zeros nor as RFC 2409 "
                                    "App. B says (zeros, then the count of padding bytes before the last)", None,
                                    "protocol"))

    def _try_others(self, st: SaState, msg: Message, data: bytes, failed: tuple) -> tuple:
        """The first Phase 1 message does not decrypt: try the other entries that matched this SA
        (see :func:`alternatives`); the first whose keys give a valid payload chain is kept."""
        saved = (st.entry, st.keys, st.evidence.psk_check, st.key_error)
        for other in list(st.others):
            st.entry, st.keys, st.key_error = other, None, None
            self._derive(st)
            if st.keys is not None:
                iv, plain, decoded = _first_valid(st.keys, [st.p1_iv], data, msg)
                if decoded is not None:
                    st.others = [x for x in st.others if x is not other] + [saved[0]]
                    return st.keys, iv, plain, decoded
        st.entry, st.keys, st.evidence.psk_check, st.key_error = saved
        return failed

    def _try_own_keys(self, st: SaState, side: str, msg: Message, data: bytes, chain: tuple[int, int],
                      phase1: bool) -> tuple | None:
        """A message from ``side`` that the keys in use do not decrypt, though they decrypt the other side's:
        each peer may have derived its own keys (their PSKs differ).  The other entries that matched this SA
        (:func:`alternatives`: the other peer's log) are tried; the first whose keys give a valid payload
        chain become ``side``'s own keys.  Returns (keys, iv, plaintext, decoded), or None."""
        if st.other_keys is None:
            st.other_keys = [kh for kh in (self._keys_of(st, other) for other in st.others)
                             if kh[0] is not None and kh[0].enc_key != st.keys.enc_key]
        for keys, hash_skeyid in st.other_keys:
            iv, plain, decoded = _first_valid(keys, self._iv_candidates(st, chain, phase1, keys.iv), data, msg)
            if decoded is not None:
                st.own_keys[side] = (keys, hash_skeyid)
                return keys, iv, plain, decoded
        return None

    def _keys_of(self, st: SaState, entry: KeyEntry) -> tuple[Phase1Keys | None, bytes | None]:
        """(keys, SKEYID for the hashes) that another entry gives this SA (:meth:`_derive`); ``st`` is left
        as it was."""
        names = ("entry", "keys", "key_error", "p1_iv", "hash_skeyid", "found_psk", "candidate_params")
        saved = [getattr(st, n) for n in names] + [st.evidence.psk_check]
        st.entry, st.keys, st.key_error = entry, None, None
        self._derive(st)
        got = (st.keys, st.hash_skeyid) if st.key_error is None else (None, None)
        for n, v in zip(names, saved):
            setattr(st, n, v)
        st.evidence.psk_check = saved[-1]
        return got

    def _try_candidates(self, st: SaState, msg: Message, data: bytes) -> Phase1Keys | None:
        """Main Mode with a DH secret but no PSK: the candidate whose keys decrypt MM5 to a payload
        chain whose HASH_I matches (RFC 2409 §5) is the PSK.  A ragged MM5 leaves the candidates
        for its next copy."""
        hash_id, cipher, klen, iv, gxy = st.candidate_params
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
                st.keys, st.found_psk, st.p1_iv, st.hash_skeyid = keys, psk, iv, skeyid
                keys.cipher_from_psk = True
                st.candidate_params = None
                st.evidence.psk_check = (True, f"HASH_I of MM5 matches {label}")
                return keys
        st.candidate_params = None
        st.evidence.psk_check = (False, f"HASH_I of MM5 matches none of the {len(self.psk_candidates)} PSK "
                                        "candidates")
        return None

    @staticmethod
    def _iv_candidates(st: SaState, chain: tuple[int, int], phase1: bool, initial: bytes | None = None) -> list[bytes]:
        """The IVs a message may have used, most likely first (RFC 2409 App. B).

        ``chain`` is (exchange type, message ID): an Informational may reuse a Quick Mode's
        message ID (Openswan does) without joining its chain.  A peer chains on the messages it
        accepted: one that failed to decrypt MM5 (another PSK) keeps the Phase 1 IV it had, so its
        Informational messages start from hash(that IV | M-ID); the last block of a message this
        key did not decrypt is the second guess (the peer whose key we may not hold accepted it).
        Openswan encrypts an Informational sent during Phase 1 with the Phase 1 IV itself.  ``initial``
        (hash(g^xi | g^xr)) is the last guess, for a peer's own keys: it decrypted none of the other
        peer's Phase 1 messages, which the keys in use did."""
        bases = ([st.p1_iv] if st.p1_iv is not None else []) + st.p1_alts
        if initial is not None and initial not in bases:
            bases.append(initial)
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
            self._aggressive_from_capture(st, msg, hashes[0].body)
            return
        side = INITIATOR if from_initiator else RESPONDER
        k, hash_skeyid = st.own_keys.get(side, (st.keys, st.hash_skeyid))
        if not hashes or k is None or None in (st.g_xi, st.g_xr, st.sai_b, st.ni_b, st.nr_b):
            return
        ident = st.idii_b if from_initiator else st.idir_b
        if ident is None:
            return
        name, hash_fn = ("HASH_I", ks.hash_i) if from_initiator else ("HASH_R", ks.hash_r)

        def hash_with(skeyid: bytes) -> bytes:
            return hash_fn(k.hash_id, skeyid, st.g_xi, st.g_xr, st.icookie, st.rcookie, st.sai_b, ident)
        if hash_skeyid is None:  # a cipher key alone: the PSK candidates can still be tried here
            if self.psk_candidates and st.evidence.psk_check is None:
                label, psk = next(((lbl, c) for lbl, c in self.psk_candidates
                                   if hash_with(ks.skeyid_psk(k.hash_id, c, st.ni_b, st.nr_b)) == hashes[0].body),
                                  (None, None))
                st.found_psk = psk
                st.evidence.psk_check = (label is not None, f"{name} of {msg.role.rstrip('?')} matches {label}"
                                         if label else f"{name} of {msg.role.rstrip('?')} matches none of the "
                                         f"{len(self.psk_candidates)} PSK candidates")
                msg.hash_check = f"{name} {'verified' if label else 'mismatch'}"
            return
        _record_hash(st, msg, name, hashes[0].body == hash_with(hash_skeyid), from_initiator)

    def _aggressive_from_capture(self, st: SaState, msg: Message, hash_r_sent: bytes) -> None:
        """Aggressive Mode: SKEYID = prf(PSK, Ni_b | Nr_b) and HASH_R need nothing secret but the PSK
        (RFC 2409 §5), so the given PSK, or each candidate, is checked against AM2's HASH_R."""
        if st.chosen is None or None in (st.g_xi, st.g_xr, st.ni_b, st.nr_b, st.sai_b, st.idir_b):
            return
        hash_id = next((a.value for a in st.chosen.attributes if a.type == 2), 0)
        if hash_id not in ks.HASHES:
            return
        given = [("the given PSK", st.entry.psk)] if st.entry.psk is not None else []
        tried = given or list(self.psk_candidates)  # candidates are for when no PSK is given
        if tried:
            st.evidence.psk_check_by = "HASH_R"  # (the verdict then names HASH_R, not HASH_I)
        for label, psk in tried:
            skeyid = ks.skeyid_psk(hash_id, psk, st.ni_b, st.nr_b)
            if ks.hash_r(hash_id, skeyid, st.g_xi, st.g_xr, st.icookie, st.rcookie, st.sai_b, st.idir_b) == hash_r_sent:
                if label != "the given PSK":
                    st.found_psk = psk
                st.evidence.psk_check = (True, f"HASH_R of AM2 matches {label}")
                msg.hash_check = "HASH_R verified"
                return
        if tried:
            st.evidence.psk_check = (False, "HASH_R of AM2 does not match the given PSK" if given else
                                     f"HASH_R of AM2 matches none of the {len(tried)} PSK candidates")
            msg.hash_check = "HASH_R mismatch"

    def _check_phase2(self, st: SaState, pkt: Packet, from_initiator: bool) -> None:
        """Quick Mode HASH(1)/(2)/(3) (RFC 2409 §5.5), Informational HASH(1) (§5.7) and the Transaction
        exchange's HASH = prf(SKEYID_a, M-ID | attributes) (draft-dukes-ike-mode-cfg §3.2); a Quick
        Mode's values are kept for its ESP keys."""
        msg = pkt.isakmp
        h = msg.header
        qm = self._learn_quick_mode(st, pkt) if h.exchange_type == 32 else None
        side = INITIATOR if from_initiator else RESPONDER
        k = st.own_keys[side][0] if side in st.own_keys else st.keys
        if k is None or k.skeyid_a is None or not msg.payloads or msg.payloads[0].type != 8:
            return
        mid = h.message_id
        sent = msg.payloads[0].body
        plain_rest = _after_first_payload(msg)
        if qm is not None and msg.role.startswith("QM2"):
            if qm.ni_b is None:
                return
            want = ks.qm_hash2(k.hash_id, k.skeyid_a, mid, qm.ni_b, plain_rest)
            name = "HASH(2)"
        elif qm is not None and msg.role.startswith("QM3"):
            if qm.ni_b is None or qm.nr_b is None:
                return
            want = ks.qm_hash3(k.hash_id, k.skeyid_a, mid, qm.ni_b, qm.nr_b)
            name = "HASH(3)"
        else:  # QM1, Informational, Transaction
            want = ks.qm_hash1(k.hash_id, k.skeyid_a, mid, plain_rest)
            name = "HASH" if h.exchange_type == 6 else "HASH(1)"
        if _record_hash(st, msg, name, sent == want, from_initiator) is False:
            msg.notes.append(Expert(WARNING, f"{name} does not match what SKEYID_a gives", msg.payloads[0].offset,
                                    "protocol"))

    def _learn_quick_mode(self, st: SaState, pkt: Packet) -> QuickMode:
        """Nonces, proposals (with the SPIs) and KE values of QM1/QM2; after QM2, the ESP SAs."""
        msg = pkt.isakmp
        mid = msg.header.message_id
        qm = st.quick_modes.get(mid)
        if qm is None:
            qm = st.quick_modes[mid] = QuickMode(mid)
            if len(st.quick_modes) > RECENT:
                st.quick_modes.popitem(last=False)
        nonce = next((p.body for p in msg.payloads if p.type == 10), None)
        proposals = [prop for p in msg.payloads if isinstance(p, SaPayload) for prop in p.proposals]
        ke = next((p.body for p in msg.payloads if p.type == 4), None)
        if msg.role.startswith("QM1"):
            qm.initiator, qm.responder = pkt.datagram.src, pkt.datagram.dst
            qm.ni_b, qm.offered, qm.ke_i = nonce, proposals, ke
        elif msg.role.startswith("QM2"):
            qm.nr_b, qm.chosen, qm.ke_r = nonce, proposals, ke
            if not qm.initiator:
                qm.initiator, qm.responder = pkt.datagram.dst, pkt.datagram.src
        if qm.complete and not qm.done and st.keys is not None:
            qm.done = True
            self._esp_keys(st, qm)
        return qm

    def _esp_keys(self, st: SaState, qm: QuickMode) -> None:
        """The ESP SAs of a complete Quick Mode (dissect.espkeys), into ``esp_sas``."""
        k = st.keys
        if k.skeyid_d is None:
            st.esp_problems.append(f"Quick Mode {qm.message_id:08x}: ESP keys need SKEYID_d, which a cipher key "
                                   "alone does not give: add the PSK and a DH secret, or a charon log")
            return
        secret = next((q for q in st.entry.quick_modes if q.message_id == qm.message_id), None)
        pfs = {"dh_shared": secret.dh_shared, "dh_private": secret.dh_private} if secret else {}
        try:
            made = esp_sas(qm, k.hash_id, k.skeyid_d, pfs, f"IKE SA {st.icookie.hex()}")
        except EspKeyError as err:
            st.esp_problems.append(str(err))
            return
        st.esp_made.extend(made)
        self.esp_sas.extend(made)

    def key_problems(self) -> list[str]:
        """One line per piece of key material that could not be used: a value that does not fit its
        IKE SA (wrong length, outside the DH group, a private value of neither peer), or an entry
        that matches no IKE SA of the capture.  The CLI exits 1 when there is any."""
        return ([st.key_error for st in self.states.values() if st.key_error]
                + [f"{e.source} matches no IKE SA of this capture" for e in self.unused_entries()])

    def finish(self) -> None:
        """Give each SA its verdict from the evidence of the whole capture (dissect.verdict.judge)."""
        for st in self.states.values():
            k = st.keys
            kind = KeyKind(k.psk_based, k.cipher_from_psk, st.hash_skeyid is not None or k.skeyid_a is not None) \
                if k is not None else None
            st.verdict, st.detail = judge(st.evidence, kind)
            st.conflict = _disagreeing(st) or st.conflict


def missing_material(st: SaState) -> str | None:
    """Why an IKE SA that key material matched has no keys: what the user should add. None when it
    has keys or a problem of its own (``key_error``)."""
    if st.keys is not None or st.key_error or st.evidence.psk_check is not None:
        return None
    if st.candidate_params is not None:
        return "the PSK candidates are tried on MM5's HASH_I, and MM5 is not in the capture"
    e = st.entry
    if st.chosen is None or st.g_xi is None or st.g_xr is None or st.ni_b is None or st.nr_b is None:
        if st.cut_clear:
            whose = "its" if len(st.cut_clear) == 1 else "their"
            return (f"{', '.join(st.cut_clear)} cut short in the capture (snap length): the keys derive from "
                    f"{whose} SA, KE and nonce payloads; capture whole packets (tcpdump -s 0)")
        return ("the capture lacks the clear Phase 1 messages the keys derive from (the SA, KE and nonce "
                "payloads of MM1-MM4 or AM1-AM2)")
    need = []
    signatures = any(a.type == 3 and a.value in SIGNATURE_AUTH for a in st.chosen.attributes)
    if e.psk is None and e.skeyid is None and not signatures:
        need.append("the pre-shared key (--psk)")
    if e.dh_shared is None and e.dh_private is None and e.skeyid_e is None:
        need.append("a DH secret (--dh-private or --dh-shared)")
    if not need:
        return None
    return ("not enough to derive the keys: give " + " and ".join(need)
            + ", or a strongSwan charon log, or Wireshark's ikev1_decryption_table")


def _offer_psk_keys(st: SaState, psk: bytes, gxy: bytes) -> None:
    """A PSK given that does not give the SKEYID a log holds may still be the other peer's: with the g^xy
    that log holds (both peers derive the same), it gives the other peer's keys.  They are offered as one
    more set of keys for this SA (tried on the messages the log's keys do not decrypt), once."""
    logs = " and ".join(dict.fromkeys(x.source for x in st.found if x.dh_shared is not None or x.skeyid is not None))
    source = f"the PSK given, with the DH secret of {logs or st.entry.source}"
    if any(x.source == source for x in st.others):
        return
    st.others.append(KeyEntry(source=source, icookie=st.icookie, psk=psk, dh_shared=gxy, explicit=True))


def _keys_from_skeyid(st: SaState, hash_id: int, cipher: CipherSpec, klen: int, iv: bytes, gxy: bytes,
                      skeyid: bytes, source: str, psk_based: bool, logged: KeyEntry | None = None) -> Phase1Keys:
    """SKEYID_d, SKEYID_a, SKEYID_e and the cipher key Ka from SKEYID and g^xy (RFC 2409 §5, App. B);
    values a log gave (``logged``) are taken as they are."""
    cky_i, cky_r = st.icookie, st.rcookie
    d = (logged and logged.skeyid_d) or ks.skeyid_d(hash_id, skeyid, gxy, cky_i, cky_r)
    a = (logged and logged.skeyid_a) or ks.skeyid_a(hash_id, skeyid, d, gxy, cky_i, cky_r)
    e = (logged and logged.skeyid_e) or ks.skeyid_e(hash_id, skeyid, a, gxy, cky_i, cky_r)
    return Phase1Keys(hash_id, cipher, ks.expand_key(hash_id, e, klen), iv, source, gxy, skeyid, d, a, e, psk_based)


def _record_hash(st: SaState, msg: Message, name: str, ok: bool, from_initiator: bool) -> bool:
    """Mark a message's hash check and count it as evidence for its sender's keys."""
    msg.hash_check = f"{name} {'verified' if ok else 'mismatch'}"
    side = INITIATOR if from_initiator else RESPONDER
    st.evidence.hash_checked(side, name, ok)
    return ok


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
            st.p1_iv = last
        else:
            st.p1_alts = (st.p1_alts + [last])[-ALTERNATIVES:]
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

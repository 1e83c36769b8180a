"""The verdict on an IKE SA's key material, from the evidence decryption gathered.

:class:`Evidence` collects what :mod:`dissect.decrypt` saw while the messages
streamed by — which messages decrypted, from which side, which hashes
verified — and :func:`judge` turns it into one of the verdicts below, with a
sentence saying why.  It is a pure function: the verdict is decided once the
capture has been read, so that a later message can settle what an earlier
one left open (a corrupted MM5 followed by a verified MM6, say).

How the evidence reads (RFC 2409):

* A hash that verifies (HASH_I, HASH_R, Quick Mode HASH(1)/(2)/(3),
  Informational HASH(1)) proves the sender derived the same SKEYID (and, for
  Phase 2, SKEYID_a) as we did: with keys from a PSK, the sender's PSK is
  this one.
* If one side's messages decrypt and the other side's never do, the two
  peers derived different keys from the same g^xy and nonces: their PSKs
  differ (``PSK mismatch: the peers' pre-shared keys differ``), whichever
  side's keys we hold.  The responder cannot decrypt or verify MM5 (IOS logs
  a failed hash), though HASH_I verifies with the initiator's keys.  The
  same when two key sources decrypt one side's messages each (both peers'
  logs).  A verified MM6 (HASH_R) says the responder accepted MM5, so a
  failing MM5 is then a corrupted capture, not another PSK.
* ``HASH_I mismatch`` is kept for a hash that does not verify with the
  keys given, or a PSK given that does not give the SKEYID a log holds;
  ``HASH_R mismatch`` when the failed check was HASH_R (Aggressive Mode's
  AM2, checked in the clear with the PSK alone: no DH secret is involved).
* Without a hash check (a cipher key alone) one side decrypting is a hint,
  not a proof: no verdict, a sentence saying what was seen.
"""
from __future__ import annotations

from dataclasses import dataclass, field

VERIFIED = "PSK verified"
MISMATCH = "HASH_I mismatch: wrong pre-shared key or DH secret"
#: HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b) with SKEYID = prf(PSK, Ni_b | Nr_b)
#: (RFC 2409 §5): in Aggressive Mode it travels in the clear, so only the PSK can make it fail.
HASH_R_MISMATCH = "HASH_R mismatch: wrong pre-shared key"
#: the mismatch verdict per hash whose check failed (:attr:`Evidence.psk_check_by`); the rest get MISMATCH
_MISMATCH_BY = {"HASH_R": HASH_R_MISMATCH}
#: Each peer derived its own keys: one side's messages decrypt (and verify) with keys the other side's
#: do not decrypt with.
PEERS_DIFFER = "PSK mismatch: the peers' pre-shared keys differ"
#: The verdicts that say a pre-shared key is wrong (the one given, or one of the peers').
MISMATCHES = frozenset({MISMATCH, HASH_R_MISMATCH, PEERS_DIFFER})
NOT_THIS_SA = "decryption gives no valid payload chain: this key material does not belong to this SA"
#: the note on a message its SA's keys do not decrypt (what reads the notes looks for these words)
NOT_DECRYPTED = "decryption with this SA's keys gives no valid payload chain"
#: Keys given without a PSK (a charon log, a Wireshark table) whose hashes check out.
KEYS_VERIFIED = "keys verified (the peers' hashes match)"

INITIATOR, RESPONDER = "initiator", "responder"


@dataclass
class Evidence:
    """What decryption saw of one IKE SA.  Counts are per sending side ("initiator"/"responder").

    decrypted / failed     messages that decrypted to a valid payload chain / did not, per side
    hashes                 hash checks in capture order: (side, name, verified), e.g.
                           ("initiator", "HASH_I", True), ("responder", "HASH(2)", False)
    first_failure          role of the first message that did not decrypt ("MM5")
    keyed_by               side -> (key source, role): the source whose keys decrypted the side's first
                           message that decrypted, and that message's role; two sources when each peer's
                           messages decrypt only with that peer's own keys (both peers' logs)
    copies                 role -> encrypted messages with that role seen, retransmissions included
    resent                 role -> retransmissions (the same bytes again) of encrypted messages
    psk_check              (matches, sentence) from a check of the PSK alone: a given or candidate PSK
                           against HASH_R of AM2, HASH_I of MM5, or the SKEYID a log holds
    psk_check_by           "HASH_R" when ``psk_check`` compared Aggressive Mode's HASH_R (in the clear), else ""
    """
    decrypted: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)
    hashes: list = field(default_factory=list)
    first_failure: str = ""
    psk_check: tuple[bool, str] | None = None
    psk_check_by: str = ""
    keyed_by: dict = field(default_factory=dict)
    copies: dict = field(default_factory=dict)
    resent: dict = field(default_factory=dict)

    def seen(self, role: str, again: bool) -> None:
        """One more encrypted message with this role (``again``: a retransmission)."""
        self.copies[role] = self.copies.get(role, 0) + 1
        if again:
            self.resent[role] = self.resent.get(role, 0) + 1

    def count(self, table: str, side: str) -> None:
        """One more message in ``table`` ("decrypted" or "failed") from ``side``."""
        per_side = getattr(self, table)
        per_side[side] = per_side.get(side, 0) + 1

    def hash_checked(self, side: str, name: str, ok: bool) -> None:
        self.hashes.append((side, name, ok))

    def names(self, ok: bool, side: str | None = None) -> list[str]:
        """Names of the hashes that verified (ok) or did not, from one side or both, in order."""
        return [n for s, n, good in self.hashes if good == ok and side in (None, s)]


def _names(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    return ", ".join(unique[:-1]) + (" and " if len(unique) > 1 else "") + unique[-1]


@dataclass(frozen=True)
class KeyKind:
    """Where the keys being judged came from.

    psk_based       the hashes were checked with SKEYID from a PSK the user gave (or a candidate)
    cipher_from_psk the cipher key itself came from that PSK (and g^xy): a message that does not
                    decrypt speaks against the PSK; a cipher key from a table or log does not
    can_hash        SKEYID or SKEYID_a is known, so hashes could be checked at all
    """
    psk_based: bool = False
    cipher_from_psk: bool = False
    can_hash: bool = True


def judge(ev: Evidence, kind: KeyKind | None) -> tuple[str | None, str]:
    """(verdict, why) for one IKE SA; ``kind`` is None when no keys were derived.  The verdict is
    None when nothing could be checked (a cipher key alone: the sentence says what was seen), or
    when the keys given disagree with each other (the sentence then says what was found)."""
    kind = kind or KeyKind(can_hash=False)
    what = "this PSK" if kind.cipher_from_psk else "these keys"
    sides = (INITIATOR, RESPONDER)
    proven = {s: bool(ev.names(True, s)) for s in sides}
    disproven = {s: bool(ev.names(False, s)) and not proven[s] for s in sides}
    good = {s: proven[s] or (bool(ev.decrypted.get(s)) and not disproven[s]) for s in sides}
    bad = {s: bool(ev.failed.get(s)) and not ev.decrypted.get(s) for s in sides}
    responder_accepted_mm5 = "HASH_R" in ev.names(True, RESPONDER)
    base = None
    by = ev.keyed_by
    if ev.psk_check is not None:
        ok, why = ev.psk_check
        if not ok and len({by[s][0] for s in by}) == 2 and not responder_accepted_mm5 \
                and any(by[s][0].startswith("the PSK given") for s in by):
            # not the SKEYID of the log, but with its DH secret the keys of the other peer's messages
            mine = next(s for s in sides if by[s][0].startswith("the PSK given"))
            other = RESPONDER if mine == INITIATOR else INITIATOR
            return PEERS_DIFFER, (f"{why}, but it decrypts the {mine}'s messages with the DH secret that log holds"
                                  f"{' (' + _names(ev.names(True, mine)) + ' verified)' if ev.names(True, mine) else ''}"
                                  f": it is the {mine}'s PSK, and the {other}'s differs")
        if not ok:
            return _MISMATCH_BY.get(ev.psk_check_by, MISMATCH), why
        base = why

    def proof(side: str) -> str:
        names = ev.names(True, side)
        return f" ({_names(names)} verified)" if names else ""
    lead = base + "; but " if base else ""
    if len({by[s][0] for s in by}) == 2 and not responder_accepted_mm5:
        (src_i, role_i), (src_r, role_r) = by[INITIATOR], by[RESPONDER]
        return PEERS_DIFFER, (f"{base + '; ' if base else ''}the initiator's messages decrypt with the keys of {src_i}{proof(INITIATOR)}, "
                              f"the responder's with those of {src_r}{proof(RESPONDER)}: each peer derived its own "
                              f"keys, so the responder could not decrypt {role_i}, nor the initiator {role_r}")
    one_sided = (INITIATOR if good[INITIATOR] and bad[RESPONDER] else
                 RESPONDER if good[RESPONDER] and bad[INITIATOR] and not responder_accepted_mm5 else None)
    if one_sided and not kind.can_hash and not ev.hashes:
        return None, f"{_unanswered(ev)}likely a PSK mismatch ({_one_side(ev, one_sided, what, '')}); " \
                     "give the PSK (--psk) to check the hashes"
    if one_sided:
        return PEERS_DIFFER, lead + _one_side(ev, one_sided, what, proof(one_sided)) + _OTHER_PSK[one_sided]
    if base:
        return VERIFIED, base
    verified, mismatched = ev.names(True), ev.names(False)
    if verified and mismatched and not kind.psk_based:
        return None, (f"{_names(verified)} verified, {_names(mismatched)} did not: the keys given do not "
                      "agree with each other")
    if verified:
        why = f"{_names(verified)} verified" + (f"; {_names(mismatched)} did not" if mismatched else "")
        return (VERIFIED if kind.psk_based else KEYS_VERIFIED), why
    if mismatched:
        return ((_MISMATCH_BY.get(mismatched[0], MISMATCH) if kind.psk_based else NOT_THIS_SA),
                f"{_names(mismatched)} did not verify")
    if bad[INITIATOR] or bad[RESPONDER]:
        return ((MISMATCH if kind.cipher_from_psk else NOT_THIS_SA),
                f"{ev.first_failure or 'no message'} does not decrypt to a valid payload chain")
    if ev.decrypted.get(INITIATOR) or ev.decrypted.get(RESPONDER):
        return None, ("no hash in the capture to check the keys with" if kind.can_hash else
                      "a cipher key alone checks no hash: add the PSK (--psk) to check HASH_I and HASH_R")
    return None, ""


def _one_side(ev: Evidence, side: str, what: str, proof: str) -> str:
    """What was seen when one side's messages decrypt and none of the other side's do."""
    if side == INITIATOR:
        return f"the initiator's messages decrypt with {what}{proof} and none of the responder's do"
    return (f"the responder's messages decrypt with {what}{proof} and the initiator's "
            f"{ev.first_failure + ' does' if ev.first_failure else 'messages do'} not")


#: What one side decrypting and the other not says, proven by a hash (or a PSK-derived cipher key)
_OTHER_PSK = {INITIATOR: ": the responder has a different PSK", RESPONDER: ": the initiator uses a different PSK"}


def _unanswered(ev: Evidence) -> str:
    """``MM5 sent again with no MM6: … — `` when the capture shows it, else nothing."""
    if ev.resent.get("MM5") and not ev.copies.get("MM6"):
        return "MM5 sent again with no MM6: the responder did not accept it \N{EM DASH} "
    return ""

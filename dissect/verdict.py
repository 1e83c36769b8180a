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
  differ.  The responder then fails MM5's check (the "HASH_I mismatch" that
  IOS logs as a failed hash), whichever side's PSK we hold.  A verified MM6
  (HASH_R) says the responder accepted MM5, so a failing MM5 is then a
  corrupted capture, not another PSK.
"""
from __future__ import annotations

from dataclasses import dataclass, field

VERIFIED = "PSK verified"
MISMATCH = "HASH_I mismatch: wrong pre-shared key or DH secret"
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
    psk_check              (matches, sentence) from a check of the PSK alone: a given or candidate PSK
                           against HASH_R of AM2, HASH_I of MM5, or the SKEYID a log holds
    """
    decrypted: dict = field(default_factory=dict)
    failed: dict = field(default_factory=dict)
    hashes: list = field(default_factory=list)
    first_failure: str = ""
    psk_check: tuple[bool, str] | None = None

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
    None when nothing could be checked, or when the keys given disagree with each other (the
    sentence then says what was found)."""
    kind = kind or KeyKind(can_hash=False)
    what = "this PSK" if kind.cipher_from_psk else "these keys"
    sides = (INITIATOR, RESPONDER)
    proven = {s: bool(ev.names(True, s)) for s in sides}
    disproven = {s: bool(ev.names(False, s)) and not proven[s] for s in sides}
    good = {s: proven[s] or (bool(ev.decrypted.get(s)) and not disproven[s]) for s in sides}
    bad = {s: bool(ev.failed.get(s)) and not ev.decrypted.get(s) for s in sides}
    responder_accepted_mm5 = "HASH_R" in ev.names(True, RESPONDER)
    base = None
    if ev.psk_check is not None:
        ok, why = ev.psk_check
        if not ok:
            return MISMATCH, why
        base = why

    def proof(side: str) -> str:
        names = ev.names(True, side)
        return f" ({_names(names)} verified)" if names else ""
    lead = base + "; but " if base else ""
    if good[INITIATOR] and bad[RESPONDER]:
        return MISMATCH, (f"{lead}the initiator's messages decrypt with {what}{proof(INITIATOR)} and none of "
                          "the responder's do: the responder has a different PSK")
    if good[RESPONDER] and bad[INITIATOR] and not responder_accepted_mm5:
        return MISMATCH, (f"{lead}the responder's messages decrypt with {what}{proof(RESPONDER)} and the "
                          f"initiator's {ev.first_failure + ' does' if ev.first_failure else 'messages do'} not: "
                          "the initiator uses a different PSK")
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
        return (MISMATCH if kind.psk_based else NOT_THIS_SA), f"{_names(mismatched)} did not verify"
    if bad[INITIATOR] or bad[RESPONDER]:
        return ((MISMATCH if kind.cipher_from_psk else NOT_THIS_SA),
                f"{ev.first_failure or 'no message'} does not decrypt to a valid payload chain")
    if ev.decrypted.get(INITIATOR) or ev.decrypted.get(RESPONDER):
        return None, ("no hash in the capture to check the keys with" if kind.can_hash else
                      "a cipher key alone checks no hash: add the PSK (--psk) to check HASH_I and HASH_R")
    return None, ""

"""The end-of-run summary, as (text, style) lines; printed by rich or as plain text."""
from __future__ import annotations

from collections.abc import Iterable

from dissect import registry
from dissect.decrypt import KEYS_VERIFIED, VERIFIED, missing_material
from dissect.model import Stats
from dissect.session import GUESS, MAX_SAS

from .glyphs import GLYPHS


SA_LINES_MAX = 50  # IKE SA lines in the summary; a scan or a flood can make thousands


#: The message that ends each phase-1 exchange: without it, phase 1 did not complete.
LAST_OF_PHASE1 = {2: "MM6", 4: "AM3", 34: "IKE_AUTH response"}


_ROLE_GROUPS = {"MM": 0, "AM": 0, "QM": 1, "TRANSACTION": 2, "INFO": 3,
                "IKE_SA_INIT": 4, "IKE_AUTH": 5, "CREATE_CHILD_SA": 6, "INFORMATIONAL": 7}


def _role_order(item: tuple[str, int]) -> tuple[int, str]:
    """Roles in exchange order: MM1..MM6 (or AM1..AM3), Quick Mode, Transaction, INFO; IKEv2 likewise."""
    role = item[0]
    group = _ROLE_GROUPS.get(role.split(" ")[0], _ROLE_GROUPS.get(role[:2], 8))
    return group, role


def sa_line(sa) -> str:
    """One IKE SA: cookies, peers, the roles seen (with retransmissions), and what is missing."""
    times = GLYPHS["times"]
    roles = []
    for role, count in sorted(sa.roles.items(), key=_role_order):
        text = role if count == 1 else f"{role}{times}{count}"
        resent = sa.retransmitted.get(role)
        roles.append(text + (f" (+{resent} resent)" if resent else ""))
    not_seen = "phase 1 not seen" if sa.version == 1 else "IKE_SA_INIT not seen"
    exchange = registry.EXCHANGE_SHORT.get(sa.phase1_exchange or 0, not_seen)
    guess = "?" if sa.evidence == GUESS else ""
    line = (f"IKEv{sa.version} SA #{sa.index} {sa.icookie.hex()}/{sa.rcookie.hex()}: "
            f"{sa.initiator} (initiator{guess}) {GLYPHS['both']} {sa.responder}, {exchange}; {', '.join(roles)}")
    last = LAST_OF_PHASE1.get(sa.phase1_exchange)
    if last and last not in sa.roles and last + "?" not in sa.roles:
        line += f"; phase 1 did not complete (no {last})"
    if sa.icmp_errors:
        line += f"; {sa.icmp_errors} ICMP error(s) about it"
    return line


def key_lines(st) -> list[tuple[str, str]]:
    """The decryption verdict of one IKE SA, under its line, and notes about its key sources."""
    counts = f"{st.decrypted} message(s) decrypted" + (f", {st.failed} not" if st.failed else "") + \
        (f", {st.truncated} cut short in the capture" if st.truncated else "")
    lines = [(f"    keys: {st.key_error}", "yellow")] if st.key_error else []
    if st.verdict is None and st.keys is None and st.key_error:
        pass  # the problem says it all
    elif st.verdict is None:
        what = (missing_material(st) or "no keys derived") if st.keys is None else \
            f"{counts}; {st.detail or 'nothing to check the keys with'}"
        lines.append((f"    keys ({_sources(st)}): {what}", "yellow"))
    else:
        detail = f": {st.detail}" if st.detail else ""
        style = "green" if st.verdict in (VERIFIED, KEYS_VERIFIED) else "bold red"
        if st.keys is None and st.verdict == VERIFIED:  # Aggressive Mode's HASH_R checks the PSK alone
            counts += "; to decrypt (and reach the ESP keys) add a DH secret (--dh-private or --dh-shared)"
        lines.append((f"    keys ({_sources(st)}): {st.verdict}{detail}; {counts}", style))
    if st.conflict:
        lines.append((f"    note: {st.conflict}", "yellow"))
    for problem in st.esp_problems:
        lines.append((f"    ESP keys: {problem}", "yellow"))
    return lines


def _sources(st) -> str:
    """The key sources of an IKE SA: those whose keys decrypted its messages when each side has keys of its
    own (the peers' PSKs differ), else the matched entries'."""
    if st.own_keys:
        return ", ".join(dict.fromkeys(src for src, _role in st.evidence.keyed_by.values()))
    return st.entry.source


def esp_sa_label(sa, spi: int | None = None) -> str:
    """``ESP SA 0x411389fb 192.0.2.2 → 192.0.2.3, AES-CBC-128 + HMAC-SHA1-96 (IKE SA …, Quick Mode …)``"""
    bits = 8 * (len(sa.enc_key) - sa.enc.salt_bytes)
    enc = sa.enc.name if sa.enc.mode == "null" else f"{sa.enc.name}-{bits}" if sa.enc.cipher == "AES" and \
        sa.enc.mode == "cbc" else f"{sa.enc.name} ({bits}-bit key)"
    auth = "" if sa.enc.mode == "gcm" and sa.auth.hash is None else f" + {sa.auth.name}"
    spi = spi if spi is not None else sa.spi
    spi = "*" if spi is None else f"0x{spi:08x}"
    return (f"ESP SA {spi} {sa.src or '*'} {GLYPHS['arrow']} {sa.dst or '*'}, {enc}{auth} ({sa.source})")


def esp_stats_line(st) -> tuple[str, str]:
    """One ESP SA's counts: packets, bytes, decrypted, ICV failures (said once), sequence analysis."""
    label = esp_sa_label(st.sa, st.spi)
    if not st.packets:
        return f"{label}: no packets in this capture", "dim"
    text = f"{label}: {st.packets} packet(s), {st.bytes} bytes, {st.decrypted} decrypted"
    style = "green" if st.decrypted == st.packets else "yellow"
    if st.icv_failed:
        if st.icv_failed == st.packets - st.truncated:
            text += f"; ICV failed on all {st.icv_failed}: wrong keys for this SA"
        else:
            text += f"; ICV failed on {st.icv_failed} of {st.packets} (damaged or forged packets)"
        style = "bold red"
    if st.garbled_icv_ok:
        text += (f"; {'all' if st.garbled_icv_ok == st.packets else st.garbled_icv_ok} with a correct ICV decrypted "
                 "to no packet: the integrity key is right, the encryption key or algorithm is wrong")
    elif st.garbled:
        text += (f"; {'all' if st.garbled == st.packets else st.garbled} decrypted to no packet (padding or next "
                 f"header wrong): wrong keys for this SA, or an ICV length other than the one given"
                 + ("?" if st.garbled < st.packets else ""))
        style = "bold red"
    if st.truncated:
        text += f"; {st.truncated} cut short"
    seq = [f"{n} {what}" for n, what in ((st.gaps, "missing"), (st.reordered, "out of order"),
                                         (st.replays, "replayed"), (st.wraps, "wrap(s)")) if n]
    if seq:
        text += f"; sequence numbers {st.first_seq}..{st.last_seq}: {', '.join(seq)}"
    return text, style


def esp_lines(esp) -> list[tuple[str, str]]:
    """The ESP part of the summary: a line per SA, SAs that cannot be used, unknown SPIs."""
    if esp is None:
        return []
    stats = esp.summary()
    busy = [st for st in stats if st.packets]  # the SAs that carried packets first: a big table must not hide them
    idle = [st for st in stats if not st.packets]
    lines = [esp_stats_line(st) for st in (busy + idle)[:SA_LINES_MAX]]
    if len(stats) > SA_LINES_MAX:
        rest = len(stats) - SA_LINES_MAX
        lines.append((f"... and {rest} more ESP SAs" + (" with no packets in this capture"
                                                         if len(busy) <= SA_LINES_MAX else ""), ""))
    lines += [(f"ESP SA not usable: {p}", "yellow") for p in esp.problems]
    lines += [(f"ESP: {n}", "yellow") for n in esp.notes]
    if esp.unknown_spis:
        total = sum(esp.unknown_spis.values())
        spis = sorted(esp.unknown_spis, key=lambda k: -esp.unknown_spis[k])
        shown = ", ".join(f"0x{s:08x}" for s in spis[:8]) + (f" and {len(spis) - 8} more" if len(spis) > 8 else "")
        lines.append((f"ESP: {total} packet(s) with SPI(s) no key is known for: {shown}", "yellow"))
    return lines


def summary_lines(stats: Stats, sas: Iterable, forgotten: int = 0, decryptor=None,
                  esp=None) -> list[tuple[str, str]]:
    """What was read, what was skipped, what could not be decoded, and the IKE SAs."""
    fragments = f" (+{stats.fragment_frames} frames of IP fragments)" if stats.fragment_frames else ""
    icmp = f", {stats.icmp_errors} ICMP errors about IKE/ESP" if stats.icmp_errors else ""
    lines = [(f"{stats.frames} frames read: {stats.isakmp} ISAKMP, {stats.esp} ESP, "
              f"{stats.keepalive} NAT keepalives{icmp}{fragments}; "
              f"{sum(stats.skipped.values())} other frames skipped", "bold")]
    sas = sorted(sas, key=lambda sa: sa.index)
    states = decryptor.states if decryptor is not None else {}
    for sa in sas[:SA_LINES_MAX]:
        lines.append((sa_line(sa), ""))
        st = states.get(sa.icookie) if sa.version == 1 else None
        if st is not None:
            lines.extend(key_lines(st))
    if decryptor is not None:
        for e in decryptor.unused_entries():
            lines.append((f"Keys: {e.source} matches no IKE SA of this capture", "yellow"))
    if len(sas) > SA_LINES_MAX:
        lines.append((f"... and {len(sas) - SA_LINES_MAX} more IKE SAs (each message carries its SA's number: "
                      f"the SA column of the list, \"sa\" in --json)", ""))
    if forgotten:
        lines.append((f"... and {forgotten} older IKE SAs forgotten (more than the {MAX_SAS} that are kept)", ""))
    lines.extend(esp_lines(esp))
    if stats.truncated:
        lines.append((f"Note: {stats.truncated}", "yellow"))
    for reason, n in sorted(stats.undecodable.items(), key=lambda item: (-item[1], item[0])):
        lines.append((f"Not decoded: {n} {GLYPHS['times']} {reason}", "yellow"))
    if stats.malformed:
        lines.append((f"Malformed: {stats.malformed} ISAKMP/ESP message(s) with errors "
                      f"(marked in the list; details with -V)", "yellow"))
    return lines

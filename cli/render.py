"""Rendering of dissected packets: the packet list, the details tree and the summary.

No protocol logic lives here: labels come from the model
(:meth:`Payload.summary`, :meth:`Message.details`, ...).
"""
from __future__ import annotations

import datetime as _dt

from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from dissect.model import ERROR, Packet, endpoint_text

from .glyphs import GLYPHS, use_glyphs_for
from dissect.payloads import Detail
from dissect import registry

ROLE_STYLE = {"MM": "cyan", "AM": "cyan", "QM": "green", "INFO": "yellow", "TRANSACTION": "magenta",
              "ESP": "dim", "NAT-keepalive": "dim"}


BRACKET_MAX = 72  # characters of payload detail shown in the list (IDs can be long)


def _clip(text: str) -> str:
    return text if len(text) <= BRACKET_MAX else text[:BRACKET_MAX - 1] + GLYPHS["more"]


def payload_labels(pkt: Packet) -> str:
    """Payload list for the Info column: ``HDR, SA, VID×5``; the chosen policy, notify,
    delete and ID contents in parentheses."""
    msg = pkt.isakmp
    if msg.header is None:
        return "malformed ISAKMP header"
    labels = ["HDR*" if msg.encrypted else "HDR"]  # * : sent encrypted (decrypted payloads follow when keys were given)
    for p in msg.payloads:
        s = p.summary() if p.short in ("SA", "N", "D", "ID", "IDi", "IDr", "ATTR", "FRAG") else ""
        labels.append(f"{p.short}({_clip(s)})" if s else p.short)
    folded: list[str] = []
    i = 0
    while i < len(labels):
        j = i
        while j < len(labels) and labels[j] == labels[i]:
            j += 1
        folded.append(labels[i] + (f"{GLYPHS['times']}{j - i}" if j - i > 1 else ""))
        i = j
    if msg.encrypted and not msg.decrypted:
        if msg.ciphertext is not None:
            first = registry.PAYLOAD_TYPES_V1.get(msg.header.next_payload, (f"#{msg.header.next_payload}",))[0]
            folded.append(f"encrypted {msg.encrypted_length} bytes (first payload {first})")
        else:
            folded.append(f"encrypted {msg.encrypted_length} bytes")
    return ", ".join(folded)


# The packet list's columns: (title, width, alignment); Info follows.
COLUMNS = (("No.", 6, ">"), ("Time", 10, ">"), ("Source", 26, ">"), ("", 1, "<"), ("Destination", 26, "<"),
           ("SA", 3, ">"), ("Role", 13, "<"), ("Exchange", 15, "<"), ("Msg ID", 8, "<"))
ROLE_COLUMN = 6


def _cells(values: list[str], first: int = 0) -> str:
    """Columns ``first``.. of a row, each padded to its width and followed by a space."""
    return "".join(f"{v:{COLUMNS[i][2]}{COLUMNS[i][1]}} " for i, v in enumerate(values, first))


def _local(t: float, fmt: str) -> str:
    try:
        return _dt.datetime.fromtimestamp(t).strftime(fmt)
    except (ValueError, OSError, OverflowError):
        return "?"


def _utc(t: float, fmt: str) -> str:
    try:
        return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime(fmt)
    except (ValueError, OSError, OverflowError):
        return "?"


#: The Time column's formats, as tshark's -t names them: (width, text of (time, first time))
TIME_FORMATS = {
    "r": (10, lambda t, t0: f"{t - t0:.6f}"),                        # seconds since the first frame
    "a": (15, lambda t, t0: _local(t, "%H:%M:%S.%f")),               # local time of day
    "ad": (26, lambda t, t0: _local(t, "%Y-%m-%d %H:%M:%S.%f")),     # local date and time
    "u": (15, lambda t, t0: _utc(t, "%H:%M:%S.%f")),                 # UTC time of day
    "ud": (26, lambda t, t0: _utc(t, "%Y-%m-%d %H:%M:%S.%f")),       # UTC date and time
    "e": (17, lambda t, t0: f"{t:.6f}"),                             # epoch seconds
}


def row(pkt: Packet, t0: float, time_format: str = "r") -> Text:
    """One line of the packet list."""
    d = pkt.datagram
    role = pkt.role
    exchange, msgid, sa = "", "", ""
    if pkt.isakmp is not None and pkt.isakmp.header is not None:
        h = pkt.isakmp.header
        exchange = registry.EXCHANGE_SHORT.get(h.exchange_type, str(h.exchange_type))
        msgid = f"{h.message_id:08x}"
        if h.major == 2:  # the exchange column already names it: show the direction only
            role = role.rsplit(" ", 1)[-1]
        if pkt.sa is not None:
            sa = f"#{pkt.sa.index}"
    elif pkt.esp is not None:
        exchange = "ESP"
    elif pkt.icmp is not None:
        exchange = "ICMP" if pkt.icmp.version == 4 else "ICMPv6"
    width, when = TIME_FORMATS[time_format]
    t = Text(_cells([str(d.frame)]) + f"{when(d.time, t0):>{width}} "
             + _cells([endpoint_text(d.src, d.sport), GLYPHS["arrow"], endpoint_text(d.dst, d.dport), sa], 2))
    t.append(_cells([role], ROLE_COLUMN), style=ROLE_STYLE.get(pkt.role, ROLE_STYLE.get(pkt.role[:2], "")))
    t.append(_cells([exchange, msgid], ROLE_COLUMN + 1) + " ")
    if pkt.isakmp is not None:
        m = pkt.isakmp
        t.append(payload_labels(pkt))
        if m.retransmission_of is not None:
            t.append(f"  [retransmission of #{m.retransmission_of}]", style="yellow")
        if m.hash_check:
            t.append(f"  [{m.hash_check}]", style="green" if m.hash_check.endswith("verified") else "bold red")
        errors = [n for n in m.all_notes() if n.severity == ERROR]
        if errors:
            t.append(f"  [Malformed: {errors[0].message}]", style="bold red")
    elif pkt.esp is not None:
        e = pkt.esp
        t.append(f"SPI=0x{e.spi:08x} seq={'?' if e.seq is None else e.seq} len={e.length}"
                 + (" (UDP-encap)" if e.udp_encap else ""))
        if e.plain is not None:
            text, style = esp_plain_label(e.plain)
            t.append(f"  {text}", style=style)
    elif pkt.icmp is not None:
        t.append(pkt.icmp.summary(), style="bold red")
    else:
        t.append("NAT-keepalive (RFC 3948)")
    if d.fragments:
        t.append(f"  [reassembled from {', '.join('#' + str(f) for f in d.fragments)}]")
    for n in d.notes:
        t.append(f"  [{n.message}]", style="yellow")
    return t


def _glyphs(text: str) -> str:
    """A model text (an inner packet's summary writes "→") with the drawing characters stdout can show."""
    return text.replace("→", GLYPHS["arrow"])


def esp_plain_label(plain) -> tuple[str, str]:
    """What a decrypted ESP packet carried, for the Info column: the inner packet's summary (through
    nested ESP), or why it did not decrypt; and its style."""
    if plain.icv == "failed":
        return "[ICV failed: wrong keys for this SA]", "bold red"
    if plain.truncated:
        return f"[{plain.problem}]", "yellow"
    if plain.problem:
        return f"[{plain.problem}{'' if plain.icv == 'ok' else ': wrong keys for this SA?'}]", "bold red"
    inner = plain.innermost
    if inner is None:
        return "", ""
    text = _glyphs(inner.summary)
    if plain.seq_note:
        text += f"  [{plain.seq_note}]"
    return f"inner: {text}" + (f"  [{inner.error}]" if inner.error else ""), \
        "yellow" if inner.error else ""


def esp_details(e) -> Detail:
    """The ESP branch of the details tree: header, and when decrypted the trailer, ICV and inner packet."""
    rows = [Detail(f"ESP SPI: 0x{e.spi:08x} ({e.spi})"),
            Detail(f"ESP Sequence: {'(not captured)' if e.seq is None else e.seq}")]
    plain = e.plain
    if plain is None:
        rows.append(Detail(f"[Length: {e.length} bytes; the rest is encrypted]"))
    else:
        rows.extend(_esp_plain_rows(plain))
    return Detail("Encapsulating Security Payload", rows)


def _esp_plain_rows(plain) -> list[Detail]:
    sa = plain.sa
    done = "Not decrypted: the ICV fails with" if plain.icv == "failed" else \
        f"Not decrypted ({plain.problem}); keys:" if plain.truncated else "Decrypted with"
    rows = [Detail(f"[{done} {sa.enc.name} ({8 * (len(sa.enc_key) - sa.enc.salt_bytes)} bits) and "
                   f"{sa.auth.name}: {sa.source}]")]
    icv = {"ok": "correct", "failed": "incorrect (wrong keys for this SA)", "unchecked": "not checked",
           "none": "none (no integrity algorithm)"}[plain.icv]
    rows.append(Detail(f"Authentication Data: {icv}"))
    if plain.seq_note:
        rows.append(Detail(f"[Sequence analysis: {plain.seq_note}]"))
    if plain.icv == "failed" or plain.truncated:
        return rows
    rows.append(Detail(f"Pad Length: {plain.pad_length}" + ("" if plain.pad_ok else " (padding incorrect)")))
    if plain.problem:
        rows.append(Detail(f"Expert Info (Warning/Undecoded): {plain.problem}"
                           + ("" if plain.icv == "ok" else ": wrong keys for this SA?")))
    if plain.next_header is not None:
        name = registry.IP_PROTOCOLS.get(plain.next_header, "No Next Header" if plain.next_header == 59 else "?")
        rows.append(Detail(f"Next Header: {name} (0x{plain.next_header:02x})"))
    if plain.inner is not None:
        inner = plain.inner
        rows.append(Detail(f"Inner packet ({inner.mode} mode): {_glyphs(inner.summary)}",
                           inner.details()))
    if plain.nested is not None:
        rows.append(Detail("Encapsulating Security Payload (inner)", _esp_plain_rows(plain.nested)))
    return rows


def header_row(time_format: str = "r") -> Text:
    titles = [title for title, _w, _a in COLUMNS]
    return Text(_cells(titles[:1]) + f"{'Time':>{TIME_FORMATS[time_format][0]}} " + _cells(titles[2:], 2) + " Info",
                style="bold")


def utc_text(t: float) -> str:
    """``2026-11-29 13:44:40.425945 UTC``, or a note when the capture's time is out of range."""
    try:
        return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    except (ValueError, OSError, OverflowError):
        return "(time out of range)"


def frame_details(pkt: Packet) -> Detail:
    """The packet-details tree of one packet, as ``tshark -V`` shows it (IP/UDP lines abridged)."""
    d = pkt.datagram
    top = Detail(f"Frame {d.frame}: {utc_text(d.time)} (epoch {d.time:.6f})"
                 + (f", reassembled from frames {', '.join(map(str, d.fragments))}" if d.fragments else ""))
    rows = top.children
    rows.append(Detail(f"Internet Protocol Version {d.ip_version}, Src: {d.src}, Dst: {d.dst}"))
    if d.proto == 17:
        rows.append(Detail(f"User Datagram Protocol, Src Port: {d.sport}, Dst Port: {d.dport}"))
        if d.non_esp_marker:
            rows.append(Detail("UDP Encapsulation of IPsec Packets: Non-ESP Marker (00000000)"))
    rows += [Detail(n.label()) for n in d.notes]
    if pkt.isakmp is not None:
        rows.append(pkt.isakmp.details())
    elif pkt.esp is not None:
        rows.append(esp_details(pkt.esp))
    elif pkt.icmp is not None:
        i = pkt.icmp
        q = [Detail(f"Source: {i.quoted_src}"), Detail(f"Destination: {i.quoted_dst}"),
             Detail(f"Protocol: {registry.IP_PROTOCOLS.get(i.quoted_proto, '?')} ({i.quoted_proto})")]
        if i.sport is not None:
            q += [Detail(f"Source port: {i.sport}"), Detail(f"Destination port: {i.dport}")]
        if i.spi is not None:
            q.append(Detail(f"ESP SPI: 0x{i.spi:08x}" + (f", sequence {i.seq}" if i.seq is not None else "")))
        if i.icookie is not None:
            q.append(Detail(f"ISAKMP cookies: {i.icookie.hex()}/{(i.rcookie or b'').hex()}"))
        rows.append(Detail(f"Internet Control Message Protocol{'v6' if i.version == 6 else ''}", [
            Detail(f"Type: {i.type_name} ({i.type})"), Detail(f"Code: {i.code_name} ({i.code})")]
            + ([Detail(f"MTU of next hop: {i.mtu}")] if i.mtu else [])
            + [Detail(f"Quoted packet ({i.about})", q)]))
    else:
        rows.append(Detail("NAT-keepalive: 1 byte 0xff (RFC 3948 §2.3)"))
    return top


def rich_tree(d: Detail, node: Tree | None = None) -> Tree:
    """The details tree for a terminal (rich); expert lines in yellow."""
    style = "yellow" if d.label.startswith("Expert Info") else ("bold" if node is None else "")
    label = Text(d.label, style=style, overflow="fold")  # long hex wraps rather than being cut
    child = Tree(label) if node is None else node.add(label)
    for c in d.children:
        rich_tree(c, child)
    return child


def text_tree(d: Detail) -> str:
    """The details tree as plain text, drawn like rich's (for files and pipes: much faster)."""
    out = [d.label]

    def walk(node: Detail, prefix: str) -> None:
        last = len(node.children) - 1
        for i, c in enumerate(node.children):
            out.append(f"{prefix}{GLYPHS['last'] if i == last else GLYPHS['branch']}{c.label}")
            if c.children:
                walk(c, prefix + ("    " if i == last else GLYPHS["pipe"]))
    walk(d, "")
    return "\n".join(out) + "\n"


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """The reader went away: let the command end quietly (rich would exit with status 1)."""
        raise BrokenPipeError


def make_console(stderr: bool = False) -> Console:
    """A console for our output: lines are never cut; when not writing to a
    terminal there is no width limit (a file or pipe gets whole lines)."""
    import sys
    stream = sys.stderr if stderr else sys.stdout
    use_glyphs_for(stream)
    width = None if stream.isatty() else 100_000
    return _Console(stderr=stderr, highlight=False, soft_wrap=True, width=width)

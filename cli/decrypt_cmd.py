"""``ikescope decrypt CAPTURE [key options] [-w inner.pcap]``: decrypt every ESP packet, say per SA
how it went, and write the inner packets to a pcap.

The ESP SAs come from the capture's Quick Modes (KEYMAT, RFC 2409 §5.5, from the IKE key material)
and from the ESP tables given with --keys.  Exit status: 0 when every ESP packet decrypted with a
correct ICV; 1 when some did not (wrong keys, an SPI without keys, cut-short packets, unusable key
material), or there was nothing to decrypt; 2 when the capture cannot be read or the output not
written.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys
import tempfile

from dissect.capture import CaptureError
from dissect.inner import NO_NEXT_HEADER
from dissect.innerpcap import InnerPcapWriter
from dissect.pipeline import Dissector

from .dissect_cmd import progress_bar
from .glyphs import use_glyphs_for
from .keyopts import key_material, print_key_messages
from .main import EXIT_OK, EXIT_PARTIAL, EXIT_UNUSABLE
from .summary import summary_lines


class _Output:
    """Where -w writes: stdout ("-"); a device or pipe, directly; a regular file through a temporary
    file beside it, renamed over it only when the run has read the capture (so that a capture that
    cannot be read, or the capture itself given as -w, never costs the user a file)."""

    def __init__(self, path: str, capture: str):
        self.path, self.temp = path, None
        if path == "-":
            self.file = sys.stdout.buffer
            return
        if capture != "-" and os.path.exists(path) and os.path.exists(capture) and os.path.samefile(path, capture):
            raise OSError(errno.EINVAL, "that is the capture being read; give another file")
        if os.path.exists(path) and not os.path.isfile(path):
            if os.path.isdir(path):
                raise IsADirectoryError(errno.EISDIR, "is a directory")
            self.file = open(path, "wb")  # /dev/null, a FIFO, a terminal
            return
        folder = os.path.dirname(os.path.abspath(path))
        fd, self.temp = tempfile.mkstemp(prefix=".ikescope-", suffix=".pcap", dir=folder)
        self.file = os.fdopen(fd, "wb")

    def close(self, keep: bool) -> None:
        """Close; with ``keep`` the temporary file becomes ``path``, else it is removed."""
        if self.file is sys.stdout.buffer:
            self.file.flush()
            return
        try:
            self.file.close()
        except OSError:
            if keep:
                raise
        if self.temp is None:
            return
        if keep:
            os.chmod(self.temp, 0o666 & ~_umask())
            os.replace(self.temp, self.path)
        else:
            os.unlink(self.temp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def run_decrypt(args: argparse.Namespace) -> int:
    km = key_material(args)
    print_key_messages(km)
    if not (args.keys or args.psk is not None or args.psk_hex is not None or args.psk_candidates):
        print("ikescope: decrypt needs key material: --keys FILE (a keys file, a charon log, an esp_sa table, "
              "ip xfrm state output or tcpdump -E secrets), or --psk with --dh-private/--dh-shared",
              file=sys.stderr)
        return EXIT_UNUSABLE
    out = None
    if args.write is not None:
        try:
            out = _Output(args.write, args.capture)
        except OSError as e:
            print(f"ikescope: cannot write {args.write}: {e.strerror or e}", file=sys.stderr)
            return EXIT_UNUSABLE
    read = False  # the capture could be read: the output replaces the file -w names
    try:
        writer = InnerPcapWriter(out.file) if out is not None else None
        with progress_bar(args.capture, not args.no_progress) as progress:
            dis = Dissector(args.capture, ike_ports=args.ports, progress=progress, keys=km.entries,
                            psk_candidates=km.candidates, esp_sas=km.esp_sas)
            try:
                dummies, empty = _decrypt_all(dis, writer)
                if writer is not None:
                    writer.flush()
                read = True
            except CaptureError as e:
                print(f"ikescope: {e}", file=sys.stderr)
                return EXIT_UNUSABLE
            except KeyboardInterrupt:
                read = dis.stats.frames > 0  # what was written so far stands
                raise
            except OSError as e:
                print(f"ikescope: cannot write {args.write}: {e.strerror or e}", file=sys.stderr)
                return EXIT_UNUSABLE
    finally:
        if out is not None:
            out.close(keep=read)
    return _report(args, dis, writer, dummies, empty, km.problems, km.tables_given)


def _decrypt_all(dis: Dissector, writer: InnerPcapWriter | None) -> tuple[int, int]:
    """Run the capture through; write each decrypted inner packet.  Returns the dummy packets seen and
    the decrypted packets that carried nothing to write (an empty payload)."""
    dummies = empty = 0
    write = writer.write if writer is not None else None
    for pkt in dis.packets():
        esp = pkt.esp
        if esp is None or esp.plain is None or not esp.plain.ok:
            continue
        deepest = esp.plain.deepest
        if deepest.next_header == NO_NEXT_HEADER:
            dummies += 1
        elif write is not None and not write(deepest.ip_bytes(), pkt.datagram.time):
            empty += 1
    return dummies, empty


def why_no_esp_keys(dis: Dissector, tables_given: bool) -> str:
    """Why no ESP SA has keys, from what the run saw: what to give instead."""
    reasons = []
    if tables_given:
        reasons.append("no row of the ESP tables given could be used (see the messages above)")
    states = dis.decryptor.states.values() if dis.decryptor is not None else []
    if any(st.esp_problems for st in states):
        reasons.append("Quick Modes were decrypted, but their ESP keys could not be derived (see \"ESP keys:\" "
                       "above)")
    elif any(st.keys is not None and st.keys.skeyid_d is None for st in states):
        reasons.append("the IKE keys given are a cipher key only (Wireshark's table), and ESP keys derive from "
                       "SKEYID_d: give the PSK and a DH secret, or a charon log")
    elif any(st.keys is not None for st in states):
        reasons.append("no Quick Mode of these IKE SAs completed in the capture (QM1 and QM2 carry the ESP SPIs "
                       "and nonces)")
    elif states:
        reasons.append("the IKE SAs could not be decrypted (see their keys lines above), so no Quick Mode was")
    if any(sa.version == 2 for sa in dis.tracker.sas.values()):
        reasons.append("ikescope does not derive ESP keys from IKEv2 yet: give an esp_sa table (strongSwan "
                       "save-keys, Wireshark) or `ip xfrm state` output")
    if not reasons:
        reasons.append("no key material matches the capture's IKE SAs; give the ESP SAs as a table")
    return "; ".join(reasons)


def _report(args: argparse.Namespace, dis: Dissector, writer: InnerPcapWriter | None, dummies: int, empty: int,
            problems: list[str], tables_given: bool) -> int:
    """The summary on stdout (stderr when the pcap goes to stdout), and the exit status."""
    stream = sys.stderr if args.write == "-" else sys.stdout
    use_glyphs_for(stream)
    lines = summary_lines(dis.stats, dis.tracker.sas.values(), dis.tracker.forgotten, dis.decryptor, dis.esp)
    esp = dis.esp
    stats = esp.summary() if esp is not None else []
    if not dis.stats.esp:
        lines.append(("No ESP packets in this capture: nothing to decrypt", "yellow"))
    elif not stats:
        lines.append((f"No ESP SA has keys: {why_no_esp_keys(dis, tables_given)}", "yellow"))
    if dummies:
        lines.append((f"{dummies} dummy packet(s) (Next Header 59, RFC 4303 §2.6) carried nothing and are not "
                      "written", ""))
    if empty:
        lines.append((f"{empty} decrypted packet(s) carried an empty inner packet and are not written", "yellow"))
    if writer is not None:
        where = "standard output" if args.write == "-" else args.write
        lines.append((f"wrote {writer.written} inner packet(s) to {where} (raw IP, link type 101)", "bold"))
    from . import render
    console = render.make_console(stderr=stream is sys.stderr)
    for text, style in lines:
        console.print(text, style=style or None, markup=False)
    failed = any(st.icv_failed or st.garbled or st.truncated or st.decrypted < st.packets for st in stats)
    key_problems = dis.key_problems()
    unknown = esp.unknown_spis if esp is not None else {}
    partial = (failed or unknown or not stats or not dis.stats.esp or problems or key_problems
               or dis.stats.truncated or dis.stats.undecodable)
    return EXIT_PARTIAL if partial else EXIT_OK

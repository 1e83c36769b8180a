"""``ikescope`` command line: argument parsing and exit codes.

Exit codes (also in README.md):

* 0 — done, everything that looked like IKE/ESP was decoded;
* 1 — done, but the capture was truncated, or some frames that looked like
  IKE/ESP could not be decoded, or some ISAKMP messages are malformed (all
  counted in the summary), or some key material could not be used (one line
  each on stderr);
* 2 — nothing done: bad arguments, unreadable file, not a capture, or an
  unsupported link type; or the output cannot be written (one line on stderr);

``decrypt`` also exits 1 when some ESP packet did not decrypt (wrong keys, an
SPI without keys, cut short) or there was no ESP, and 2 without key options;
* 130 — interrupted.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import sys

from .keyopts import add_key_options

EXIT_OK, EXIT_PARTIAL, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _ports(text: str) -> frozenset[int]:
    try:
        ports = frozenset(int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of ports: {text!r}") from None
    if not ports or any(not 0 < p < 65536 for p in ports):
        raise argparse.ArgumentTypeError(f"ports must be 1-65535: {text!r}")
    return ports


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if not 1970 <= year <= 9999:
        raise argparse.ArgumentTypeError(f"a year from 1970 to 9999, not {year}")
    return year


def _tz(text: str):
    """A --tz value: a :class:`datetime.tzinfo` (see :func:`correlate.timestamps.parse_tz`)."""
    from correlate.timestamps import parse_tz
    tz = parse_tz(text)
    if tz is None:
        raise argparse.ArgumentTypeError(f"{text!r} is no time zone: give UTC, CET, +02:00 or a name such as "
                                         "Europe/Berlin")
    return tz


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error message (exit status 2)."""

    def error(self, message: str):
        hint = f"see {self.prog} --help"
        if "invalid choice" in message and len(sys.argv) > 1 and os.path.isfile(sys.argv[1]):
            hint = f"did you mean: {self.prog} dissect {sys.argv[1]}"
        self.exit(EXIT_UNUSABLE, f"{self.prog}: error: {message} ({hint})\n")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="ikescope",
        description="Dissect IKEv1/ISAKMP, IKEv2 and ESP in packet captures, the way Wireshark does, "
                    "with each message's role in its exchange.",
        epilog="Exit codes: 0 ok, 1 done with undecodable or truncated input, 2 unusable input or "
               "arguments, 130 interrupted.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    d = sub.add_parser("dissect", help="list and decode every ISAKMP/IKE and ESP packet of a capture",
                       description="List every ISAKMP/IKE and ESP packet of a pcap/pcapng capture, each "
                                   "labelled with its role (MM1-MM6, AM1-AM3, QM1-QM3, INFO, ...).")
    d.add_argument("capture", help="pcap or pcapng file (gzip/xz/bzip2 compressed too), or - for stdin")
    out = d.add_mutually_exclusive_group()
    out.add_argument("-V", "--verbose", action="store_true",
                     help="show the packet-details tree of every packet, like tshark -V")
    out.add_argument("--json", action="store_true",
                     help="JSON Lines on stdout, one object per ISAKMP/ESP frame (see README)")
    d.add_argument("--ports", type=_ports, default=frozenset({500, 4500}), metavar="P[,P...]",
                   help="UDP ports carrying IKE (default 500,4500; 4500 follows RFC 3948 framing)")
    d.add_argument("-t", dest="time_format", choices=("r", "a", "ad", "u", "ud", "e"), default="r",
                   help="the list's Time column, as tshark -t: r seconds since the first frame (default), "
                        "a/ad local time (and date), u/ud UTC time (and date), e epoch seconds")
    d.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    d.add_argument("--show-secrets", action="store_true",
                   help="show XAUTH passwords and passcodes in decrypted messages (masked by default)")
    add_key_options(d)

    k = sub.add_parser("keys", help="derive and check the IKEv1 keys of each IKE SA (RFC 2409)",
                       description="Derive SKEYID, SKEYID_d/a/e, the cipher key and the Phase 1 IV of each IKE SA "
                                   "from the key material given, and say whether the PSK is right.")
    k.add_argument("capture", help="pcap or pcapng file (gzip/xz/bzip2 compressed too), or - for stdin")
    k.add_argument("--show-secrets", action="store_true", help="print the keys (masked by default)")
    k.add_argument("--json", action="store_true", help="JSON on stdout: one object per IKE SA")
    k.add_argument("--wireshark", metavar="DIR",
                   help="write DIR/ikev1_decryption_table and DIR/esp_sa (the ESP SAs of the Quick Modes and of "
                        "the ESP tables given), which Wireshark reads from a profile folder")
    k.add_argument("--ports", type=_ports, default=frozenset({500, 4500}), metavar="P[,P...]",
                   help="UDP ports carrying IKE (default 500,4500)")
    add_key_options(k)

    x = sub.add_parser("decrypt", help="decrypt the ESP packets of a capture and write the inner packets as a pcap",
                       description="Derive each ESP SA's keys from the capture's Quick Modes (KEYMAT, RFC 2409 "
                                   "5.5) or take them from ESP tables, decrypt and verify every ESP packet, and "
                                   "print per SA: packets, bytes, ICV failures, sequence gaps.")
    x.add_argument("capture", help="pcap or pcapng file (gzip/xz/bzip2 compressed too), or - for stdin")
    x.add_argument("-w", dest="write", metavar="FILE",
                   help="write the decrypted inner packets to FILE (pcap, raw IP), with their original times; "
                        "- for stdout")
    x.add_argument("--ports", type=_ports, default=frozenset({500, 4500}), metavar="P[,P...]",
                   help="UDP ports carrying IKE (default 500,4500)")
    x.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    add_key_options(x)

    lg = sub.add_parser("log", help="parse router and VPN debug logs into events (Cisco IOS/IOS-XE, ASA, strongSwan)",
                        description="Parse Cisco IOS/IOS-XE debug crypto isakmp/ipsec/kmi, pasted show output, ASA "
                                    "debug and strongSwan charon logs, however they were pasted, and list their "
                                    "events: packets sent and received, states, SAs, proposals, errors.")
    lg.add_argument("files", nargs="+", metavar="FILE", help="log files (- for stdin)")
    lg.add_argument("--all", action="store_true", help="also show the records that carry no event")
    lg.add_argument("--json", action="store_true", help="JSON Lines on stdout, one object per event (see README)")
    lg.add_argument("--year", type=_year, metavar="YYYY", help="the year of stamps that have none (default: this year)")
    lg.add_argument("--tz", type=_tz, metavar="ZONE", help="the time zone of stamps that have none (UTC, CET, +02:00, "
                                                 "Europe/Berlin); default: left unknown")
    c = sub.add_parser("correlate", help="line a capture up with its peers' debug logs, explained, with the "
                                         "implied configuration and findings",
                       description="Line every IKE packet of a capture up with the debug lines that sent or processed "
                                   "it (Cisco IOS/IOS-XE, ASA, strongSwan), estimate each log's clock offset, explain "
                                   "each message, show the configuration it implies, and name what went wrong.")
    from .correlate_cmd import add_arguments
    add_arguments(c)
    add_key_options(c)
    return ap


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("ikescope")
    except Exception:  # not installed (run from a checkout)
        return "(not installed)"


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    # argparse reads "--" as the end of the options even as an option's own value (--offset=--), and
    # gives the option an empty list instead of a text: an option's value is never "--"
    bad = next((w for w in argv if w.startswith("--") and w.endswith("=--")), None)
    if bad is not None:
        ap.error(f"{bad.split('=', 1)[0]}: give a value, not --")
    # a zone west of UTC (--tz -08:00) reads as an option to argparse: it is the value of --tz
    argv = _signed_values(argv, ("--tz",))
    # argparse takes a command's FILE list from one run of words only: ``correlate cap.pcap --log A=x.log
    # y.log`` left y.log over.  Words left over that are no option go on the list, in their order.
    args, extra = ap.parse_known_args(argv)
    if extra:
        if isinstance(getattr(args, "files", None), list) and not any(w.startswith("-") and w != "-" for w in extra):
            args.files.extend(extra)
        else:
            ap.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command is None:
        ap.print_help(sys.stderr)
        return EXIT_UNUSABLE
    for stream in (sys.stdout, sys.stderr):  # a text that the terminal cannot show must not end the run
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        if args.command == "dissect":
            from .dissect_cmd import run_dissect
            return run_dissect(args)
        if args.command == "decrypt":
            from .decrypt_cmd import run_decrypt
            return run_decrypt(args)
        if args.command == "log":
            from .log_cmd import run_log
            return run_log(args)
        if args.command == "correlate":
            from .correlate_cmd import run_correlate
            return run_correlate(args)
        if args.command == "keys":
            from .keys_cmd import run_keys
            return run_keys(args)
        ap.error(f"unknown command {args.command}")
    except KeyboardInterrupt:
        print("ikescope: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly
        quiet_stdout()
        return EXIT_OK
    except OSError as e:  # the output cannot be written (a full disk, a closed terminal)
        print(f"ikescope: cannot write the output: {e.strerror or e}", file=sys.stderr)
        quiet_stdout()
        return EXIT_UNUSABLE
    return EXIT_OK


def _signed_values(argv: list[str], options: tuple[str, ...]) -> list[str]:
    """``--tz -08:00`` as ``--tz=-08:00``: the word after one of ``options`` that starts with a minus and a
    digit is that option's value, not another option."""
    out: list[str] = []
    words = iter(argv)
    for w in words:
        if w in options:
            value = next(words, None)
            if value is not None and re.match(r"-\d", value):
                out.append(f"{w}={value}")
                continue
            out.append(w)
            if value is not None:
                out.append(value)
            continue
        out.append(w)
    return out


def quiet_stdout() -> None:
    """Point stdout at /dev/null, so that Python's exit does not report the closed pipe again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def entry() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except KeyboardInterrupt:  # before main's own handler was in place
        code = EXIT_INTERRUPTED
    # the work is done: a Ctrl-C during the interpreter's teardown ends the process as SIGINT does (exit 130,
    # no "Exception ignored" trace from the threading module's shutdown)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(code)


if __name__ == "__main__":
    entry()

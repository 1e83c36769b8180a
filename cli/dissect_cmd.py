"""``ikescope dissect CAPTURE``: the packet list, ``-V`` details, or ``--json`` lines."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys

from dissect import payloads
from dissect.capture import CaptureError
from dissect.pipeline import Dissector

from . import jsonout
from .main import EXIT_OK, EXIT_PARTIAL, EXIT_UNUSABLE
from .glyphs import use_glyphs_for
from .keyopts import key_material, print_key_messages
from .summary import summary_lines

PROGRESS_MIN_BYTES = 32 << 20


@contextlib.contextmanager
def progress_bar(path: str, enabled: bool):
    """A rich progress bar on stderr, only when stderr is a terminal, the file
    is big, and stdout goes elsewhere (rows streaming to the same terminal
    show the progress themselves, and would tear the bar).

    Yields a callback taking the number of bytes just read (or None).  stdout
    is not redirected through rich: JSON lines go straight to their file.
    """
    try:
        size = os.path.getsize(path)
    except OSError:
        size = 0
    if not enabled or not sys.stderr.isatty() or sys.stdout.isatty() or size < PROGRESS_MIN_BYTES:
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from . import render
    with Progress("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                  TimeRemainingColumn(), console=render.make_console(stderr=True), transient=True,
                  redirect_stdout=False, redirect_stderr=False) as prog:
        task = prog.add_task(os.path.basename(path), total=size)
        yield lambda n: prog.advance(task, n)


def run_dissect(args: argparse.Namespace) -> int:
    payloads.SHOW_SECRETS[0] = args.show_secrets
    km = key_material(args)
    problems = km.problems
    print_key_messages(km)
    with progress_bar(args.capture, not args.no_progress) as progress:
        dis = Dissector(args.capture, ike_ports=args.ports, progress=progress, keys=km.entries,
                        psk_candidates=km.candidates, esp_sas=km.esp_sas)
        try:
            if args.json:
                jsonout.write_packets(dis.packets(), sys.stdout)
            else:
                _print_packets(dis, args.verbose, args.time_format)
        except CaptureError as e:
            print(f"ikescope: {e}", file=sys.stderr)
            return EXIT_UNUSABLE
    stats = dis.stats
    use_glyphs_for(sys.stderr if args.json else sys.stdout)
    lines = summary_lines(stats, dis.tracker.sas.values(), dis.tracker.forgotten, dis.decryptor, dis.esp)
    if args.json:  # plain text on stderr; stdout stays JSON Lines only
        sys.stderr.write("".join(text + "\n" for text, _style in lines))
    else:
        from . import render
        console = render.make_console()
        for text, style in lines:
            console.print(text, style=style or None, markup=False)
    key_problems = dis.key_problems()
    partial = stats.truncated or stats.undecodable or stats.malformed or problems or key_problems
    return EXIT_PARTIAL if partial else EXIT_OK


def _print_packets(dis: Dissector, verbose: bool, time_format: str = "r") -> None:
    """The packet list or the details trees: with rich's colours on a terminal,
    as plain text (the same characters, written directly) to a file or pipe."""
    from . import render
    console = render.make_console()
    if console.is_terminal:
        show_row = console.print
        show_tree = lambda d: (console.print(render.rich_tree(d), soft_wrap=False), console.print())  # noqa: E731
    else:
        write = sys.stdout.write
        show_row = lambda text: write(text.plain + "\n")  # noqa: E731
        show_tree = lambda d: write(render.text_tree(d) + "\n")  # noqa: E731
    first = True
    t0 = 0.0
    for pkt in dis.packets():
        if first:
            t0 = dis.stats.first_time if dis.stats.first_time is not None else pkt.datagram.time
            if not verbose:
                show_row(render.header_row(time_format))
            first = False
        if verbose:
            show_tree(render.frame_details(pkt))
        else:
            show_row(render.row(pkt, t0, time_format))
    if first:
        show_row(render.Text("No ISAKMP/IKE or ESP packets decoded in this capture."))

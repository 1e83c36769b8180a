"""Correlation of the lab captures with both charon logs (issue 6, items 1-3): correlate.align.

The logs are the lab's own (`captures/*/left.log`, `right.log`), rewritten into tmp_path the way a
real ticket's logs differ from the capture: each clock shifted (left +3 h 27 min 13.25 s, right -17 s),
10 % of the lines that are not packet lines dropped at random (seeded), and in one test the
milliseconds stripped from every stamp.  What each frame must carry is derived from the original logs
and `truth.json` without the correlator: a side's packet line for a frame is the k-th `sending
packet`/`received packet` line of that size and ports (and, for a received one, of the exchange that
the first `parsed a X message header` or `parsed X request|response` line of its thread names), its
summary line is truth's
`left_log_line`/`right_log_line`.

The drop is seeded (6).  Over seeds 0-39 every case passes but v4-xauth-modecfg in 6 seeds: there
charon logged two 76-byte messages of one millisecond in the other order than the wire (frames 6 and
7), and the only event that tells them apart is the initiator's `parsed ID_PROT response 0 [ ID HASH ]`
line (2162); when it is dropped, the thread's next parse line (the queued TRANSACTION's) names the
wrong message.  The parser does not make an event of charon's `parsed a TRANSACTION message header`,
which would settle it.
"""
from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest

from correlate import blocks
from correlate.align import align
from correlate.logparse import parse_log, parse_log_text
from dissect.pipeline import Dissector

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "captures"
SAMPLES = ROOT.parent / "shared" / "debug-samples"
CASES = sorted(d.name for d in CAPTURES.iterdir()
               if (d / "left.log").exists() and (d / "right.log").exists() and (d / "truth.json").exists()
               and (d / "capture.pcap").exists())
SIDES = ("left", "right")
SHIFT = {"left": dt.timedelta(hours=3, minutes=27, seconds=13.25), "right": dt.timedelta(seconds=-17)}

_STAMP = re.compile(r"^(?P<mon>[A-Z][a-z]{2}) (?P<day>[ \d]\d) (?P<hms>\d\d:\d\d:\d\d)(?P<ms>\.\d{3})?")
_PACKET = re.compile(r"^\S+ +\S+ \S+ (?P<thread>\d+)\[NET\] (?:<[^>]*> )?(?P<dir>sending|received) packet: "
                     r"from (?P<src>\S+)\[(?P<sport>\d+)\] to (?P<dst>\S+)\[(?P<dport>\d+)\] \((?P<bytes>\d+) bytes\)")
_HEADER = re.compile(r"^\S+ +\S+ \S+ (?P<thread>\d+)\[ENC\] (?:<[^>]*> )?parsed (?:a (?P<exch>\w+) message header"
                     r"|(?P<exch2>\w+) (?:request|response) \d+ \[)")
_THREAD = re.compile(r"^\S+ +\S+ \S+ (?P<thread>\d+)\[")


def _truth(case: str) -> dict:
    return json.loads((CAPTURES / case / "truth.json").read_text())


def _year(truth: dict) -> int:
    first = next(r for r in truth["frame_table"])
    return dt.datetime.fromtimestamp(first["time"], dt.timezone.utc).year


def rewrite(src: Path, dst: Path, year: int, shift: dt.timedelta = dt.timedelta(), drop: float = 0.0,
            seed: int = 0, strip_ms: bool = False, drift: float = 0.0, drop_packets: float = 0.0) -> list[int]:
    """Copy a charon log with its stamps shifted (and their milliseconds stripped, and running ``drift``
    seconds per second fast from the first stamp on), dropping the share ``drop`` of the lines that are
    not packet lines (and ``drop_packets`` of those that are); returns the original line number of each
    new line."""
    rnd = random.Random(seed)
    out, origin = [], []
    first = None
    for n, line in enumerate(src.read_text().split("\n")[:-1], 1):
        if (drop_packets if "packet: from" in line else drop) and \
                rnd.random() < (drop_packets if "packet: from" in line else drop):
            continue
        m = _STAMP.match(line)
        if m:
            t = dt.datetime.strptime(f"{year} {m['mon']} {int(m['day'])} {m['hms']}{m['ms'] or '.000'}",
                                     "%Y %b %d %H:%M:%S.%f")
            first = first or t
            t += shift + (t - first) * drift
            stamp = f"{t:%b} {t.day:2d} {t:%H:%M:%S}" + ("" if strip_ms else f".{t.microsecond // 1000:03d}")
            line = stamp + line[m.end():]
        out.append(line)
        origin.append(n)
    dst.write_text("\n".join(out) + "\n")
    return origin


def packet_lines(case: str, side: str) -> dict[int, int]:
    """frame -> the original line number of a side's packet line for it (module doc)."""
    truth = _truth(case)
    addr = truth["initiator" if side == "left" else "responder"]["addr"]
    lines = (CAPTURES / case / f"{side}.log").read_text().split("\n")
    keyed: dict[tuple, list[tuple[int, str | None]]] = {}
    for n, line in enumerate(lines, 1):
        m = _PACKET.match(line)
        if not m:
            continue
        exch = None
        if m["dir"] == "received":
            for later in range(n, min(n + 300, len(lines))):
                h = _HEADER.match(lines[later])
                if h and h["thread"] == m["thread"]:
                    exch = h["exch"] or h["exch2"]
                    break
                p = _PACKET.match(lines[later])
                if p and p["thread"] == m["thread"]:
                    break
        key = (m["dir"] == "sending", int(m["bytes"]), int(m["sport"]), int(m["dport"]))
        keyed.setdefault(key, []).append((n, exch))
    out: dict[int, int] = {}
    used: dict[tuple, int] = {}
    for r in truth["frame_table"]:
        if r["kind"] != "ISAKMP" or addr not in (r["src"], r["dst"]):
            continue
        sent = r["src"] == addr
        key = (sent, r["isakmp_len"], r["sport"], r["dport"])
        cands = keyed.get(key, [])
        by_exchange = not sent and any(exch for _n, exch in cands)
        fitting = [n for n, exch in cands if not by_exchange or exch == r["exch"]]
        counter = key + ((r["exch"],) if by_exchange else ())
        k = used.get(counter, 0)
        assert k < len(fitting), f"{case} {side}: no packet line for frame {r['frame']}"
        used[counter] = k + 1
        out[r["frame"]] = fitting[k]
    return out


def expected(case: str, side: str) -> dict[int, set[int]]:
    """frame -> the original line numbers of a side's log it must carry: its packet line and its summary
    line (a retransmission's summary line is its first copy's)."""
    out = {frame: {n} for frame, n in packet_lines(case, side).items()}
    first_of: dict[int, int] = {}
    for r in _truth(case)["frame_table"]:
        summary = r.get(f"{side}_log_line")
        if r["kind"] != "ISAKMP" or not summary:
            continue
        if r[f"{side}_log_summary"].endswith("(retransmitted)"):
            out[first_of[summary]].add(summary)
        else:
            first_of[summary] = r["frame"]
            out[r["frame"]].add(summary)
    return out


def correlate(case: str, tmp_path: Path, drop: float = 0.1, seed: int = 6, strip_ms: bool = False,
              shift: dict | None = None):
    truth = _truth(case)
    year = _year(truth)
    shift = SHIFT if shift is None else shift
    logs, origins = [], {}
    for side in SIDES:
        dst = tmp_path / f"{side}.log"
        origins[str(dst)] = rewrite(CAPTURES / case / f"{side}.log", dst, year, shift[side], drop,
                                    seed + (side == "right"), strip_ms)
        logs.append(parse_log(str(dst), year=year, keep_records=False))
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), logs)
    return al, logs, origins


def carried(al, logs, origins) -> dict[str, dict[int, set[int]]]:
    """side -> frame -> original line numbers of that side's events placed on the frame."""
    out: dict[str, dict[int, set[int]]] = {side: {} for side in SIDES}
    for frame, placed in al.attached.items():
        for a in placed:
            side = Path(a.log).stem
            out[side].setdefault(frame, set()).add(origins[a.log][a.event.record.line - 1])
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("case", ["v4-aes128-sha1-modp1024", "v6-aggressive", "v4-rekey-dpd", "v6-psk-mismatch",
                                  "v4-xauth-modecfg"])
def test_summary_lines_find_their_packets_when_most_packet_lines_are_gone(case, seed, tmp_path):
    """60 % of both logs' packet lines dropped (the IKE_SA's and the socket threads'): each ``generating`` /
    ``parsed`` summary line still goes to its own frame (truth's), by its direction, message ID, exchange,
    role and payloads near its time, not to the packet line before it, and none is left unplaced."""
    truth = _truth(case)
    year = _year(truth)
    logs, origins = [], {}
    for side in SIDES:
        dst = tmp_path / f"{side}.log"
        origins[str(dst)] = rewrite(CAPTURES / case / f"{side}.log", dst, year, SHIFT[side], seed=seed + 10 * (side == "right"),
                                    drop_packets=0.6)
        logs.append(parse_log(str(dst), year=year, keep_records=False))
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), logs)
    got = carried(al, logs, origins)
    for side in SIDES:
        summary = {}
        for r in truth["frame_table"]:
            n = r.get(f"{side}_log_line")
            if r["kind"] == "ISAKMP" and n and not r[f"{side}_log_summary"].endswith("(retransmitted)"):
                summary[n] = r["frame"]
        assert summary
        for n, frame in summary.items():
            on = [f for f, lines in got[side].items() if n in lines]
            assert on == [frame], f"{case} {side}: summary line {n} on frames {on}, not {frame}"


@pytest.mark.parametrize("case", CASES)
def test_every_line_is_placed_near_its_packet_in_time(case):
    """The shipped logs of every lab case: each line placed on a frame was written within 50 ms of it (after
    the offset).  charon reuses its threads, so the lines a thread writes before it builds a message (a
    CHILD_SA closed before its DELETE is sent) follow, in that thread, a message it handled seconds
    earlier: they go to the message they come just before (v4-natt: MM3 took left.log's CHILD_SA teardown,
    1.67 s later; v6-ikev2-psk, v4-rekey-dpd likewise)."""
    from correlate import offset
    folder = CAPTURES / case
    logs = [parse_log(str(folder / f"{side}.log"), year=_year(_truth(case)), keep_records=False) for side in SIDES]
    packets = list(Dissector(str(folder / "capture.pcap")).packets())
    times = {p.frame: p.datagram.time for p in packets}
    al = align(packets, logs)
    clocks = {c.name: c for c in al.logs}
    far = []
    for frame, placed in al.attached.items():
        for a in placed:
            c = clocks[a.log]
            t = offset.event_seconds(a.event.record, c.clock)
            if t is not None and abs(c.capture_time(t) - times[frame]) > 0.05:
                far.append((frame, Path(a.log).name, a.event.record.line, a.how))
    assert not far, far[:5]


@pytest.mark.parametrize("case", CASES)
def test_socket_lines_carry_their_frames_in_order(case, tmp_path):
    """charon's socket threads log each datagram (``12[NET] received packet: from ... to ...``) in wire
    order: the socket lines of one direction and pair of endpoints go to frames in the order of the lines
    (v4-rekey-dpd: the responder's socket lines for the two Deletes of frames 64 and 65 came before both
    worker lines and were swapped)."""
    al, logs, _origins = correlate(case, tmp_path, drop=0.0)
    wire_time = {r["frame"]: r["time"] for r in _truth(case)["frame_table"]}
    runs: dict[tuple, list[tuple[int, int]]] = {}
    for frame, placed in al.attached.items():
        for a in placed:
            if a.how == "socket":
                e = a.event
                runs.setdefault((a.log, e.direction, e.peer, e.local), []).append((e.record.line, frame))
    assert runs, case
    for key, pairs in runs.items():
        frames = [f for _line, f in sorted(pairs)]
        assert frames == sorted(frames, key=wire_time.__getitem__), (key, sorted(pairs))
    if case == "v4-rekey-dpd":
        right = {f for (log, d, *_r), pairs in runs.items() if log.endswith("right.log") and d == "in"
                 for _n, f in pairs}
        assert {64, 65} <= right


@pytest.mark.parametrize("case", CASES)
def test_every_frame_carries_both_sides_lines_after_shift_and_drop(case, tmp_path):
    al, logs, origins = correlate(case, tmp_path)
    got = carried(al, logs, origins)
    for i, side in enumerate(SIDES):
        kept = set(origins[logs[i].name])
        want = expected(case, side)
        assert want, f"{case}: no frame for {side}"
        for frame, lines in want.items():
            missing = {n for n in lines if n in kept} - got[side].get(frame, set())
            assert not missing, f"{case} {side} frame {frame}: lines {sorted(missing)} not placed on it"
        for frame, lines in got[side].items():   # no packet line on a frame it does not belong to
            stray = {n for n in lines if any(n in ls for f, ls in want.items() if f != frame)}
            assert not stray, f"{case} {side} frame {frame}: lines {sorted(stray)} belong to other frames"
        clock = al.logs[i]
        assert clock.address == _truth(case)["initiator" if side == "left" else "responder"]["addr"]
        assert abs(clock.offset - SHIFT[side].total_seconds()) < 0.005, (case, side, clock.offset)
        assert clock.uncertainty < 0.005
        assert clock.resolution == 0.001
        assert clock.matched == clock.packet_events == len(want)
    assert not al.unmatched_events
    assert not al.unlogged
    assert all(not frames for frames in al.unmatched_packets.values())


def test_unshifted_logs_have_an_offset_near_zero(tmp_path):
    """The lab's daemons and tcpdump share one clock: the estimate is the truth's zero, within the bounds."""
    al, _logs, _o = correlate("v6-aes128-sha1-modp1024", tmp_path, drop=0.0,
                              shift={"left": dt.timedelta(), "right": dt.timedelta()})
    for clock in al.logs:
        assert abs(clock.offset) <= clock.uncertainty + 1e-6
        assert clock.uncertainty < 0.001


def test_milliseconds_padded_to_microseconds_keep_their_resolution(tmp_path):
    """A syslog server that writes the lab's millisecond stamps with six digits (``13:44:51.247000``): the
    resolution is still a millisecond, so the send and receive bounds agree and no note says otherwise."""
    case = "v4-aes128-sha1-modp1024"
    year = _year(_truth(case))
    logs = []
    for side in SIDES:
        text = (CAPTURES / case / f"{side}.log").read_text()
        padded = re.sub(r"^(\w{3} +\d+ \d\d:\d\d:\d\d\.\d{3})", r"\g<1>000", text, flags=re.M)
        assert padded != text
        logs.append(parse_log_text(padded, f"{side}.log", year=year))
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), logs)
    assert [c.resolution for c in al.logs] == [0.001, 0.001]
    assert all(abs(c.offset) < 0.005 and c.matched == c.packet_events for c in al.logs)
    assert not any("disagree" in n for n in al.notes)


def test_seconds_resolution_widens_the_uncertainty(tmp_path):
    """Stamps without milliseconds (IOS without msec, ASA): the offset is still bounded by causality,
    the interval is as wide as whole seconds allow, and it contains the shift."""
    al, logs, origins = correlate("v4-rekey-dpd", tmp_path, drop=0.0, strip_ms=True)
    for clock, side in zip(al.logs, SIDES):
        true = SHIFT[side].total_seconds()
        assert clock.resolution == 1.0
        assert abs(clock.offset - true) <= clock.uncertainty + 1e-6, (side, clock.offset, clock.uncertainty)
        assert 0.01 < clock.uncertainty <= 0.5 + 1e-6
    got = carried(al, logs, origins)
    for side in SIDES:
        for frame, lines in expected("v4-rekey-dpd", side).items():
            assert lines <= got[side].get(frame, set()), (side, frame)


def test_psk_mismatch_retransmissions_and_their_answers(tmp_path):
    """MM5 sent three times, each answered by an INFORMATIONAL from the responder: each copy carries its
    own `sending retransmit` and packet lines, the responder's three `received packet` lines go to the
    three copies in order, and the first copy's generating line stays on the first copy."""
    al, logs, origins = correlate("v6-psk-mismatch", tmp_path, drop=0.0,
                                  shift={"left": dt.timedelta(), "right": dt.timedelta()})
    assert al.retransmissions == {7: 5, 9: 5}
    by_frame = {f: [a.event.message for a in al.attached.get(f, []) if a.log.endswith("left.log")] for f in (5, 7, 9)}
    assert any(m.startswith("generating ID_PROT request 0") for m in by_frame[5])
    assert any(m.startswith("sending retransmit 1 of request message ID 0") for m in by_frame[7])
    assert any(m.startswith("sending retransmit 2 of request message ID 0") for m in by_frame[9])
    right = [(m.frame, m.event.record.line) for m in al.matches if m.log.endswith("right.log")
             and m.event.direction == "in" and m.event.bytes == 108]
    assert [f for f, _ in right] == [5, 7, 9]
    assert [n for _, n in right] == sorted(n for _, n in right)


def test_xauth_messages_logged_out_of_wire_order(tmp_path):
    """charon logged the TRANSACTION request (frame 7) before MM6 (frame 6), both 76 bytes in the same
    millisecond: the parse lines of the other thread put each packet line on its own frame."""
    al, logs, origins = correlate("v4-xauth-modecfg", tmp_path, drop=0.0,
                                  shift={"left": dt.timedelta(), "right": dt.timedelta()})
    left = {m.frame: m.event.record.line for m in al.matches if m.log.endswith("left.log")}
    assert left[6] == 2095 and left[7] == 2049


def test_given_offset_and_address(tmp_path):
    """`--offset` and `--log ADDR=FILE`: the given values are used and said; the estimate is still noted."""
    truth = _truth("v6-aes128-sha1-modp1024")
    year = _year(truth)
    dst = tmp_path / "right.log"
    rewrite(CAPTURES / "v6-aes128-sha1-modp1024" / "right.log", dst, year, dt.timedelta(seconds=-17))
    log = parse_log(str(dst), year=year, keep_records=False)
    al = align(Dissector(str(CAPTURES / "v6-aes128-sha1-modp1024" / "capture.pcap")).packets(), [log],
               addresses={"2001:db8::3": str(dst)}, offsets={str(dst): -17.0})
    clock = al.logs[0]
    assert (clock.address, clock.assigned_by, clock.offset, clock.given) == ("2001:db8::3", "given", -17.0, True)
    assert clock.matched == clock.packet_events == 11
    assert any("suggest -17.0" in n for n in clock.notes)


def test_spis_link_to_esp_flows(tmp_path):
    """CHILD_SA SPIs link to the capture's ESP flows (3 pings each way), per-packet ESP lines to their
    frames by SPI and sequence number."""
    al, logs, origins = correlate("v6-aes128-sha1-modp1024", tmp_path, drop=0.0)
    truth = _truth("v6-aes128-sha1-modp1024")
    spis = {(Path(s.log).stem, s.spi): s for s in al.spis}
    for sa in truth["esp_sas"]:
        spi = int(sa["spi"], 16)
        for side in SIDES:
            link = spis[(side, spi)]
            assert link.packets == 3 and link.flows[0].dst == sa["dst"]
            assert link.direction == ("in" if truth["initiator" if side == "left" else "responder"]["addr"]
                                      == sa["dst"] else "out")
            assert link.counter in ("bytes_in", "bytes_out") and link.difference is None
    assert not al.esp_unlinked
    esp_lines = {f: [a.event.message for a in al.attached[f] if a.how == "ESP SPI and sequence"]
                 for f in al.attached if f not in al.frames}
    assert sum(len(v) for v in esp_lines.values()) == 6


LOG_ONLY = sorted([*SAMPLES.glob("*.txt"), *(SAMPLES.parent / "seed").glob("*.txt")]) if SAMPLES.exists() else []


@pytest.mark.parametrize("sample", LOG_ONLY, ids=[p.name for p in LOG_ONLY])
def test_debug_samples_without_capture(sample):
    """Logs without a capture (the public debug samples, the seed): every event is accounted for (an
    unmatched packet event, or an event placed nowhere with a reason), nothing raises."""
    log = parse_log(str(sample), year=2026, keep_records=False)
    al = align([], [log])
    anchors = blocks.anchors(log.events)
    assert len(al.unmatched_events) == len(anchors)
    assert sum(len(v) for v in al.attached.values()) == 0
    placed = len(al.unmatched_events) + len(al.unattached)
    assert placed == len(log.events)


def _samples_log(name: str):
    return parse_log(str(SAMPLES / name), year=2026, keep_records=False)


@pytest.mark.skipif(not SAMPLES.exists(), reason="../shared/debug-samples is not there")
def test_ios_lines_attach_to_the_packet_they_process():
    """IOS-XE initiator (sample 03): processing lines go to the received packet before them, state
    changes after a `sending packet` line to that packet, `beginning Quick Mode exchange, M-ID of N`
    to the Quick Mode packet it starts, and received packets take the message ID of their processing."""
    log = _samples_log("03-iosxe-mm-qm-initiator-nopsk-then-success-shows.txt")
    anchors = blocks.anchors(log.events)
    places = blocks.attach(log.events, anchors)
    line_of = {a.index: a.event.record.line for a in anchors}

    def anchor_line(record_line: int, message: str) -> int:
        i = next(i for i, e in enumerate(log.events) if e.record.line == record_line and e.message.startswith(message))
        k, _how = places[i]
        return line_of[anchors[k].index]

    assert anchor_line(57, "processing SA payload") == 53
    assert anchor_line(89, "IKE_I_MM2 -> IKE_I_MM3") == 86
    assert anchor_line(152, "beginning Quick Mode exchange") == 154
    assert anchor_line(162, "processing HASH payload") == 161
    qm2 = next(a for a in anchors if a.event.record.line == 161)
    assert qm2.derived_mid == 1327257875 and qm2.message_id is None
    assert next(a for a in anchors if a.event.record.line == 154).derived_mid == 1327257875


def test_log_text_without_stamps_matches_by_order(tmp_path):
    """A log whose stamps were lost (pasted without `service timestamps`): packet lines match in order."""
    case = "v6-aes128-sha1-modp1024"
    text = (CAPTURES / case / "left.log").read_text()
    bare = "\n".join(_STAMP.sub("", line).lstrip() for line in text.split("\n"))
    log = parse_log_text(bare, "bare.log", year=2026)
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), [log])
    clock = al.logs[0]
    assert clock.clock == "none" and clock.offset is None
    assert clock.matched == clock.packet_events == 11
    assert [m.frame for m in al.matches] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17]


def test_clock_drift_is_fitted(tmp_path):
    """A log clock running 500 ppm fast (32 ms over the case's minute): the bounds cross as a constant,
    a drift is fitted, and the offset at the first packet is the shift."""
    case = "v4-rekey-dpd"
    truth = _truth(case)
    year = _year(truth)
    logs = []
    for side in SIDES:
        dst = tmp_path / f"{side}.log"
        rewrite(CAPTURES / case / f"{side}.log", dst, year, SHIFT[side], 0.1, 3, drift=5e-4)
        logs.append(parse_log(str(dst), year=year, keep_records=False))
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), logs)
    for clock, side in zip(al.logs, SIDES):
        assert abs(clock.drift - 5e-4) < 2e-5, clock.drift
        assert abs(clock.offset - SHIFT[side].total_seconds()) < 0.005
        assert clock.matched == clock.packet_events == 54


_CHARON_PACKET = re.compile(r"(?P<dir>sending|received) packet: from (?P<src>\S+)\[(?P<sport>\d+)\] to "
                            r"(?P<dst>\S+)\[(?P<dport>\d+)\] \(\d+ bytes\)")
_CHARON_MESSAGE = re.compile(r"(?P<what>parsed|generating) (?P<exch>\w+) (?P<rr>request|response) (?P<mid>\d+) "
                             r"\[(?P<payloads>[^\]]*)\]")
_CHARON_RETRANSMIT = re.compile(r"sending retransmit \d+ of request message ID (?P<mid>\d+)")
_IOS_PAYLOADS = {"SA": "SA", "KE": "KE", "No": "NONCE", "ID": "ID", "HASH": "HASH", "D": "DELETE"}


def ios_translation(case: str, side: str, shift: dt.timedelta, year: int,
                    boot: dt.datetime | None = None) -> tuple[str, list[int]]:
    """The events of a charon log written as Cisco IOS 12.x debug lines (the seed's forms, stamps with
    msec, message IDs signed): `received packet from A dport P sport Q Global (R) STATE`, `sending packet
    to A my_port P peer_port Q (R) STATE` (no byte count, no message ID), `processing X payload. message
    ID = N` for each payload charon parsed, `beginning Quick Mode exchange, M-ID of N` for a Quick Mode it
    started, `retransmitting phase 1 MM_KEY_EXCH...` for charon's `sending retransmit`.  Other lines are
    left out, as IOS has no equivalent.  With ``boot`` the stamps are uptime stamps (`*05:00:07.925:`,
    time since ``boot``) instead of dates.  Returns the text and the original line of each line."""
    lines = (CAPTURES / case / f"{side}.log").read_text().split("\n")
    exchange_of: dict[int, str] = {}   # packet line -> the exchange of its thread's neighbouring summary line
    for n, line in enumerate(lines, 1):
        m = _CHARON_PACKET.search(line)
        if not m or "bytes" not in line:
            continue
        thread = _THREAD.match(line)["thread"]
        span = range(n, min(n + 400, len(lines))) if m["dir"] == "received" else range(n - 2, max(n - 400, 0), -1)
        for k in span:
            s = _CHARON_MESSAGE.search(lines[k])
            t = _THREAD.match(lines[k])
            if t and t["thread"] == thread and _CHARON_PACKET.search(lines[k]) and "bytes" in lines[k]:
                break   # the thread's next packet: a message it could not parse (IOS stays in its MM state)
            if s and t and t["thread"] == thread and (s["what"] == "parsed") == (m["dir"] == "received"):
                exchange_of[n] = s["exch"]
                break
    out, origin = [], []
    for n, line in enumerate(lines, 1):
        m = _STAMP.match(line)
        if not m:
            continue
        t = dt.datetime.strptime(f"{year} {m['mon']} {int(m['day'])} {m['hms']}{m['ms']}", "%Y %b %d %H:%M:%S.%f")
        t += shift
        if boot is None:
            stamp = f"*{t:%b} {t.day:2d} {t:%H:%M:%S}.{t.microsecond // 1000:03d}:"
        else:
            ms = round((t - boot).total_seconds() * 1000)
            stamp = f"*{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}:"
        p = _CHARON_PACKET.search(line)
        s = _CHARON_MESSAGE.search(line)
        r = _CHARON_RETRANSMIT.search(line)
        if r:
            phase = "phase 1 MM_KEY_EXCH" if r["mid"] == "0" else "phase 2 QM_IDLE"
            out.append(f"{stamp} ISAKMP (1011): retransmitting {phase}...")
            origin.append(n)
        elif p and "bytes" in line:
            state = "MM_KEY_EXCH" if exchange_of.get(n) in ("ID_PROT", "AGGRESSIVE", None) else "QM_IDLE"
            if p["dir"] == "received":
                text = (f"ISAKMP (1011): received packet from {p['src'].upper()} dport {p['dport']} sport "
                        f"{p['sport']} Global (R) {state}")
            else:
                text = (f"ISAKMP: (1011): sending packet to {p['dst'].upper()} my_port {p['sport']} peer_port "
                        f"{p['dport']} (R) {state}")
            out.append(f"{stamp} {text}")
            origin.append(n)
        elif s:
            mid = int(s["mid"])
            signed = mid - (1 << 32) if mid >= 1 << 31 else mid
            if s["what"] == "parsed":
                for token in s["payloads"].split():
                    name = _IOS_PAYLOADS.get(token)
                    if name:
                        out.append(f"{stamp} ISAKMP: (1011): processing {name} payload. message ID = {signed}")
                        origin.append(n)
            elif s["exch"] == "QUICK_MODE" and s["rr"] == "request" and " SA " in s["payloads"]:
                out.append(f"{stamp} ISAKMP: (1011):beginning Quick Mode exchange, M-ID of {signed}")
                origin.append(n)
    return "\n".join(out) + "\n", origin


@pytest.mark.parametrize("case,side", [("v6-aes128-sha1-modp1024-port500", "right"), ("v4-rekey-dpd", "right"),
                                       ("v6-psk-mismatch", "right"), ("v6-psk-mismatch", "left"),
                                       ("v4-xauth-modecfg", "left")])
def test_ios_form_of_a_lab_log(case, side, tmp_path):
    """IOS lines carry no byte count and no message ID on the packet line: a lab log written in the
    seed's IOS forms, its clock shifted, still puts each packet line on its frame (the message IDs of the
    processing lines and the order decide; a `retransmitting` line and the `sending packet` line after it
    are one packet) and the offset within 5 ms."""
    truth = _truth(case)
    year = _year(truth)
    text, origin = ios_translation(case, side, SHIFT[side], year)
    log = parse_log_text(text, "router.log", year=year)
    assert {e.record.family for e in log.events} == {"ios"}
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), [log])
    clock = al.logs[0]
    assert (clock.address, clock.assigned_by) == (truth["initiator" if side == "left" else "responder"]["addr"],
                                                  "peers")
    assert abs(clock.offset - SHIFT[side].total_seconds()) < 0.005
    anchors = blocks.anchors(log.events)
    assert all(a.event.bytes is None and a.message_id is None for a in anchors)
    got = {m.frame: origin[m.event.record.line - 1] for m in al.matches}
    assert got == packet_lines(case, side)
    resent = [a for a in anchors if a.markers]
    assert len(resent) == len(_CHARON_RETRANSMIT.findall((CAPTURES / case / f"{side}.log").read_text()))
    for a in resent:
        frame = next(m.frame for m in al.matches if m.event is a.event)
        assert frame in al.retransmissions
        assert any(x.how == "retransmission" for x in al.attached[frame])


def test_ios_uptime_stamps(tmp_path):
    """A router that stamps its debug with uptime (`service timestamps debug uptime msec`): the offset is
    uptime minus epoch seconds (about minus the boot time), and the lines still find their frames."""
    case, side = "v4-rekey-dpd", "right"
    truth = _truth(case)
    year = _year(truth)
    first = dt.datetime.strptime(f"{year} " + _STAMP.match((CAPTURES / case / f"{side}.log").read_text())[0],
                                 "%Y %b %d %H:%M:%S.%f")
    boot = first - dt.timedelta(hours=5, seconds=7.5)
    text, origin = ios_translation(case, side, dt.timedelta(), year, boot=boot)
    log = parse_log_text(text, "router.log", year=year)
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), [log])
    clock = al.logs[0]
    assert clock.clock == "uptime" and clock.resolution == 0.001
    assert abs(clock.offset + (boot - dt.datetime(1970, 1, 1)).total_seconds()) < 0.005
    assert {m.frame: origin[m.event.record.line - 1] for m in al.matches} == packet_lines(case, side)


@pytest.mark.skipif(not (SAMPLES.parent / "seed").exists(), reason="../shared/seed is not there")
def test_show_counters_without_their_packets():
    """The seed's `show crypto ipsec sa` (4 packets encapsulated, 4 decapsulated), then after a ping its
    `show crypto ipsec sa | i caps|ident` (9 and 9, no SPI named: the same flow's identities) against a
    capture without those ESP packets: each SPI's latest counter, and no difference (item 4: an SPI the
    capture does not hold, for a log that speaks for no endpoint of it, is not compared)."""
    seed = next((SAMPLES.parent / "seed").glob("*.txt"))
    log = parse_log(str(seed), year=2026, keep_records=False)
    al = align([], [log])
    got = {(ln.spi, ln.direction, ln.counter, ln.counted, ln.seen, ln.difference) for ln in al.spis
           if ln.counter}
    assert got == {(0x45F16A9A, "in", "decaps", 9, None, None), (0x221A7153, "out", "encaps", 9, None, None)}


@pytest.mark.skipif(not SAMPLES.exists(), reason="../shared/debug-samples is not there")
def test_log_of_other_peers_is_said_not_forced(tmp_path):
    """An ASA log about other peers (sample 13) with a lab capture: no endpoint in common, said in a
    note; its packet lines stay unmatched and every frame stays unlogged."""
    log = _samples_log("13-asa804-syslog-year-mm-wait-msg4-invalid-cookie.txt")
    al = align(Dissector(str(CAPTURES / "v6-aes128-sha1-modp1024" / "capture.pcap")).packets(), [log])
    clock = al.logs[0]
    assert clock.address is None and clock.offset is None and clock.matched == 0
    assert any("no address it names is an IKE endpoint in the capture" in n for n in al.notes)
    assert len(al.unmatched_events) == clock.packet_events == 6
    assert al.unlogged == al.frames and len(al.frames) == 11


def test_a_block_quoted_twice_shares_its_packet(tmp_path):
    """A document that quotes a debug block twice (the seed does) repeats its packet line with the same
    stamp: the copy goes to the same frame as the original, as a copy, and is no missing packet."""
    case = "v6-aes128-sha1-modp1024"
    lines = (CAPTURES / case / "right.log").read_text().split("\n")
    start = next(n for n, line in enumerate(lines) if "received packet" in line and "(236 bytes)" in line)
    end = next(n for n in range(start, len(lines)) if "parsed QUICK_MODE request" in lines[n]) + 1
    quoted = lines[:end] + lines[start:end] + lines[end:]
    log = parse_log_text("\n".join(quoted), "quoted.log", year=_year(_truth(case)))
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), [log])
    clock = al.logs[0]
    assert (clock.matched, clock.copies, clock.packet_events) == (11, 1, 12)
    assert not al.unmatched_events
    block = end - start                  # lines in the block; the quote follows it
    placed = [(a.event.record.line, a.how) for a in al.attached[7] if a.event.kind in ("packet", "payload")]
    assert placed == [(start + 1, "packet"), (end, "message ID"),
                      (end + 1, f"copy of line {start + 1}"), (end + block, "message ID")]


@pytest.mark.skipif(not (CAPTURES / "seed-ios-ipv6" / "truth.json").exists(), reason="no seed-ios-ipv6 capture")
def test_seed_capture_packet_lines():
    """The seed scenario's capture (synthesized to match the seed's IOS debug, whose blocks the document
    quotes several times) with both routers' logs: every packet line goes to the frame truth.json names,
    the repeated quotes as copies, and the offsets are truth's clock."""
    case = CAPTURES / "seed-ios-ipv6"
    truth = json.loads((case / "truth.json").read_text())
    if "log_lines" not in truth["frame_table"][0] or "clock" not in truth:
        pytest.skip("seed-ios-ipv6/truth.json has no log_lines per frame")
    names = {"initiator.log": "initiator", "responder.log": "responder"}
    logs = [parse_log(str(case / n), year=truth["clock"]["year"], keep_records=False) for n in names]
    al = align(Dissector(str(case / "capture.pcap")).packets(), logs)
    assert _packet_lines_placed(al) == _packet_lines_of_truth(truth)
    assert not al.unmatched_events
    offsets = {"initiator.log": -truth["clock"]["capture_minus_initiator_log_s"],
               "responder.log": -truth["clock"]["capture_minus_responder_log_s"]}
    for clock in al.logs:
        assert abs(clock.offset - offsets[Path(clock.name).name]) <= clock.uncertainty + 0.001


def _packet_lines_of_truth(truth: dict) -> dict[tuple[int, str], set[int]]:
    """(frame, log file name) -> the packet lines truth.json's frame table gives it."""
    want: dict[tuple[int, str], set[int]] = {}
    for r in truth["frame_table"]:
        for name, ls in (r.get("log_lines") or {}).items():
            if ls:
                want.setdefault((r["frame"], name), set()).update(ls)
    return want


def _packet_lines_placed(al) -> dict[tuple[int, str], set[int]]:
    """(frame, log file name) -> the packet lines the alignment placed on it."""
    got: dict[tuple[int, str], set[int]] = {}
    for frame, placed in al.attached.items():
        for a in placed:
            if a.event.kind == "packet":
                got.setdefault((frame, Path(a.log).name), set()).add(a.event.record.line)
    return got


def _seed_logs(tmp_path, form: str) -> list:
    """The seed's two IOS logs rewritten in tmp_path: ``secs`` strips the milliseconds from every stamp,
    ``none`` strips the stamps; the line numbers stay those of the originals (truth's log_lines)."""
    case = CAPTURES / "seed-ios-ipv6"
    out = []
    for name in ("initiator.log", "responder.log"):
        text = (case / name).read_text()
        if form == "secs":
            text = re.sub(r"(?m)^(\*[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)\.\d{3}:", r"\1:", text)
        else:
            text = re.sub(r"(?m)^\*[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?: ", "", text)
        assert text.count("\n") == (case / name).read_text().count("\n")
        (tmp_path / name).write_text(text)
        out.append(parse_log(str(tmp_path / name), year=2012, keep_records=False))
    return out


@pytest.mark.parametrize("form", ["secs", "none"])
def test_ios_states_fix_the_roles_without_milliseconds(form, tmp_path):
    """Item 2: with seconds-only stamps or none, the IOS state on each packet line and the `New State`
    after it (IKE_I_MM4, IKE_QM_PHASE2_COMPLETE...) still put every packet line on truth's frame, repeated
    quotes as copies."""
    case = CAPTURES / "seed-ios-ipv6"
    truth = json.loads((case / "truth.json").read_text())
    if "log_lines" not in truth["frame_table"][0]:
        pytest.skip("seed-ios-ipv6/truth.json has no log_lines per frame")
    logs = _seed_logs(tmp_path, form)
    al = align(Dissector(str(case / "capture.pcap")).packets(), logs)
    assert _packet_lines_placed(al) == _packet_lines_of_truth(truth)
    assert not al.unmatched_events


def test_a_log_of_another_session_is_not_matched():
    """Item 1: the 3DES case's charon logs against the AES case's capture (same addresses, same Main Mode
    sizes, another session): their Quick Mode message IDs are not the capture's, so nothing matches and
    a note says the log does not belong; with the right capture the stated message IDs all hold."""
    logs = [parse_log(str(CAPTURES / "v4-esp-3des-md5" / f"{s}.log"), year=2012, keep_records=False)
            for s in SIDES]
    al = align(Dissector(str(CAPTURES / "v4-aes128-sha1-modp1024" / "capture.pcap")).packets(), logs)
    assert not al.matches
    assert all(c.matched == 0 and c.offset is None for c in al.logs)
    assert sum("does not belong to this capture" in n for n in al.notes) == 2
    al = align(Dissector(str(CAPTURES / "v4-esp-3des-md5" / "capture.pcap")).packets(), logs)
    wire = {m.frame: None for m in al.matches}
    mids = {p.datagram.frame: p.isakmp.header.message_id
            for p in Dissector(str(CAPTURES / "v4-esp-3des-md5" / "capture.pcap")).packets()
            if p.isakmp is not None and p.isakmp.header is not None and p.datagram.frame in wire}
    stated = 0
    for log in logs:
        by_event = {id(a.event): a for a in blocks.anchors(log.events)}
        for m in al.matches:
            a = by_event.get(id(m.event))
            if a is not None and a.mid is not None:
                stated += 1
                assert a.mid & 0xFFFFFFFF == mids[m.frame]
    assert stated >= 10


def test_logs_of_another_capture_with_absurd_drift_are_refused():
    """Item 1: the lab's IPv6 charon logs against the seed's IOS capture (same addresses): the pairs
    would need a clock running hundreds of thousands of ppm off, or message IDs the capture lacks."""
    logs = [parse_log(str(CAPTURES / "v6-aes128-sha1-modp1024" / f"{s}.log"), year=2012, keep_records=False)
            for s in SIDES]
    al = align(Dissector(str(CAPTURES / "seed-ios-ipv6" / "capture.pcap")).packets(), logs)
    assert not al.matches
    assert sum("does not belong to this capture" in n for n in al.notes) == 2


def test_spis_of_a_log_for_no_endpoint_are_not_compared():
    """Item 4: the seed's IOS logs (IPv6 addresses) against an IPv4 lab capture: the log speaks for no
    endpoint, so its SPIs link to no flow and no counter is compared."""
    case = CAPTURES / "seed-ios-ipv6"
    logs = [parse_log(str(case / n), year=2012, keep_records=False) for n in ("initiator.log", "responder.log")]
    al = align(Dissector(str(CAPTURES / "v4-esp-3des-md5" / "capture.pcap")).packets(), logs)
    assert al.spis
    assert all(not ln.flows and ln.difference is None and ln.seen is None for ln in al.spis)


def test_a_given_address_outside_the_capture_is_said():
    """Item 5: `--log 10.9.9.9=FILE` where 10.9.9.9 is no endpoint of the capture: a note says so, and the
    address the log names as its own is used instead, as without the override."""
    log = parse_log(str(CAPTURES / "v4-esp-3des-md5" / "left.log"), year=2012, keep_records=False)
    plain = align(Dissector(str(CAPTURES / "v4-esp-3des-md5" / "capture.pcap")).packets(), [log])
    al = align(Dissector(str(CAPTURES / "v4-esp-3des-md5" / "capture.pcap")).packets(), [log],
               addresses={"10.9.9.9": log.name})
    assert any("10.9.9.9" in n and "not an IKE endpoint in the capture" in n and "192.0.2.2 is used" in n
               for n in al.notes)
    assert al.logs[0].address == plain.logs[0].address == "192.0.2.2"
    assert [(m.frame, m.event.record.line) for m in al.matches] == \
        [(m.frame, m.event.record.line) for m in plain.matches] != []


def _shuffled_within_seconds(src: Path, seed: int) -> tuple[str, list[int]]:
    """A charon log whose lines are shuffled (seeded) among the lines of the same second, as a log merged
    or sorted by coarse stamps keeps them; returns the text and each new line's original number."""
    rnd = random.Random(seed)
    buckets: dict[str, list[tuple[int, str]]] = {}
    for n, line in enumerate(src.read_text().split("\n")[:-1], 1):
        m = _STAMP.match(line)
        buckets.setdefault(m["hms"] if m else "", []).append((n, line))
    out: list[tuple[int, str]] = []
    for key in sorted(buckets):
        group = buckets[key]
        rnd.shuffle(group)
        out.extend(group)
    return "\n".join(line for _n, line in out) + "\n", [n for n, _line in out]


@pytest.mark.parametrize("seed", range(4, 12))
def test_lines_shuffled_within_their_second(seed, tmp_path):
    """charon's sent packet lines take their message ID from the `generating` line before them in their
    thread; with the lines of a second shuffled, that line may be another message's.  Every packet line
    still goes to its own frame, and none is said missing from the capture."""
    case = "v4-aes128-sha1-modp1024"
    year = _year(_truth(case))
    text, origin = _shuffled_within_seconds(CAPTURES / case / "left.log", seed)
    (tmp_path / "left.log").write_text(text)
    log = parse_log(str(tmp_path / "left.log"), year=year, keep_records=False)
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), [log])
    clock = al.logs[0]
    assert not al.unmatched_events
    assert clock.matched == clock.packet_events == len(packet_lines(case, "left"))
    assert {m.frame: origin[m.event.record.line - 1] for m in al.matches} == packet_lines(case, "left")
    assert abs(clock.offset) < 0.005


def test_unshuffled_threads_keep_their_one_message_id():
    """A log in stamp order gives each charon packet line the one message ID its thread's order names
    (the xauth case has two 76-byte messages of one millisecond that only it tells apart)."""
    case = "v4-xauth-modecfg"
    log = parse_log(str(CAPTURES / case / "left.log"), year=_year(_truth(case)), keep_records=False)
    assert all(a.mids is None for a in blocks.anchors(log.events))


def test_packet_lines_written_twice_are_copies(tmp_path):
    """Each packet line of a charon log repeated right after itself (same stamp): the first of a sent
    pair got the `generating` line's message ID and the second of a received pair the `parsed` line's,
    yet each repeat is a copy of the line before it on the same frame, and no packet line is missing."""
    case = "v4-aes128-sha1-modp1024"
    doubled: list[str] = []
    origin: list[int] = []
    for n, line in enumerate((CAPTURES / case / "left.log").read_text().split("\n")[:-1], 1):
        for _ in range(2 if _PACKET.match(line) else 1):
            doubled.append(line)
            origin.append(n)
    (tmp_path / "left.log").write_text("\n".join(doubled) + "\n")
    log = parse_log(str(tmp_path / "left.log"), year=_year(_truth(case)), keep_records=False)
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), [log])
    clock = al.logs[0]
    frames = packet_lines(case, "left")
    assert not al.unmatched_events
    assert (clock.matched, clock.copies, clock.packet_events) == (len(frames), len(frames), 2 * len(frames))
    assert {m.frame: origin[m.event.record.line - 1] for m in al.matches} == frames
    for m in al.matches:
        line = m.event.record.line
        packets = [(a.event.record.line, a.how) for a in al.attached[m.frame]
                   if a.event.kind == "packet" and a.how != "socket"]
        assert packets == [(line, "packet"), (line + 1, f"copy of line {line}")], m.frame


# ---------------------------------------------------------------- foreign logs (item 1): what does not fit is said

def _logs_of(case: str) -> list:
    """A lab case's two logs (charon's left/right, or the seed's initiator/responder), parsed in its year."""
    d = CAPTURES / case
    names = [f"{s}.log" for s in SIDES] if (d / "left.log").exists() else ["initiator.log", "responder.log"]
    truth = _truth(case)
    year = truth["clock"]["year"] if "clock" in truth else _year(truth)
    return [parse_log(str(d / n), year=year, keep_records=False) for n in names]


def _ike_version(case: str) -> int:
    return 2 if any(r.get("exchtype", 0) >= 34 for r in _truth(case)["frame_table"] if r["kind"] == "ISAKMP") else 1


def _foreign_notes(al) -> list[str]:
    return [n for n in al.notes if "does not belong to this capture" in n]


ALL_CASES = sorted(d.name for d in CAPTURES.iterdir() if (d / "truth.json").exists() and (d / "capture.pcap").exists())


@pytest.mark.parametrize("capture", ALL_CASES)
def test_logs_of_every_other_case_are_refused(capture):
    """Item 1 and 3: the logs of every other lab case (many with the same two addresses, the same Main Mode
    sizes, the other IKE version, or the seed's IOS lines) against this capture: no packet line matches,
    and each log whose addresses are the capture's gets a note that it does not belong; the capture's own
    logs still match every packet line (copies of a quoted block share their packet)."""
    packets = list(Dissector(str(CAPTURES / capture / "capture.pcap")).packets())
    for case in ALL_CASES:
        logs = _logs_of(case)
        al = align(iter(packets), logs)
        if case == capture:
            assert not _foreign_notes(al)
            assert all(c.matched + c.copies == c.packet_events for c in al.logs), case
            continue
        assert not al.matches, (capture, case, [(m.frame, m.log) for m in al.matches])
        for clock in al.logs:
            said = [n for n in clock.notes if "does not belong to this capture" in n]
            assert said or clock.address is None, (capture, case, clock.name, clock.notes)


def test_seed_logs_against_a_lab_capture_of_the_same_addresses():
    """Item 1: the seed's IOS logs (2001:DB8::2 and ::3, port 500) against the lab's IPv6 AES capture, whose
    endpoints are the same two addresses: the initiator's MM4 line used to take frame 4.  Its Quick Mode
    message ID (the seed's 1371333358) is on no packet of the capture, which shows its own Quick Mode's
    message ID at that moment; the responder's lines (port 500 where the capture's Quick Mode floated to
    4500) fit no packet."""
    case = "v6-aes128-sha1-modp1024"
    seed = _truth("seed-ios-ipv6")
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), _logs_of("seed-ios-ipv6"))
    assert not al.matches and not al.attached
    assert al.unlogged == al.frames
    initiator, responder = al.logs
    assert (initiator.address, responder.address) == (seed["initiator"]["addr"], seed["responder"]["addr"])
    assert initiator.matched == responder.matched == 0 and initiator.offset is None
    qm = {r["mid"] for r in _truth(case)["frame_table"] if r.get("exch") == "QUICK_MODE"}
    mid = int(seed["quick_mode_message_ids"][0], 16)
    assert len(qm) == 1 and mid not in qm
    note = " ".join(initiator.notes)
    assert f"({mid} = 0x{mid:08X}) is not on any packet to or from 2001:db8::2" in note
    assert f"0x{qm.pop():08X}" in note
    assert any(f"none of its {responder.packet_events} packet lines fits any of the" in n for n in responder.notes)
    assert len(al.unmatched_events) == initiator.packet_events + responder.packet_events


def test_ike_versions_that_differ_are_said():
    """Item 3: the IKEv2 lab case's charon logs against an IKEv1 capture of the same two addresses, and the
    IKEv1 case's logs against the IKEv2 capture: no match, and the note names both versions."""
    v2 = next(c for c in CASES if _ike_version(c) == 2)
    v1 = "v6-aes128-sha1-modp1024"
    assert _ike_version(v1) == 1
    for logs_of, capture, spoken, wire in ((v2, v1, 2, 1), (v1, v2, 1, 2)):
        al = align(Dissector(str(CAPTURES / capture / "capture.pcap")).packets(), _logs_of(logs_of))
        assert not al.matches
        wire_count = sum(1 for r in _truth(capture)["frame_table"] if r["kind"] == "ISAKMP")
        for clock in al.logs:
            assert any(f"it speaks IKEv{spoken}, and the capture's {wire_count} packets between its endpoint and "
                       f"its peers are IKEv{wire}" in n for n in clock.notes), clock.notes


def test_a_capture_that_kept_only_a_retransmission_still_takes_its_lines():
    """A capture that holds only the second MM5 of the PSK-mismatch case and its answer (frames 7 and 8):
    the initiator's log sent MM5 three times, each answered by an INFORMATIONAL; charon's `processing
    failed` line names each answer's message ID, so the log's lines go to frames 7 and 8 (not the first
    pair, 2 s earlier, which the capture lacks), and the log is not taken for a foreign one."""
    case = "v6-psk-mismatch"
    packets = [p for p in Dissector(str(CAPTURES / case / "capture.pcap")).packets()
               if p.isakmp is not None and p.datagram.frame in (7, 8)]
    log = parse_log(str(CAPTURES / case / "left.log"), year=_year(_truth(case)), keep_records=False)
    al = align(packets, [log])
    assert not _foreign_notes(al)
    want = packet_lines(case, "left")
    assert {m.frame: m.event.record.line for m in al.matches} == {7: want[7], 8: want[8]}
    assert abs(al.logs[0].offset) < 0.005


def test_a_capture_that_lost_most_packets_keeps_its_logs():
    """A capture that lost 9 of its 11 ISAKMP packets (only MM2 and the last INFORMATIONAL left): the logs
    still put their lines for those two frames on them, and neither is called foreign for the lines
    whose packets the capture lost."""
    case = "v6-aes128-sha1-modp1024"
    packets = [p for p in Dissector(str(CAPTURES / case / "capture.pcap")).packets()
               if p.isakmp is None or p.datagram.frame in (2, 17)]
    al = align(packets, _logs_of(case))
    assert not _foreign_notes(al)
    for clock, side in zip(al.logs, SIDES):
        want = packet_lines(case, side)
        got = {m.frame: m.event.record.line for m in al.matches if m.log == clock.name}
        assert got == {2: want[2], 17: want[17]}
        assert clock.packet_events - clock.matched == len(want) - 2


# ---------------------------------------------------------------- shuffled charon logs (item 2)

def _twins(case: str, f: int, g: int) -> bool:
    """Frames ``f`` and ``g`` are two messages of one size between the same endpoints and ports within one
    millisecond on the wire: a log whose lines of one second are shuffled cannot tell their packet lines
    apart (their stamps, one unit apart at most, and their texts say the same)."""
    rows = {r["frame"]: r for r in _truth(case)["frame_table"]}
    a, b = rows[f], rows[g]
    same = all(a[k] == b[k] for k in ("src", "dst", "sport", "dport", "isakmp_len"))
    return same and abs(a["time"] - b["time"]) < 0.001


@pytest.mark.parametrize("case", CASES)
def test_lines_shuffled_within_their_second_every_case(case, tmp_path):
    """Each lab log shuffled within its seconds (seeds 3 and 7: v4-rekey-dpd's right log lost two DPD_ACK
    lines with seed 3, whose thread's `generating` lines came after them, and a Quick Mode request with
    seed 7, whose `parsed` line came before it): every packet line gets a packet, and each goes to its own
    frame but for two same-size messages of one millisecond, which may trade places."""
    year = _year(_truth(case))
    for side in SIDES:
        want = packet_lines(case, side)
        for seed in (3, 7):
            text, origin = _shuffled_within_seconds(CAPTURES / case / f"{side}.log", seed)
            log = parse_log_text(text, f"{side}.log", year=year)
            al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), [log])
            clock = al.logs[0]
            assert not al.unmatched_events, (side, seed, [origin[u.event.record.line - 1] for u in al.unmatched_events])
            assert clock.matched == clock.packet_events == len(want)
            got = {m.frame: origin[m.event.record.line - 1] for m in al.matches}
            assert set(got) == set(want)
            line_frame = {n: f for f, n in want.items()}
            for f, n in got.items():
                assert n == want[f] or _twins(case, f, line_frame[n]), (side, seed, f, n, want[f])


PUBLIC = ROOT.parent / "shared" / "public-captures"
MAIN_MODE = PUBLIC / "wireshark-wiki" / "attachment_ikev1_main_mode.pcap"
AGGRESSIVE = PUBLIC / "zeek-spicy-ipsec" / "traces" / "ipsec-ikev1-isakmp-aggressive-mode.pcap"
needs_public = pytest.mark.skipif(not (PUBLIC.exists() and SAMPLES.exists()),
                                  reason="../shared/public-captures or ../shared/debug-samples is not there")


def _sample(prefix: str):
    return parse_log(str(next(SAMPLES.glob(f"{prefix}-*.txt"))), year=2026, keep_records=True)


def _phase1_transforms(path: Path) -> dict[int, list[tuple]]:
    """frame -> (exchange type, encryption name, key length, group) of each phase 1 transform its SA carries."""
    out: dict[int, list[tuple]] = {}
    for p in Dissector(str(path)).packets():
        if p.isakmp is None or p.isakmp.header is None:
            continue
        for pl in p.isakmp.payloads or ():
            for prop in getattr(pl, "proposals", None) or ():
                for t in prop.transforms:
                    enc, bits, group = (t.attr(k) for k in (1, 14, 4))
                    out.setdefault(p.datagram.frame, []).append(
                        (p.isakmp.header.exchange_type, enc.value_name, bits.value if bits else None,
                         group.value if group else None))
    return out


@needs_public
def test_a_forced_log_whose_policy_is_not_the_captures_is_refused():
    """User report 1: sample 03 (an IOS-XE initiator talking to 203.0.113.1, which accepted AES-256 and
    group 14) forced with `--log 10.1.61.155=FILE` onto the Wireshark wiki's Main Mode capture, whose SA
    payloads offer AES-128 and group 2: its Main Mode lines fit the packets' ports and roles, but the policy
    it accepted is on no packet, so nothing matches and the note says why and that --log gave it."""
    log = _sample("03")
    said = {k: e.detail[k] for e in log.events if e.kind == "proposal" for k in ("keylength", "group")
            if k in e.detail and e.detail.get("phase") is None}
    wire = {t for ts in _phase1_transforms(MAIN_MODE).values() for t in ts}
    assert said == {"keylength": 256, "group": 14} and wire == {(2, "AES-CBC", 128, 2)}
    al = align(Dissector(str(MAIN_MODE)).packets(), [log], addresses={"10.1.61.155": log.name})
    clock = al.logs[0]
    assert (clock.address, clock.assigned_by, clock.matched, clock.offset) == ("10.1.61.155", "given", 0, None)
    assert not al.matches and len(al.unlogged) == len(al.frames) == 12
    assert "AES-CBC-256 SHA group 14" in clock.foreign and "AES-CBC-128 SHA group 2" in clock.foreign
    assert any("does not belong" in n and "--log gave it 10.1.61.155" in n for n in clock.notes)
    # without --log it names no endpoint of the capture: refused too
    assert align(Dissector(str(MAIN_MODE)).packets(), [log]).logs[0].address is None


@needs_public
@pytest.mark.parametrize("prefix", ["01", "09"])
def test_a_forced_main_mode_log_on_an_aggressive_mode_capture_is_refused(prefix):
    """User report 1: samples 01 (an IOS-XE responder, peer port 512) and 09 (an IOS 15 initiator), both Main
    Mode, forced onto 192.168.12.2 of Zeek's Aggressive Mode capture: their lines' MM_ states contradict the
    packets' exchange (4), so no line is placed (before, 3 each were, under AM1..AM3, by their order alone)."""
    log = _sample(prefix)
    states = {e.detail.get("state") or e.record.text.split()[-1] for e in log.events if e.kind == "packet"}
    assert any(s.startswith("MM_") for s in states) and not any(s.startswith("AG_") for s in states)
    phase1 = {f: ts for f, ts in _phase1_transforms(AGGRESSIVE).items()}
    assert {t[0] for ts in phase1.values() for t in ts} == {4}
    al = align(Dissector(str(AGGRESSIVE)).packets(), [log], addresses={"192.168.12.2": log.name})
    clock = al.logs[0]
    assert clock.address == "192.168.12.2" and clock.matched == 0 and not al.matches
    assert "exchange mode" in clock.foreign and "Aggressive Mode" in clock.foreign
    assert len(al.unmatched_events) == clock.packet_events
    assert any("--log gave it 192.168.12.2" in n for n in clock.notes)


def test_a_forced_log_of_the_capture_is_still_matched():
    """The other side of user report 1: the seed's IOS logs forced with their own addresses: nothing
    contradicts (its policy, modes and ports are the capture's), every packet line is matched."""
    case = CAPTURES / "seed-ios-ipv6"
    truth = _truth("seed-ios-ipv6")
    logs = [parse_log(str(case / n), year=2012, keep_records=False) for n in ("initiator.log", "responder.log")]
    addresses = {truth["initiator"]["addr"]: logs[0].name, truth["responder"]["addr"]: logs[1].name}
    al = align(Dissector(str(case / "capture.pcap")).packets(), logs, addresses=addresses)
    for clock, side in zip(al.logs, ("initiator", "responder")):
        assert (clock.address, clock.assigned_by, clock.foreign) == (truth[side]["addr"], "given", "")
        assert clock.matched + clock.copies == clock.packet_events
    assert abs(al.logs[0].offset + truth["clock"]["capture_minus_initiator_log_s"]) < 0.002


@needs_public
def test_findings_of_a_refused_log_are_left_out():
    """User report 2: sample 13 (an ASA log of INVALID_COOKIE and retransmissions with 198.51.100.233)
    forced onto 10.1.61.155 of the Main Mode capture is refused; its findings, which --log-only gives,
    are not the capture's, and a note says so."""
    from correlate import findings as F
    from correlate.timeline import build
    log = _sample("13")
    alone = {f.code for f in F.findings_from_log(log.events, log.records)}
    assert {"invalid-cookie", "retransmissions"} <= alone
    tl = build(Dissector(str(MAIN_MODE)), [log], addresses={"10.1.61.155": log.name})
    assert tl.alignment.logs[0].foreign
    assert not alone & {f.code for f in tl.findings}
    assert not any(ref.file == log.name for f in tl.findings for ref in f.log)
    assert any("findings are left out" in n and "--log-only" in n for n in tl.alignment.notes)


def test_a_wrong_given_offset_is_said_with_the_estimate():
    """User report 3: the seed's logs with `--offset=-3h27m` (13 s short of the truth): no packet line
    matches; a note says so, with the offset the estimate gives (the truth, within its uncertainty) and
    how many lines that matches."""
    case = CAPTURES / "seed-ios-ipv6"
    truth = _truth("seed-ios-ipv6")["clock"]
    logs = [parse_log(str(case / n), year=2012, keep_records=False) for n in ("initiator.log", "responder.log")]
    # the right offset: every line matches, and nothing is said
    right = {lg.name: -truth[k] for lg, k in zip(logs, ("capture_minus_initiator_log_s",
                                                         "capture_minus_responder_log_s"))}
    good = align(Dissector(str(case / "capture.pcap")).packets(), logs, offsets=right)
    assert all(c.matched + c.copies == c.packet_events and c.matched > 0 for c in good.logs)
    assert not any("matches only" in n for n in good.notes)
    given = -(3 * 3600 + 27 * 60)
    al = align(Dissector(str(case / "capture.pcap")).packets(), logs, offsets={lg.name: given for lg in logs})
    for clock, ok, key in zip(al.logs, good.logs, ("capture_minus_initiator_log_s", "capture_minus_responder_log_s")):
        assert clock.given and clock.offset == given and clock.matched == 0
        said = [n for n in clock.notes if "the offset given (-3h27m00.000s) matches only 0 of its" in n]
        assert len(said) == 1
        m = re.search(r"the estimate, ([-+])(\d+)h(\d+)m([\d.]+)s ± ([\d.]+) ms, matches (\d+) "
                      r"\(--offset=(.+)=([-+][\dhm.]+s)\)$", said[0])
        est = (-1 if m[1] == "-" else 1) * (int(m[2]) * 3600 + int(m[3]) * 60 + float(m[4]))
        assert abs(est + truth[key]) <= float(m[5]) / 1000 + 0.001
        assert int(m[6]) == ok.matched and m[7] == clock.name


def test_the_latest_counters_of_each_spi_are_compared():
    """User report 4: the seed's initiator log shows `show crypto ipsec sa` after the first ping (4 and 4)
    and, after the second, `show crypto ipsec sa | i caps|ident` (9 and 9, no SPI: the same flow's
    identities); its SPIs' latest counters are those, equal to the ESP packets the capture holds per SPI,
    so no difference is reported (before: "decaps 4, capture 9 (-5)")."""
    case = CAPTURES / "seed-ios-ipv6"
    esp: dict[int, int] = {}
    for p in Dissector(str(case / "capture.pcap")).packets():
        if p.esp is not None:
            esp[p.esp.spi] = esp.get(p.esp.spi, 0) + 1
    text = (case / "initiator.log").read_text(encoding="utf-8", errors="replace")
    last = {k: int(v) for k, v in re.findall(r"#pkts (encaps|decaps): (\d+)", text)}
    log = parse_log(str(case / "initiator.log"), year=2012, keep_records=False)
    al = align(Dissector(str(case / "capture.pcap")).packets(), [log])
    links = {ln.spi: ln for ln in al.spis if ln.counter}
    assert set(links) == set(esp) and len(esp) == 2
    for spi, ln in links.items():
        assert ln.counted == last[ln.counter] == esp[spi] == ln.seen
        assert ln.difference == 0
        assert ln.events[-1].record.line > ln.events[0].record.line   # the filtered show, after the full one


# ---------------------------------------------------------------- one file of both gateways (correlate.split)

def _merged(case: str, host: bool = False) -> str:
    """Both charon logs of ``case`` in one file, as `sort -s -k1,3 left.log right.log` writes it (one syslog
    server for both gateways); with ``host``, each line carries its gateway's syslog host name."""
    lines = []
    for side in SIDES:
        for line in (CAPTURES / case / f"{side}.log").read_text().splitlines():
            if host:
                line = _STAMP.sub(lambda m: f"{m.group(0)} vpn-{side} charon:", line, count=1)
            lines.append(line)
    return "\n".join(sorted(lines, key=lambda line: line.split()[:3])) + "\n"


def _matches_per_frame(al) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for m in al.matches:
        out.setdefault(m.frame, set()).add(re.sub(r" vpn-\w+ charon:", "", m.event.record.text))
    return out


def _separate(case: str):
    return align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(),
                 [parse_log(str(CAPTURES / case / f"{side}.log")) for side in SIDES])


@pytest.mark.parametrize("case", CASES)
def test_one_file_of_both_gateways_is_split_per_local_address(case):
    """No host names: the file is split by the local address of the packet lines (thread and IKE_SA tag for
    the others), and each part matches every frame as its own log does."""
    from correlate.split import split_log
    truth = _truth(case)
    s = split_log(parse_log_text(_merged(case), "both.log"))
    assert s.by == "address", s.note
    want = [truth["initiator"]["addr"], truth["responder"]["addr"]]
    assert sorted(p.name for p in s.parts) == sorted(f"both.log[{a}]" for a in want)
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), s.parts)
    assert sorted(c.address for c in al.logs) == sorted(want)
    assert not any(c.foreign for c in al.logs)
    sep = _separate(case)
    assert _matches_per_frame(al) == _matches_per_frame(sep)
    assert len(al.matches) == len(sep.matches) > 0


def test_one_file_of_both_gateways_with_host_names_is_split_per_host():
    from correlate.split import split_log
    case = "v4-aes128-sha1-modp1024"
    s = split_log(parse_log_text(_merged(case, host=True), "both.log"))
    assert s.by == "host" and [p.name for p in s.parts] == ["both.log[vpn-left]", "both.log[vpn-right]"]
    assert "2 hosts (vpn-left, vpn-right)" in s.note
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), s.parts)
    assert [c.address for c in al.logs] == ["192.0.2.2", "192.0.2.3"]
    assert _matches_per_frame(al) == _matches_per_frame(_separate(case))


def test_a_file_of_both_gateways_given_whole_is_refused():
    """Not split (the library's caller gave it whole): it speaks for two endpoints, so it matches nothing and
    its findings are not the capture's."""
    case = "v4-aes128-sha1-modp1024"
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(),
               [parse_log_text(_merged(case), "both.log")])
    (clock,) = al.logs
    assert "2 endpoints of the capture (192.0.2.2, 192.0.2.3)" in clock.foreign
    assert clock.matched == 0 and not al.matches


def test_swapped_log_addresses_use_the_address_the_log_names():
    case = "v4-aes128-sha1-modp1024"
    left, right = (parse_log(str(CAPTURES / case / f"{side}.log")) for side in SIDES)
    al = align(Dissector(str(CAPTURES / case / "capture.pcap")).packets(), [left, right],
               {"192.0.2.3": left.name, "192.0.2.2": right.name})
    assert [c.address for c in al.logs] == ["192.0.2.2", "192.0.2.3"]
    assert [c.foreign for c in al.logs] == ["", ""]
    assert [c.matched for c in al.logs] == [c.matched for c in _separate(case).logs]
    assert any("--log gave it 192.0.2.3, but the log names 192.0.2.2 as its own address" in n for n in al.notes)


def test_a_log_with_every_record_written_twice_matches_as_the_original(tmp_path):
    """The seed's IOS logs with each record written twice in place (a console and a terminal monitor both
    logging): every packet line and its copy sit on the frame truth.json names for the original line, the
    copies add no match and no unmatched line, and the offsets are the originals'."""
    from correlate.records import split_records
    case = CAPTURES / "seed-ios-ipv6"
    truth = json.loads((case / "truth.json").read_text())
    logs, originals, line_of = [], [], {}
    for name in ("initiator.log", "responder.log"):
        text = (case / name).read_text().splitlines()
        doubled: list[str] = []
        for r in split_records(text, name, year=2012):
            for copy in (0, 1):
                for k, raw in enumerate(r.raw):
                    line_of[(name, len(doubled) + 1)] = r.line + k
                    doubled.append(raw)
        (tmp_path / name).write_text("\n".join(doubled) + "\n")
        logs.append(parse_log(str(tmp_path / name), year=2012, keep_records=False))
        originals.append(parse_log(str(case / name), year=2012, keep_records=False))
    al = align(Dissector(str(case / "capture.pcap")).packets(), logs)
    base = align(Dissector(str(case / "capture.pcap")).packets(), originals)
    placed = {(frame, name): {line_of[(name, n)] for n in lines} for (frame, name), lines in _packet_lines_placed(al).items()}
    assert placed == _packet_lines_placed(base) == _packet_lines_of_truth(truth)
    assert len(al.matches) == len(base.matches) and not al.unmatched_events
    for c, b in zip(al.logs, base.logs):
        assert abs(c.offset - b.offset) < 1e-6


def test_an_ios_excerpt_without_its_show_output_speaks_for_its_router(tmp_path):
    """The seed's initiator log cut before its pasted ``show crypto ipsec sa`` (it ends at Tunnel23 up):
    IPSEC(create_sa)'s sa_dest names the router itself for its inbound SA, which is no peer: the log still
    speaks for 2001:db8::2 and every packet line matches as in the whole log."""
    case = CAPTURES / "seed-ios-ipv6"
    lines = (case / "initiator.log").read_text().splitlines(keepends=True)
    cut = next(n for n, line in enumerate(lines) if "show crypto ipsec sa" in line or "sh crypto ipsec sa" in line)
    assert any("create_sa" in line for line in lines[:cut])
    (tmp_path / "initiator.log").write_text("".join(lines[:cut]))
    whole = align(Dissector(str(case / "capture.pcap")).packets(), [parse_log(str(case / "initiator.log"), year=2012)])
    al = align(Dissector(str(case / "capture.pcap")).packets(), [parse_log(str(tmp_path / "initiator.log"), year=2012)])
    assert al.logs[0].address == whole.logs[0].address == "2001:db8::2"
    assert {(m.frame, m.event.record.line) for m in al.matches} == {(m.frame, m.event.record.line) for m in whole.matches}


# ---------------------------------------------------------------- logs of other sessions given with --log

SA_SETUP = PUBLIC / "tcpdump" / "ISAKMP_sa_setup.pcap"
needs_sa_setup = pytest.mark.skipif(not (SA_SETUP.exists() and SAMPLES.exists()),
                                    reason="../shared/public-captures/tcpdump or ../shared/debug-samples is not there")


def _partners(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for p in Dissector(str(path)).packets():
        if p.isakmp is not None:
            out.setdefault(p.datagram.src, set()).add(p.datagram.dst)
            out.setdefault(p.datagram.dst, set()).add(p.datagram.src)
    return out


@needs_sa_setup
@pytest.mark.parametrize("address", ["10.0.0.1", "10.0.0.2"])
def test_forced_logs_of_other_sessions_are_refused_with_their_findings(address):
    """User report 1: samples 13 (an ASA talking to 198.51.100.233), 04 (an ASA whose Quick Mode with 192.0.2.2
    failed; no packet line) and 14 (libreswan, AES-256/MODP2048) forced onto an endpoint of tcpdump's clean
    Main Mode + Quick Mode capture between 10.0.0.1 and 10.0.0.2 (AES-128, group 1): each is refused with
    the reason, matches nothing, and none of its findings (INVALID_COOKIE, retransmissions, proxy-ID
    mismatch) is reported against the capture."""
    from correlate import findings as F
    from correlate.timeline import build
    partners = _partners(SA_SETUP)
    wire = {t for ts in _phase1_transforms(SA_SETUP).values() for t in ts}
    assert partners == {"10.0.0.1": {"10.0.0.2"}, "10.0.0.2": {"10.0.0.1"}}
    assert {(t[1], t[2], t[3]) for t in wire} == {("AES-CBC", 128, 1)}
    for prefix, reason, codes in (
            ("13", f"the peer it names (198.51.100.233) is none of {address}'s peers in the capture",
             {"invalid-cookie", "retransmissions"}),
            ("04", "it has no packet line, and names no SPI or cookie of the capture", {"proxy-id-mismatch"}),
            ("14", "the ISAKMP policy it accepted (AES-CBC-256 SHA2-256 group 14) is in none of", set())):
        log = _sample(prefix)
        alone = {f.code for f in F.findings_from_log(log.events, log.records)}
        assert alone == codes, prefix
        tl = build(Dissector(str(SA_SETUP)), [log], addresses={address: log.name})
        clock = tl.alignment.logs[0]
        assert reason in clock.foreign, (prefix, clock.foreign)
        assert clock.address == address and clock.matched == 0 and not tl.alignment.matches
        assert not alone & {f.code for f in tl.findings}, prefix
        assert not any(ref.file == log.name for f in tl.findings for ref in f.log)
    said = [e.detail for e in _sample("14").events if e.kind == "sa_created" and e.detail.get("phase") == 1]
    assert [(d["cipher"], d["group"]) for d in said] == [("AES_CBC_256", "MODP2048")]


def _year_stamped(path: Path, year: int, dst: Path, lines: int | None = None) -> Path:
    """An IOS log with ``service timestamps debug datetime msec year`` stamps (``*Sep 21 2014 08:33:43.433``),
    its first ``lines`` lines only when given."""
    text = path.read_text().splitlines()[:lines]
    dst.write_text("\n".join(re.sub(r"^\*(\w{3} +\d+) ", rf"*\g<1> {year} ", line) for line in text) + "\n")
    return dst


def test_a_clock_months_off_needs_evidence_of_its_own_when_the_stamps_carry_a_year(tmp_path):
    """User report 1 (sample 13 at 719 days): the seed's initiator log with the year 2014 in its stamps, against
    the 2012 capture: whole, its Quick Mode message ID is the capture's, so it matches as without the year
    (the router's clock is wrong, a note says); cut to its first packet line (MM4 received, no message ID
    of its own), 730 days are no evidence and it is refused; with the capture's year it is matched."""
    case = CAPTURES / "seed-ios-ipv6"
    truth = _truth("seed-ios-ipv6")
    mid = int(truth["quick_mode_message_ids"][0], 16)
    base = align(Dissector(str(case / "capture.pcap")).packets(),
                 [parse_log(str(case / "initiator.log"), year=2012, keep_records=False)])
    whole = parse_log(str(_year_stamped(case / "initiator.log", 2014, tmp_path / "whole.log")), keep_records=False)
    al = align(Dissector(str(case / "capture.pcap")).packets(), [whole])
    clock = al.logs[0]
    assert not clock.foreign and clock.matched == base.logs[0].matched > 0
    assert clock.offset - base.logs[0].offset == pytest.approx(730 * 86400, abs=0.01)
    assert any("its stamps carry their year (2014), and its clock is 730 days ahead" in n
               and f"message ID ({mid} = 0x{mid:08X})" in n for n in clock.notes)
    cut = 30   # the MM4 block: its packet line and what processed it
    assert "1371333358" not in "".join((case / "initiator.log").read_text().splitlines()[:cut])
    for year, refused in ((2014, True), (2012, False)):
        log = parse_log(str(_year_stamped(case / "initiator.log", year, tmp_path / f"{year}.log", cut)),
                        keep_records=False)
        clock = align(Dissector(str(case / "capture.pcap")).packets(), [log]).logs[0]
        assert bool(clock.foreign) == refused, (year, clock.foreign)
        if refused:
            assert "its stamps carry their year (2014), and its clock would be 730 days ahead" in clock.foreign
        else:
            assert clock.matched == 1


def test_its_own_address_is_no_peer_of_a_log():
    """User report 3: the seed's initiator log names 2001:db8::2 as its own (``show crypto ipsec sa``'s local
    addr), so its only peer is 2001:db8::3; given 2001:db8::99 (no endpoint of the capture), the log speaks
    for the address it names as its own and is not refused."""
    case = CAPTURES / "seed-ios-ipv6"
    log = parse_log(str(case / "initiator.log"), year=2012, keep_records=False)
    assert "2001:db8::2" in {e.local for e in log.events}
    clock = align(Dissector(str(case / "capture.pcap")).packets(), [log], addresses={"2001:db8::99": log.name}).logs[0]
    assert clock.peers == ["2001:db8::3"]
    assert (clock.address, clock.assigned_by, clock.foreign) == ("2001:db8::2", "local address", "")


# ---------------------------------------------------------------- one file of both IOS routers (correlate.split)

def _both_ios(interleave: bool) -> str:
    """The seed's two IOS logs in one file: one after the other (``cat``), or their records merged by stamp
    (a stable sort; a record without a stamp keeps its place after the one before it)."""
    from correlate.records import split_records
    records = []
    for k, name in enumerate(("initiator.log", "responder.log")):
        t = 0.0
        for r in split_records((CAPTURES / "seed-ios-ipv6" / name).read_text().splitlines(), name, year=2012):
            t = r.time.timestamp() if r.time is not None else t
            records.append((t if interleave else k, k, r.line, r.raw))
    records.sort(key=lambda x: x[:3])
    return "\n".join(line for *_key, raw in records for line in raw) + "\n"


def _event_texts(events) -> list[tuple]:
    return sorted((e.kind, e.record.time_text, e.record.text) for e in events)


@pytest.mark.parametrize("interleave", [False, True])
def test_one_file_of_both_ios_routers_is_split_per_router(interleave):
    """User report 2: IOS packet lines name their peer only; the parts are each router's own lines (as in
    its own file, every event), and line up as the two logs do."""
    from correlate.split import split_log
    case = CAPTURES / "seed-ios-ipv6"
    separate = [parse_log(str(case / n), year=2012, keep_records=False) for n in ("initiator.log", "responder.log")]
    s = split_log(parse_log_text(_both_ios(interleave), "both.log", year=2012))
    assert s.by == "peer", s.note
    assert "holds two routers' lines (2001:db8::2 and 2001:db8::3" in s.note and "left out" not in s.note
    parts = {p.name: p for p in s.parts}
    assert set(parts) == {"both.log[2001:db8::2]", "both.log[2001:db8::3]"}
    assert _event_texts(parts["both.log[2001:db8::2]"].events) == _event_texts(separate[0].events)
    assert _event_texts(parts["both.log[2001:db8::3]"].events) == _event_texts(separate[1].events)
    al = align(Dissector(str(case / "capture.pcap")).packets(), s.parts)
    base = align(Dissector(str(case / "capture.pcap")).packets(), separate)
    assert sorted(c.address for c in al.logs) == ["2001:db8::2", "2001:db8::3"]
    assert not any(c.foreign for c in al.logs)
    got = sorted((m.frame, m.event.record.text) for m in al.matches)
    assert got == sorted((m.frame, m.event.record.text) for m in base.matches) and got


def test_one_file_of_both_ios_routers_given_whole_is_said_so():
    """Not split (the library's caller gave it whole): not "it speaks for the other end", but that it holds
    two routers' lines."""
    case = CAPTURES / "seed-ios-ipv6"
    log = parse_log_text(_both_ios(False), "both.log", year=2012)
    for address in ("2001:db8::2", "2001:db8::3"):
        clock = align(Dissector(str(case / "capture.pcap")).packets(), [log], addresses={address: log.name}).logs[0]
        assert clock.foreign.startswith("it holds two routers' lines and cannot be split"), clock.foreign
        assert clock.matched == 0


def test_both_ios_routers_record_by_record_cannot_be_split():
    """The seed's two IOS logs merged record by record (one of each in turn, as no real clock writes them):
    lines that parse a message sit between the other router's, with one conn-id (1011) on both, so the
    file is not split and the note says why; lined up whole, it is said to hold two routers' lines."""
    from itertools import zip_longest

    from correlate.records import split_records
    case = CAPTURES / "seed-ios-ipv6"
    records = [list(split_records((case / n).read_text().splitlines(), n, year=2012))
               for n in ("initiator.log", "responder.log")]
    text = "\n".join(line for pair in zip_longest(*records) for r in pair if r for line in r.raw) + "\n"
    log = parse_log_text(text, "turns.log", year=2012)
    assert {e.conn_id for e in log.events if e.kind == "packet"} >= {1011}
    from correlate.split import split_log
    s = split_log(log)
    assert not s.parts and s.by == ""
    assert "holds two routers' lines (2001:db8::2 and 2001:db8::3" in s.note and "cannot be split" in s.note
    clock = align(Dissector(str(case / "capture.pcap")).packets(), [log]).logs[0]
    assert clock.foreign.startswith("it holds two routers' lines and cannot be split")
    assert not any("does not belong" in n for n in clock.notes)


def _merged_with_origin(case: str) -> tuple[str, list[tuple[str, int]]]:
    """:func:`_merged` of ``case`` and, per line of it, the log and line number it came from."""
    lines = [(line, side, n) for side in SIDES
             for n, line in enumerate((CAPTURES / case / f"{side}.log").read_text().splitlines(), 1)]
    lines.sort(key=lambda t: t[0].split()[:3])
    return "\n".join(t[0] for t in lines) + "\n", [(side, n) for _line, side, n in lines]


@pytest.mark.parametrize("case", [c for c in CASES if all((CAPTURES / c / f"{s}.log").exists() for s in SIDES)])
def test_one_file_of_both_gateways_puts_each_line_where_its_own_log_has_it(case):
    """Both gateways' charon logs merged by stamp (same thread numbers, same ``<lab|1>`` tag on both): each
    part holds exactly the events its gateway's own log gives, line for line, and nothing is left out."""
    from correlate.split import split_log
    text, origin = _merged_with_origin(case)
    s = split_log(parse_log_text(text, "both.log"))
    assert s.by == "address", s.note
    assert "left out" not in s.note, s.note
    own = {side: sorted((e.record.line, e.kind, e.record.text)
                        for e in parse_log(str(CAPTURES / case / f"{side}.log")).events) for side in SIDES}
    by_side = {}
    for part in s.parts:
        got = sorted((origin[e.record.line - 1][1], e.kind, e.record.text) for e in part.events)
        sides = {origin[e.record.line - 1][0] for e in part.events}
        assert len(sides) == 1, (part.name, sides)
        by_side[sides.pop()] = got
    assert by_side == own

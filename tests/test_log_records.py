"""Log text to records (correlate.records, correlate.timestamps) on the real logs: the seed, the public
debug samples and the lab's charon logs.  Every physical line belongs to exactly one record; hard-wrapped
lines are joined; the stamps read as they were written."""
from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CAPTURES, REPO, SHARED
from correlate.logparse import parse_log, parse_log_bytes
from correlate.records import split_records
from correlate.timestamps import parse_tz, split_stamp

SEED = SHARED / "seed" / "000_e6e02144db6ec5bf.txt"
SAMPLES = SHARED / "debug-samples"


def _records(path: Path, **kw):
    return list(split_records(path.read_text(errors="replace").splitlines(), path.name, **kw))


def _logs() -> list[Path]:
    found = sorted(CAPTURES.glob("*/left.log")) + sorted(CAPTURES.glob("*/right.log"))
    if SAMPLES.is_dir():
        found += sorted(p for p in SAMPLES.glob("*.txt"))
    if SEED.exists():
        found.append(SEED)
    return found


@pytest.mark.parametrize("path", _logs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_line_in_exactly_one_record(path):
    lines = path.read_text(errors="replace").splitlines()
    records = _records(path, year=2026)
    covered = [n for r in records for n in range(r.line, r.last_line + 1)]
    assert covered == list(range(1, len(lines) + 1))
    assert all(len(r.raw) == r.last_line - r.line + 1 for r in records)


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared is beside the repository in CI)")
    return path


def test_seed_wrapped_records_joined():
    records = {r.line: r for r in _records(_require(SEED), year=2026)}
    first = records[164]  # "*Sep 21 08:33:43.433: ISAKMP (1011): received packet from 2001: DB8::2 dport" / "500 sport ..."
    assert (first.last_line, first.family) == (165, "ios")
    assert first.text == "ISAKMP (1011): received packet from 2001: DB8::2 dport 500 sport 500 Global (R) QM_IDLE"
    assert first.time == dt.datetime(2026, 9, 21, 8, 33, 43, 433000) and first.time_text == "*Sep 21 08:33:43.433"
    assert records[167].text == "ISAKMP: (1011): processing HASH payload. message ID = 1371333358"
    ipsec = records[183]  # IPSEC(validate_proposal_request) and its six unstamped lines
    assert ipsec.last_line == 189 and ipsec.text.endswith("spi= 0x0(0), conn_id= 0, keysize= 128, flags= 0x0")
    # the document's prose and fences are records of their own, not joined to the debug
    assert records[161].family == "" and records[163].text == "```"


def test_sample_07_sequence_numbers_gmt_and_document_wrapping():
    path = _require(SAMPLES / "07-ios-ikev2-cert-verify-fail-seqno-gmt-wrapped.txt")
    records = _records(path, year=2026)
    first = records[0]
    assert (first.line, first.last_line, first.seq) == (1, 2, 2328304)
    assert first.time == dt.datetime(2026, 6, 8, 19, 14, 38, 51000, tzinfo=dt.timezone.utc)
    assert first.text == "IKEv2:(SESSION ID = 14607,SA ID = 68): Get peer's authentication method"
    assert all(r.time is not None and r.time.utcoffset() == dt.timedelta(0) for r in records)


def test_sample_13_asa_stamps_with_year_then_console_without():
    path = _require(SAMPLES / "13-asa804-syslog-year-mm-wait-msg4-invalid-cookie.txt")
    records = [r for r in _records(path, year=2026) if r.family != "blank"]
    assert records[0].time == dt.datetime(2010, 6, 10, 17, 36, 5) and records[0].family == "asa"
    last = records[-1]  # the console form, without the year: it takes the year the lines before it wrote
    assert last.time == dt.datetime(2010, 6, 10, 17, 36, 13) and last.time_text.startswith("Jun 10 17:36:13")
    zoned = [r for r in _records(path, year=2026, tz=parse_tz("UTC")) if r.family != "blank"]
    assert zoned[-1].time == dt.datetime(2010, 6, 10, 17, 36, 13, tzinfo=dt.timezone(dt.timedelta(0), "UTC"))
    # a log that never writes its year takes --year
    no_year = _require(SAMPLES / "04-asa-ikev1-syslog-qm-crypto-map-policy-not-found.txt")
    assert {r.time.year for r in _records(no_year, year=2016) if r.time} == {2016}


def test_lab_charon_log_stamps_and_family():
    path = CAPTURES / "v4-natt" / "left.log"
    records = [r for r in _records(path, year=2026) if r.family != "blank"]
    assert {r.family for r in records} == {"strongswan"}
    # "Nov 29 13:45:14.429 14[IKE] <lab|1> generating ID_PROT request 0 [ SA V V V V V ]" (truth.json frame 1)
    line = next(r for r in records if r.line == 523)
    assert line.time == dt.datetime(2026, 11, 29, 13, 45, 14, 429000)
    assert "generating ID_PROT request 0 [ SA V V V V V ]" in line.text


def test_stamp_forms():
    """The forms the samples use, and those the issue names (uptime, syslog servers, zones)."""
    cases = {
        "*Sep 21 08:33:43.433: ISAKMP: x": (dt.datetime(2026, 9, 21, 8, 33, 43, 433000), None),
        ".Sep 21 08:33:43: ISAKMP: x": (dt.datetime(2026, 9, 21, 8, 33, 43), None),
        "Sep 21 2025 08:33:43.433 CET: ISAKMP: x": (dt.datetime(2025, 9, 21, 8, 33, 43, 433000,
                                                                 tzinfo=dt.timezone(dt.timedelta(hours=1))), None),
        "000123: 00:27:07: %SYS-5-CONFIG_I": (None, 27 * 60 + 7),
        "1w2d: %LINK-3-UPDOWN": (None, 9 * 86400),
        "<189>1 2026-09-21T08:33:43.433+02:00 r1 - - - - ISAKMP: x": (
            dt.datetime(2026, 9, 21, 8, 33, 43, 433000, tzinfo=dt.timezone(dt.timedelta(hours=2))), None),
    }
    for line, (time, uptime) in cases.items():
        st = split_stamp(line, 2026)
        assert st is not None and st.time == time and st.uptime == uptime, line
    relayed = "<189>Sep 21 08:33:44 r1 123: *Sep 21 08:33:43.433: ISAKMP: x"
    (r,) = list(split_records([relayed], "s", 2026))
    assert (r.host, r.time, r.text) == ("r1", dt.datetime(2026, 9, 21, 8, 33, 43, 433000), "ISAKMP: x")
    with pytest.raises(ValueError):
        split_stamp("*Feb 30 08:33:43.433: ISAKMP: x", 2026)
    assert parse_tz("Europe/Berlin") is not None and parse_tz("+05:30").utcoffset(None) == dt.timedelta(hours=5.5)


def test_bad_input_is_said_and_kept(tmp_path):
    junk = parse_log_bytes(b"\x00\x01ISAKMP: (1011):atts are acceptable.\n\x7fELF\x00", "junk")
    assert any("binary data" in p for p in junk.problems)
    assert any(r.family == "ios" and r.text.startswith("ISAKMP: (1011):atts are acceptable.") for r in junk.records)
    assert parse_log_bytes(b"", "empty").problems == ["empty: empty, no log records"]
    prose = parse_log_bytes(b"hello\nworld\n", "prose")
    assert "no line in a known log format" in prose.problems[0] and len(prose.records) == 1
    bad_stamp = parse_log_bytes(b"*Feb 30 08:33:43.433: ISAKMP: (1011):atts are acceptable.\n", "b")
    assert bad_stamp.problems[0].startswith("b:1: the time stamp does not read")
    assert bad_stamp.records[0].time is None
    r = subprocess.run([sys.executable, "-m", "cli.main", "log", str(tmp_path / "missing.txt")], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot read the log" in r.stderr


def _fold(text: str, width: int) -> str:
    """What `fold -w WIDTH` does: every line cut into pieces of WIDTH characters, mid-word."""
    return "\n".join(line[i:i + width] if line else "" for line in text.splitlines()
                     for i in range(0, max(len(line), 1), width)) + "\n"


def _packets(result):
    return [(e.direction, e.peer, e.peer_port, e.local_port, e.message_id, e.bytes, e.record.time)
            for e in result.events if e.kind == "packet"]


@pytest.mark.parametrize("path", _logs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fold_width_only_for_folded_logs(path):
    from correlate.records import fold_width
    from correlate.timestamps import starts_with_stamp
    text = path.read_text(errors="replace")
    assert fold_width(text.splitlines())[1] == 0  # no real log is taken for a folded one
    for width in (60, 80):
        folded = _fold(text, width)
        # (log lines cut: the seed document's own log lines are wrapped at 80, and only its prose is longer)
        if sum(len(line) > width and starts_with_stamp(line) for line in text.splitlines()) >= 3:
            assert fold_width(folded.splitlines())[1] == width


@pytest.mark.parametrize("path", _logs(), ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("width", [60, 80])
def test_folded_mid_word_logs_keep_their_packets(path, width):
    """A log cut mid-word at a fixed width (`fold -w`): the pieces are joined where the cut was, so
    every packet event (direction, peer, ports, message ID, bytes, time) is the one of the whole lines."""
    from correlate.logparse import parse_log_text
    text = path.read_text(errors="replace")
    whole = parse_log_text(text, path.name, 2026)
    folded = parse_log_text(_fold(text, width), path.name, 2026)
    assert _packets(folded) == _packets(whole)
    assert [e.spi for e in folded.events if e.spi] == [e.spi for e in whole.events if e.spi]


@pytest.mark.parametrize("path", _logs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_word_wrapped_logs_keep_their_packets(path):
    """A log wrapped at word boundaries at 80 columns (a ticket system, a terminal: the word that does not fit
    goes to the next line, some lines happen to end at the column itself) is no log cut mid-word: its pieces
    are joined with a blank, so every packet event is the one of the whole lines."""
    import textwrap
    from correlate.logparse import parse_log_text
    from correlate.records import fold_width
    text = path.read_text(errors="replace")
    wrapped = "\n".join(piece for line in text.splitlines()
                        for piece in (textwrap.wrap(line, 80, break_long_words=False, break_on_hyphens=False)
                                      or [""])) + "\n"
    assert fold_width(wrapped.splitlines())[1] == 0
    whole = parse_log_text(text, path.name, 2026)
    assert _packets(parse_log_text(wrapped, path.name, 2026)) == _packets(whole)


def test_a_log_over_new_year_takes_the_next_year():
    """Stamps without a year that fall months before the last one went over New Year (charon, IOS, ASA)."""
    text = ("Dec 31 23:59:59.100 14[NET] <lab|1> sending packet: from 192.0.2.2[500] to 192.0.2.3[500] (184 bytes)\n"
            "Jan  1 00:00:00.200 14[NET] <lab|1> received packet: from 192.0.2.3[500] to 192.0.2.2[500] (164 bytes)\n"
            "*Jan  1 00:00:01.300: ISAKMP (0): received packet from 192.0.2.3 dport 500 sport 500 Global (I) "
            "MM_SA_SETUP\n"
            "Jan 1 00:00:02 [IKEv1]: IP = 192.0.2.3, IKE_DECODE RECEIVED Message (msgid=0) with payloads : HDR + "
            "KE (4) + NONCE (10) total length : 256\n")
    records = list(split_records(text.splitlines(), "x", 2026))
    assert [r.time for r in records] == [dt.datetime(2026, 12, 31, 23, 59, 59, 100000),
                                         dt.datetime(2027, 1, 1, 0, 0, 0, 200000),
                                         dt.datetime(2027, 1, 1, 0, 0, 1, 300000), dt.datetime(2027, 1, 1, 0, 0, 2)]


def test_a_stamp_that_is_no_date_keeps_its_record_and_events():
    """`*Sep 41 ...`: said once, and the record after the stamp still gives its packet event."""
    path = CAPTURES / "seed-ios-ipv6" / "initiator.log"
    text = path.read_text()
    broken = text.replace("*Sep 21 08:33:43.273: ISAKMP (0): received", "*Sep 41 08:33:43.273: ISAKMP (0): received", 1)
    whole, bad = parse_log_bytes(text.encode(), "x", 2012), parse_log_bytes(broken.encode(), "x", 2012)
    packets = [(e.record.line, e.direction, e.peer) for e in whole.events if e.kind == "packet"]
    assert [(e.record.line, e.direction, e.peer) for e in bad.events if e.kind == "packet"] == packets
    assert len(bad.problems) == 1 and bad.problems[0].startswith("x:1: the time stamp does not read")
    assert bad.records[0].time is None and (bad.records[0].line, bad.records[0].last_line) == (1, 2)


def _data_logs() -> list[Path]:
    """Logs that are in the repository: the lab cases' charon logs, the seed's IOS logs, the samples' copies."""
    return (sorted(CAPTURES.glob("*/*.log")) + sorted((REPO / "tests" / "data").rglob("*.txt")))


@pytest.mark.parametrize("path", _data_logs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_parsing_makes_no_reference_cycle(path):
    """parse_log_text keeps the cyclic collector off while it reads and freezes a large log's objects
    after (logparse.py says why): that is sound only if no parser makes a reference cycle, so that
    reference counting frees every record and event, as here: nothing is left for the collector."""
    import gc
    gc.collect()
    gc.disable()
    try:
        result = parse_log(str(path), year=2026)
        assert result.record_count > 0
        del result
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_nul_bytes_after_the_first_64k_are_said_and_removed():
    """A lab log with two NUL bytes put into a packet line past its first 64 KiB: said once with that line,
    and the line still gives its packet event (the same events as the clean log)."""
    path = CAPTURES / "v4-natt" / "left.log"
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    at = next(n for n, line in enumerate(lines) if b"sending packet" in line and sum(map(len, lines[:n])) > 65536)
    lines[at] = lines[at][:10] + b"\x00\x00" + lines[at][10:]
    dirty = parse_log_bytes(b"\n".join(lines), "dirty.log", year=2026)
    clean = parse_log_bytes(raw, "dirty.log", year=2026)
    assert dirty.problems == [f"dirty.log:{at + 1}: NUL bytes (binary data inside the log), the first on this line; "
                              "they are removed and the text around them read"]
    assert [e.to_dict() for e in dirty.events] == [e.to_dict() for e in clean.events]

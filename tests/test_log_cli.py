"""``ikescope log`` as a user runs it: the table, ``--json`` (the fields the README documents), ``--all``,
``--year``/``--tz``, and bad input (one line, the rest still read, the documented exit code)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import CAPTURES, REPO, SHARED

SEED = SHARED / "seed" / "000_e6e02144db6ec5bf.txt"
FIELDS = {"file", "line", "last_line", "time", "kind", "direction", "peer", "peer_port", "local_port", "bytes",
          "message_id", "conn_id", "spi", "text"}


def log(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "log", *map(str, args)], cwd=REPO, capture_output=True,
                          input=stdin, timeout=120)


def _seed():
    if not SEED.exists():
        pytest.skip(f"{SEED} is not present (../shared is beside the repository in CI)")
    return SEED


def test_json_fields_and_the_seed_story():
    r = log(_seed(), "--json", "--year", "2013", "--tz", "UTC")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert events and all(FIELDS <= set(e) for e in events)
    packets = [e for e in events if e["kind"] == "packet"]
    assert {(e["direction"], e["peer"], e["peer_port"]) for e in packets} <= {
        ("in", "2001:db8::2", 500), ("in", "2001:db8::3", 500), ("out", "2001:db8::2", 500),
        ("out", "2001:db8::3", 500)}
    assert {e["peer"] for e in packets} == {"2001:db8::2", "2001:db8::3"}
    assert 1371333358 in {e["message_id"] for e in events}
    created = [e for e in events if e["kind"] == "sa_created" and e["facility"] == "IPSEC"]
    assert {e["spi"] for e in created} == {0x45F16A9A, 0x221A7153}
    # "*Sep 21 08:33:43.433:" with --year 2013 --tz UTC
    assert packets[0]["time"] == "2013-09-21T08:33:43.433000+00:00"
    states = [e["state"] for e in events if e["kind"] == "state"]
    assert "IKE_P1_COMPLETE" in states and "IKE_QM_PHASE2_COMPLETE" in states
    # every event cites its record's lines, and the record's text is the joined one
    first = packets[0]
    assert first["last_line"] == first["line"] + 1 and first["text"].endswith("Global (R) QM_IDLE")


def test_all_keeps_records_without_events():
    plain = log(_seed(), "--json", "--year", "2013")
    every = log(_seed(), "--json", "--year", "2013", "--all")
    events = [json.loads(line) for line in plain.stdout.splitlines()]
    rows = [json.loads(line) for line in every.stdout.splitlines()]
    records = [row for row in rows if row["kind"] == "record"]
    assert records and len(rows) == len(events) + len(records)
    assert any(row["text"].startswith("## ") for row in records)  # the document's headings are kept
    table = log(_seed(), "--all").stdout.decode()
    assert "Дополнительные сведения" in table and "records," in table.splitlines()[-1]


def test_lab_log_table():
    r = log(CAPTURES / "v4-natt" / "left.log", "--year", "2026")
    assert r.returncode == 0
    text = r.stdout.decode()
    assert text.count("packet ") >= 11 and "strongswan" in text.splitlines()[-1]


def test_bad_input():
    r = log("-", stdin=b"\x00\x01\x02binary junk\x00")
    assert r.returncode == 1 and b"binary data" in r.stderr
    r = log("-", stdin=b"")
    assert r.returncode == 1 and b"empty, no log records" in r.stderr
    r = log(CAPTURES / "v4-natt" / "capture.pcap")
    assert r.returncode == 1 and b"Traceback" not in r.stderr
    r = log(CAPTURES / "v4-natt" / "left.log", "--tz", "Mars/Olympus")
    assert r.returncode == 2 and r.stderr.count(b"\n") == 1
    r = log(CAPTURES / "no-such.log", CAPTURES / "v4-natt" / "left.log")
    assert r.returncode == 2 and b"cannot read the log" in r.stderr and r.stdout  # the other file is still read
    for bad in (["--tz", "+25:00"], ["--year", "0"], ["--year", "10000"]):
        r = log(CAPTURES / "v4-natt" / "left.log", *bad)
        assert r.returncode == 2 and r.stderr.count(b"\n") == 1 and b"Traceback" not in r.stderr, bad


def _fold(text: str, width: int = 60) -> str:
    """What `fold -w 60` does to a log pasted into a narrow ticket: every line cut every 60 characters."""
    return "\n".join(line[i:i + width] if line else "" for line in text.splitlines()
                     for i in range(0, max(len(line), 1), width)) + "\n"


def test_no_key_bytes_in_a_folded_charon_log():
    """A loglevel-4 log cut at 60 columns: a dump's rows no longer look like rows, and still stay out of
    every event and record text (README: key dumps never show their bytes)."""
    truth = json.loads((CAPTURES / "v4-natt" / "truth.json").read_text())
    folded = _fold((CAPTURES / "v4-natt" / "right.log").read_text())
    r = log("-", "--json", "--all", stdin=folded.encode())
    out = r.stdout.decode()
    for name in ("SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", "g_xy"):
        v = truth[name].upper()
        for i in range(0, len(v) - 8, 2):  # any 4 bytes of it, as the dump writes them ("3D CD 8B AD")
            assert " ".join(v[j:j + 2] for j in range(i, i + 8, 2)) not in out, name


def test_syslog_header_on_every_line_keeps_wrapped_records():
    """A syslog server that put its header on each physical line of the seed: the same packet events."""
    text = _seed().read_text()
    relayed = "".join(f"<189>Sep 21 08:33:44 r1 123: {line}\n" if line.strip() else "\n" for line in text.splitlines())
    plain = [json.loads(x) for x in log(_seed(), "--json", "--year", "2013").stdout.splitlines()]
    again = [json.loads(x) for x in log("-", "--json", "--year", "2013", stdin=relayed.encode()).stdout.splitlines()]
    key = lambda e: (e["direction"], e["peer"], e["peer_port"], e["message_id"])  # noqa: E731
    assert sorted(map(key, (e for e in again if e["kind"] == "packet"))) == \
        sorted(map(key, (e for e in plain if e["kind"] == "packet")))
    assert {e["spi"] for e in again if e["kind"] == "sa_created"} >= {0x45F16A9A, 0x221A7153}


@pytest.mark.parametrize("prefix", [
    "2012-09-21T08:33:44.000+00:00 10.0.0.1 4711: ",  # rsyslog's RFC 3339 stamp, host, the device's sequence number
    "Sep 21 08:33:44 10.0.0.1 ",                      # a syslog header with a host and no tag
    "2012-09-21 08:33:44\tLocal7.Debug\t10.0.0.1\t4711: ",  # Kiwi Syslog (Windows), tab-separated
    "2012-09-21 08:33:44,Local7.Debug,10.0.0.1,4711: ",      # the same, comma-separated
])
def test_syslog_server_headers_before_the_routers_lines(prefix):
    """The bundled seed log with a syslog server's header before each record (on its first physical line):
    the same packet events as without it."""
    text = (CAPTURES / "seed-ios-ipv6" / "initiator.log").read_text()
    relayed = "".join(f"{prefix}{line}\n" if line.startswith("*") else f"{line}\n" for line in text.splitlines())
    plain = [json.loads(x) for x in log(CAPTURES / "seed-ios-ipv6" / "initiator.log", "--json", "--year", "2012")
             .stdout.splitlines()]
    r = log("-", "--json", "--year", "2012", stdin=relayed.encode())
    assert r.returncode == 0, r.stderr
    again = [json.loads(x) for x in r.stdout.splitlines()]
    key = lambda e: (e["direction"], e["peer"], e["peer_port"], e["message_id"])  # noqa: E731
    assert [key(e) for e in again if e["kind"] == "packet"] == [key(e) for e in plain if e["kind"] == "packet"] != []
    assert {e.get("host") for e in again if e["kind"] == "packet"} == {"10.0.0.1"}


def test_stamps_with_a_utc_offset_zone_and_an_unknown_zone():
    """``GMT+2`` in a stamp is read as +02:00; a zone ikescope does not know is said once, with what to give."""
    text = (CAPTURES / "seed-ios-ipv6" / "initiator.log").read_text()
    gmt = text.replace("08:33:43.", "10:33:43.").replace(".273: ", ".273 GMT+2: ")
    r = log("-", "--json", "--year", "2012", stdin=gmt.encode())
    first = json.loads(r.stdout.splitlines()[0])
    assert first["time"] == "2012-09-21T10:33:43.273000+02:00" and r.returncode == 0, r.stderr
    odd = text.replace(".273: ", ".273 XYZ: ")
    r = log("-", "--json", "--year", "2012", stdin=odd.encode())
    assert r.returncode == 1
    assert r.stderr.decode().splitlines() == ["ikescope: standard input:1: time zone 'XYZ' of the stamps is not known: "
                                              "they are read without a zone; give --tz with its UTC offset (--tz=+01:00)"]


def test_a_zone_west_of_utc_given_after_a_blank():
    """``--tz -08:00`` (not only ``--tz=-08:00``): the value of --tz, not an option."""
    r = log(CAPTURES / "seed-ios-ipv6" / "initiator.log", "--json", "--year", "2012", "--tz", "-08:00")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[0])["time"].endswith("-08:00")


def test_utf16_logs_read_as_text():
    """PowerShell's `>` writes UTF-16 (with a BOM): the same events as the UTF-8 log, and no complaint."""
    path = CAPTURES / "v6-aggressive" / "right.log"
    text = path.read_text()
    plain = log("-", "--json", stdin=text.encode())
    for encoding in ("utf-16", "utf-16-le", "utf-16-be"):
        r = log("-", "--json", stdin=text.replace("\n", "\r\n").encode(encoding))
        assert r.returncode == plain.returncode == 0, (encoding, r.stderr)
        assert r.stdout == plain.stdout, encoding


def test_invalid_utf8_is_said_once_with_its_line():
    path = CAPTURES / "v6-aggressive" / "right.log"
    lines = path.read_bytes().split(b"\n")
    lines[40] = lines[40] + b" \xe9\xff"
    lines[50] = lines[50] + b" \xe9"
    r = log("-", "--json", stdin=b"\n".join(lines))
    assert r.returncode == 1
    said = r.stderr.decode().splitlines()
    assert said == ["ikescope: standard input:41: bytes that are not UTF-8 on 2 lines, the first on this one; each "
                    "is read as U+FFFD"]
    assert len(r.stdout.splitlines()) == len(log(path, "--json").stdout.splitlines())


def test_invalid_utf8_that_breaks_a_packet_lines_stamp_is_said_with_that_line():
    """A byte that is not UTF-8 inside a packet line's stamp: the line loses its stamp (and joins the record
    before it), so its packet event is gone; the one problem line names it."""
    path = CAPTURES / "v6-aggressive" / "right.log"
    lines = path.read_bytes().split(b"\n")
    n = next(i for i, line in enumerate(lines) if b"sending packet: from" in line and b"bytes)" in line)
    lines[n] = lines[n][:3] + b"\xff" + lines[n][4:]  # "Nov\xff29 ..."
    r = log("-", "--json", stdin=b"\n".join(lines))
    assert r.returncode == 1
    assert r.stderr.decode().splitlines() == [
        f"ikescope: standard input:{n + 1}: bytes that are not UTF-8, the first on this line; each is read as "
        f"U+FFFD; some are where a time stamp is (line {n + 1}): a line whose stamp they break is read as part of "
        "the record before it"]
    packets = [e for e in map(json.loads, r.stdout.splitlines()) if e.get("kind") == "packet"]
    plain = [e for e in map(json.loads, log(path, "--json").stdout.splitlines()) if e.get("kind") == "packet"]
    assert len(packets) == len(plain) - 1


def test_a_last_line_cut_short_is_said():
    """A log whose last line was cut mid-way (no line end, and it gives no event) is said to be cut short; the
    same line with its line end, or a whole last line without one, is not."""
    path = CAPTURES / "v6-aggressive" / "right.log"
    lines = path.read_bytes().split(b"\n")
    n = next(i for i, line in enumerate(lines) if b"sending packet: from" in line and b"bytes)" in line)
    cut = b"\n".join(lines[:n] + [lines[n][:60]])
    r = log("-", "--json", stdin=cut)
    assert r.stderr.decode().splitlines() == [
        f"ikescope: standard input:{n + 1}: the last line has no line end and gives no event: the log may be cut "
        "short there (what it holds is read as far as it goes)"]
    assert r.returncode == 1
    for whole in (cut + b"\n", b"\n".join(lines[:n + 1])):
        r = log("-", "--json", stdin=whole)
        assert r.returncode == 0 and not r.stderr, r.stderr
    # cut inside its byte count: the line still reads (as the socket thread's copy), but a bracket is open
    at = lines[n].rindex(b"(") + 2
    r = log("-", "--json", stdin=b"\n".join(lines[:n] + [lines[n][:at]]))
    assert r.stderr.decode().splitlines() == [
        f"ikescope: standard input:{n + 1}: the last line has no line end and leaves a bracket open: the log may be "
        "cut short there (what it holds is read as far as it goes)"]


def test_table_brackets_ipv6_endpoints_and_keeps_the_stamps_resolution():
    r = log(CAPTURES / "v6-aggressive" / "left.log")
    first = next(line for line in r.stdout.decode().splitlines() if " packet " in line)
    assert "[2001:db8::3]:500" in first and "Nov 29 13:45:" in first
    asa = SHARED / "debug-samples" / "13-asa804-syslog-year-mm-wait-msg4-invalid-cookie.txt"
    if asa.exists():  # ASA stamps have whole seconds: no ".000"
        rows = log(asa).stdout.decode().splitlines()
        assert any("Jun 10 17:36:05 " in row for row in rows) and not any("17:36:05.000" in row for row in rows)


def test_cr_only_line_ends_read_as_lines():
    """A log saved with old Mac line ends (CR only): the same events as with LF."""
    text = (CAPTURES / "v6-aggressive" / "right.log").read_bytes()
    plain = log("-", "--json", stdin=text)
    r = log("-", "--json", stdin=text.replace(b"\n", b"\r"))
    assert r.returncode == plain.returncode == 0 and r.stdout == plain.stdout

"""The ``--json`` schema, ``-V`` and the list view on a real lab capture, checked against its truth.

captures/v6-aes128-sha1-modp1024/ is a strongSwan IPv6 Main Mode (PSK,
aes128-sha1-modp1024) run: ``truth.json`` holds, per frame, what the lab
recorded (time, addresses, ports, cookies, exchange, message ID, label, ESP
SPI/sequence, the strongSwan log line that generated or parsed it), plus the
negotiated algorithms, KE values and nonces taken from the daemons' logs;
``oracle.txt`` is ``tshark -V`` of the capture with the keys loaded.  All
expected values below come from those files (or from the RFC numbers of the
algorithms truth.json names), not from ikescope's own output.

Fields that are only visible after decryption in that capture (ID, N) are
checked on the two other lab captures where they are in clear: the Aggressive
Mode run (IDs in AM1/AM2) and the IKEv2 run (notifies in IKE_SA_INIT).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CAPTURES, REPO

CASE_DIR = CAPTURES / "v6-aes128-sha1-modp1024"
CASE = CASE_DIR / "capture.pcap"
HEX16 = re.compile(r"^[0-9a-f]{16}$")

#: strongSwan's payload abbreviations (log lines "generating ID_PROT request 0 [ SA V V ]") -> ikescope's
#: short payload names (README, "JSON output").
STRONGSWAN_PAYLOADS = {"SA": "SA", "V": "VID", "KE": "KE", "No": "NONCE", "NAT-D": "NAT-D", "ID": "ID",
                       "HASH": "HASH", "N": "N", "D": "D"}
#: ISAKMP payload numbers of the same (RFC 2408 §3.1, RFC 3947 §3.2)
PAYLOAD_NUMBERS = {"SA": 1, "KE": 4, "ID": 5, "HASH": 8, "NONCE": 10, "N": 11, "D": 12, "VID": 13, "NAT-D": 20}
#: truth.json algorithm names -> RFC 2409 Appendix A numbers and Wireshark's value names
CIPHERS = {"AES_CBC": (7, "AES-CBC"), "3DES_CBC": (5, "3DES-CBC")}
HASHES = {"SHA1": (2, "SHA"), "MD5": (1, "MD5"), "SHA2_256": (4, "SHA2-256")}


# --------------------------------------------------------------------------
# fixtures

def _run(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli.main", "dissect", str(path), "--no-progress", *args],
                          cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=120)


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((CASE_DIR / "truth.json").read_text())


@pytest.fixture(scope="module")
def json_run() -> subprocess.CompletedProcess:
    return _run(CASE, "--json")


@pytest.fixture(scope="module")
def objs(json_run) -> list[dict]:
    assert json_run.returncode == 0, json_run.stderr
    return [json.loads(line) for line in json_run.stdout.splitlines()]


@pytest.fixture(scope="module")
def by_frame(objs) -> dict[int, dict]:
    return {o["frame"]: o for o in objs}


@pytest.fixture(scope="module")
def tshark() -> dict[int, dict]:
    return parse_tshark_v((CASE_DIR / "oracle.txt").read_text(encoding="utf-8", errors="replace"))


def isakmp_frames(truth):
    return [f for f in truth["frame_table"] if f["kind"] == "ISAKMP"]


def esp_frames(truth):
    return [f for f in truth["frame_table"] if f["kind"] == "ESP"]


def log_payloads(f: dict) -> list[str]:
    """Payload short names from the strongSwan log summary of a frame: '... [ SA V V ]' -> ['SA', 'VID', 'VID']."""
    summary = f.get("left_log_summary") or f.get("right_log_summary") or ""
    m = re.search(r"\[(.*)\]\s*$", summary)
    assert m, f"frame {f['frame']}: no payload list in the log summary {summary!r}"
    return [STRONGSWAN_PAYLOADS[re.sub(r"\(.*\)$", "", tok)] for tok in m.group(1).split()]


def parse_tshark_v(text: str) -> dict[int, dict]:
    """Per frame of a ``tshark -V`` text: ISAKMP payloads (top level and inside Encrypted Data),
    IKE attributes, vendor IDs, ID types/data and notify types."""
    frames: dict[int, dict] = {}
    cur = None
    in_isakmp = False
    in_encrypted = False
    for line in text.splitlines():
        m = re.match(r"^Frame (\d+): ", line)
        if m:
            cur = frames.setdefault(int(m.group(1)), {"payloads": [], "encrypted_payloads": [], "attributes": [],
                                                      "vendors": [], "ids": [], "notifies": []})
            in_isakmp = in_encrypted = False
            continue
        if cur is None:
            continue
        if not line.startswith(" "):
            in_isakmp = line.startswith("Internet Security Association and Key Management Protocol")
            in_encrypted = False
            continue
        if not in_isakmp:
            continue
        if line.startswith("    Encrypted Data"):
            in_encrypted = True
            continue
        m = re.match(r"^( +)Payload: (.+?) \((\d+)\)", line)
        if m:
            indent, num = len(m.group(1)), int(m.group(3))
            if indent == 4:
                cur["payloads"].append(num)
            elif indent == 8 and in_encrypted:
                cur["encrypted_payloads"].append(num)
            v = re.match(r"^\s+Payload: Vendor ID \(13\) : (.+)$", line)
            if v:
                cur["vendors"].append(v.group(1).strip())
            continue
        m = re.match(r"^\s+IKE Attribute \(t=(\d+),l=\d+\): ([A-Za-z-]+): (.+)$", line)
        if m:
            cur["attributes"].append((int(m.group(1)), m.group(2), m.group(3).strip()))
            continue
        m = re.match(r"^\s+ID type: .*\((\d+)\)$", line)
        if m:
            cur["ids"].append([int(m.group(1)), None])
            continue
        m = re.match(r"^\s+Identification Data:\s*(.+)$", line)
        if m and cur["ids"]:
            cur["ids"][-1][1] = m.group(1).strip()
            continue
        m = re.match(r"^\s+Notify Message Type: (.+) \((\d+)\)$", line)
        if m:
            cur["notifies"].append(int(m.group(2)))
    return frames


# --------------------------------------------------------------------------
# the JSON Lines stream

def test_json_exit_code_and_streams(json_run):
    assert json_run.returncode == 0, json_run.stderr
    assert "Traceback" not in json_run.stderr
    for i, line in enumerate(json_run.stdout.splitlines(), 1):
        obj = json.loads(line)  # every stdout line is one JSON object
        assert isinstance(obj, dict), f"line {i}"
    assert "frames read" in json_run.stderr, "the summary goes to stderr in --json mode"
    assert "frames read" not in json_run.stdout


def test_one_object_per_isakmp_esp_frame(objs, truth):
    want = [f["frame"] for f in truth["frame_table"] if f["kind"] in ("ISAKMP", "ESP")]
    assert len(truth["frame_table"]) == truth["frame_count"]
    assert [o["frame"] for o in objs] == want
    for o, f in zip(objs, truth["frame_table"]):
        kinds = [k for k in ("isakmp", "esp", "nat_keepalive") if k in o]
        assert kinds == [f["kind"].lower()], f"frame {o['frame']}: {kinds}, truth says {f['kind']}"


def test_frame_fields(by_frame, truth):
    for f in truth["frame_table"]:
        o = by_frame[f["frame"]]
        assert isinstance(o["frame"], int)
        assert isinstance(o["time"], float), f"frame {f['frame']}: time must be an epoch float"
        assert abs(o["time"] - f["time"]) < 1e-6, (f["frame"], o["time"], f["time"])
        assert (o["src"], o["dst"], o["sport"], o["dport"]) == (f["src"], f["dst"], f["sport"], f["dport"]), f["frame"]
        assert o["ip_version"] == truth["ip_version"]
        if f["kind"] == "ISAKMP":
            assert o.get("non_esp_marker", False) == f["non_esp_marker"], f["frame"]


def test_isakmp_header(by_frame, truth):
    for f in isakmp_frames(truth):
        m = by_frame[f["frame"]]["isakmp"]
        where = f"frame {f['frame']} ({f['label']})"
        assert HEX16.match(m["icookie"]) and HEX16.match(m["rcookie"]), where
        assert m["icookie"] == f["ispi"] == truth["initiator_cookie"], where
        assert m["rcookie"] == f["rspi"], where
        assert f["rspi"] in ("0" * 16, truth["responder_cookie"])
        assert isinstance(m["exchange_type"], int) and m["exchange_type"] == f["exchtype"], where
        assert m["exchange"] == f["info"], f"{where}: exchange name {m['exchange']!r}, tshark says {f['info']!r}"
        assert isinstance(m["message_id"], int) and m["message_id"] == f["mid"], where
        assert m["length"] == f["isakmp_len"], where
        assert m["role"] == f["label"], f"{where}: role {m['role']!r}"
        assert m["retransmission"] is False and "retransmission_of" not in m, where
        assert isinstance(m["flags"]["value"], int) and isinstance(m["flags"]["names"], list), where
        assert isinstance(m["encrypted"], bool) and isinstance(m["decrypted"], bool), where
        assert isinstance(m["payloads"], list), where


def test_quick_mode_message_ids(by_frame, truth):
    for mid_hex, roles in truth["quick_mode_frames"].items():
        for role, frame in roles.items():
            m = by_frame[frame]["isakmp"]
            assert (m["role"], f"{m['message_id']:08x}") == (role, mid_hex)


def test_cleartext_payload_chain(by_frame, truth, tshark):
    """MM1-MM4: payload types as strongSwan logged them and as tshark dissects them."""
    clear = [f for f in isakmp_frames(truth) if not tshark[f["frame"]]["encrypted_payloads"]]
    assert [f["label"] for f in clear] == ["MM1", "MM2", "MM3", "MM4"]
    for f in clear:
        m = by_frame[f["frame"]]["isakmp"]
        types = [p["type"] for p in m["payloads"]]
        assert types == log_payloads(f), f"frame {f['frame']}: {types}, log: {f.get('left_log_summary')}"
        assert [p["type_num"] for p in m["payloads"]] == tshark[f["frame"]]["payloads"], f["frame"]
        assert m["encrypted"] is False and "E" not in m["flags"]["names"]
        for p in m["payloads"]:
            assert {"type", "type_num", "offset", "length", "next_payload"} <= set(p), p
        # the chain: each payload's next_payload is the following payload's type; offsets add up
        assert m["next_payload"] == m["payloads"][0]["type_num"]
        for a, b in zip(m["payloads"], m["payloads"][1:]):
            assert a["next_payload"] == b["type_num"] and a["offset"] + a["length"] == b["offset"]
        assert m["payloads"][-1]["next_payload"] == 0
        assert m["payloads"][-1]["offset"] + m["payloads"][-1]["length"] == m["length"]


def test_encrypted_messages(by_frame, truth, tshark):
    """MM5 on: the E flag, no payloads until decrypted, the first payload type as tshark decrypts it."""
    enc = [f for f in isakmp_frames(truth) if tshark[f["frame"]]["encrypted_payloads"]]
    assert [f["label"] for f in enc] == ["MM5", "MM6", "QM1", "QM2", "QM3", "INFO", "INFO"]
    for f in enc:
        m = by_frame[f["frame"]]["isakmp"]
        where = f"frame {f['frame']} ({f['label']})"
        assert m["encrypted"] is True and m["decrypted"] is False, where
        assert m["flags"]["value"] & 1 and "E" in m["flags"]["names"], where
        assert m["payloads"] == [], where
        assert m["encrypted_length"] == f["isakmp_len"] - 28, where
        first = log_payloads(f)[0]
        assert m["next_payload"] == PAYLOAD_NUMBERS[first] == tshark[f["frame"]]["encrypted_payloads"][0], where
        per = truth["oracle"]["per_frame"].get(f"{f['frame']}:{f['label']}", {})
        if per.get("decrypted_payload_types"):
            assert m["next_payload"] == int(per["decrypted_payload_types"].split(",")[0]), where


def test_sa_proposal_attributes(by_frame, truth, tshark):
    """MM1/MM2 SA: one ISAKMP proposal, one KEY_IKE transform with the negotiated attributes."""
    cipher = re.match(r"^([A-Z0-9]+_[A-Z]+)_(\d+)$", truth["cipher"])
    enc_num, enc_name = CIPHERS[cipher.group(1)]
    key_len = int(cipher.group(2))
    hash_num, hash_name = HASHES[truth["hash"]]
    seconds = lambda s: int(s.rstrip("s"))  # noqa: E731
    life = seconds(truth["configured"]["ike_rekey_time"]) + seconds(truth["configured"]["ike_over_time"])
    want_raw = {1: enc_num, 14: key_len, 2: hash_num, 4: truth["dh_group_number"], 3: 1, 11: 1, 12: life}
    for f in isakmp_frames(truth)[:2]:
        m = by_frame[f["frame"]]["isakmp"]
        sa = [p for p in m["payloads"] if p["type"] == "SA"]
        assert len(sa) == 1, f["frame"]
        sa = sa[0]
        assert sa["doi"] == 1 and sa["situation"] == 1
        assert len(sa["proposals"]) == 1
        prop = sa["proposals"][0]
        assert prop["protocol_id"] == 1 and prop["protocol"] == "ISAKMP" and prop["spi"] == ""
        assert len(prop["transforms"]) == 1
        t = prop["transforms"][0]
        assert t["transform_id"] == 1 and t["transform"] == "KEY_IKE"
        assert dict((a, v) for a, v in t["attributes_raw"]) == want_raw, t["attributes_raw"]
        a = t["attributes"]
        assert a["Encryption-Algorithm"] == enc_name
        assert a["Key-Length"] == key_len
        assert a["Hash-Algorithm"] == hash_name
        assert a["Authentication-Method"] == "Pre-shared key"
        assert a["Life-Type"] == "Seconds"
        assert a["Life-Duration"] == life == 86400
        # and every attribute as tshark names and shows it
        theirs = tshark[f["frame"]]["attributes"]
        assert [t_ for t_, _n, _v in theirs] == [x for x, _ in t["attributes_raw"]]
        for _t, name, value in theirs:
            assert str(a[name]) == value, f"frame {f['frame']} {name}: ikescope {a[name]!r}, tshark {value!r}"


def test_ke_and_nonce_values(by_frame, truth):
    mm3, mm4 = (by_frame[f["frame"]]["isakmp"] for f in isakmp_frames(truth)[2:4])
    for m, g, nonce in ((mm3, truth["g_xi"], truth["Ni"]), (mm4, truth["g_xr"], truth["Nr"])):
        ke = [p for p in m["payloads"] if p["type"] == "KE"][0]
        no = [p for p in m["payloads"] if p["type"] == "NONCE"][0]
        assert ke["key_exchange_data"] == g
        assert no["nonce"] == nonce


def test_vendor_ids(by_frame, truth, tshark):
    """VID names as Wireshark names them (tshark -V of the same frames), in order."""
    for f in isakmp_frames(truth)[:2]:
        m = by_frame[f["frame"]]["isakmp"]
        vids = [p for p in m["payloads"] if p["type"] == "VID"]
        assert [p["vendor"] for p in vids] == tshark[f["frame"]]["vendors"], f["frame"]
        assert all(re.fullmatch(r"[0-9a-f]+", p["vendor_id"]) for p in vids)


def test_esp_objects(by_frame, truth):
    for f in esp_frames(truth):
        e = by_frame[f["frame"]]["esp"]
        assert e["spi"] == f["esp_spi"], f["frame"]
        assert isinstance(e["seq"], int) and e["seq"] == f["esp_seq"], f["frame"]
        assert e["udp_encap"] == f["udp_encap"], f["frame"]
    spis = {sa["spi"] for sa in truth["esp_sas"]}
    assert {by_frame[f["frame"]]["esp"]["spi"] for f in esp_frames(truth)} == spis


# --------------------------------------------------------------------------
# ID and N, in clear in the other lab captures

def test_id_payload_fields():
    case = CAPTURES / "v6-aggressive"
    truth = json.loads((case / "truth.json").read_text())
    oracle = parse_tshark_v((case / "oracle.txt").read_text(encoding="utf-8", errors="replace"))
    r = _run(case / "capture.pcap", "--json")
    assert r.returncode == 0, r.stderr
    objs = {o["frame"]: o for o in map(json.loads, r.stdout.splitlines())}
    for f, addr in ((truth["frame_table"][0], truth["initiator"]["addr"]),
                    (truth["frame_table"][1], truth["responder"]["addr"])):
        m = objs[f["frame"]]["isakmp"]
        assert m["role"] == f["label"]
        assert [p["type"] for p in m["payloads"]] == log_payloads(f)
        ids = [p for p in m["payloads"] if p["type"] == "ID"]
        assert len(ids) == 1
        idp = ids[0]
        (t_type, t_data), = oracle[f["frame"]]["ids"]
        assert idp["id_type"] == t_type == 5 and idp["id_type_name"] == "IPV6_ADDR"
        assert idp["id_data"] == t_data == addr


def test_notify_payload_fields():
    case = CAPTURES / "v6-ikev2-psk"
    truth = json.loads((case / "truth.json").read_text())
    oracle = parse_tshark_v((case / "oracle.txt").read_text(encoding="utf-8", errors="replace"))
    r = _run(case / "capture.pcap", "--json")
    assert r.returncode == 0, r.stderr
    objs = {o["frame"]: o for o in map(json.loads, r.stdout.splitlines())}
    for f in truth["frame_table"][:2]:
        m = objs[f["frame"]]["isakmp"]
        assert m["icookie"] == f["ispi"] and m["rcookie"] == f["rspi"] and m["exchange_type"] == 34
        notifies = [p for p in m["payloads"] if p["type_num"] == 41]
        assert [p["notify_type"] for p in notifies] == oracle[f["frame"]]["notifies"], f["frame"]
        assert all(isinstance(p["notify"], str) and p["notify"] for p in notifies)
        assert [p["type_num"] for p in m["payloads"]] == oracle[f["frame"]]["payloads"], f["frame"]


# --------------------------------------------------------------------------
# -V and the list view

def test_verbose_shows_sa_attributes(truth):
    r = _run(CASE, "-V")
    assert r.returncode == 0, r.stderr
    sections = re.split(r"(?m)^(?=Frame \d+: )", r.stdout)
    by = {int(re.match(r"Frame (\d+):", s).group(1)): s for s in sections if s.startswith("Frame ")}
    assert sorted(by) == [f["frame"] for f in truth["frame_table"]]
    for f in isakmp_frames(truth)[:2]:
        s = by[f["frame"]]
        for pattern in (r"Encryption-Algorithm\b.*\bAES-CBC\b", r"Key-Length\b.*\b128\b", r"Hash-Algorithm\b.*\bSHA\b",
                        r"Group-Description\b.*\b1024-bit MODP\b", r"Authentication-Method\b.*\bPre-shared key\b",
                        r"Life-Type\b.*\bSeconds\b", r"Life-Duration\b.*\b86400\b"):
            assert re.search(pattern, s), f"-V frame {f['frame']}: no line matching {pattern!r}"
        assert f["ispi"] in s and f"Exchange type: {f['info']}" in s
    for f in esp_frames(truth):
        assert f["esp_spi"] in by[f["frame"]], f["frame"]


def test_list_view_one_row_per_frame(truth):
    r = _run(CASE)
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if re.match(r"^\s*\d+\s+-?\d+\.\d{6}\s", line)]
    assert [int(line.split()[0]) for line in rows] == [f["frame"] for f in truth["frame_table"]]
    for line, f in zip(rows, truth["frame_table"]):
        if f["kind"] == "ISAKMP":
            assert re.search(rf"\s{re.escape(f['label'])}\s", line), f"row {f['frame']} lacks role {f['label']}: {line}"
            assert f"{f['mid']:08x}" in line, line
        else:
            assert f["esp_spi"] in line.lower() and f"seq={f['esp_seq']}" in line, line
        src = f"[{f['src']}]:{f['sport']}" if ":" in f["src"] else f"{f['src']}:{f['sport']}"
        assert src in line, line
    assert f"{truth['frame_count']} frames read" in r.stdout

"""IKEv1 decryption against tshark's, frame by frame, on the strongSwan lab cases (issue 3).

For every IKEv1 lab case (``captures/<case>/`` and, where present,
``../shared/lab/cases/<case>/``):

* ``test_decrypted_payloads_equal_tsharks``: tshark 4.0 (through pyshark, see
  :mod:`tshark_oracle`) runs with the case's own ``ikev1_decryption_table``
  rows as ``-o uat:ikev1_decryption_table:<icookie>,<Ka>`` preferences (the
  syntax of the case's ``oracle.cmd``); ikescope runs with the case's
  ``left.log`` (the initiator's charon log) as key material.  For every
  encrypted ISAKMP message the two decrypted views must be equal: state,
  payload type sequence, each payload's generic header and body, the SA
  proposals/transforms/attributes, ID, NONCE, KE, HASH, NAT-D, notify and
  delete payloads, and the padding length
  (:func:`tshark_oracle.decrypted_view` / :func:`tshark_oracle.ours_decrypted_view`).
* ``test_cli_dissect_keys_json``: the same comparison through
  ``python3 -m cli.main dissect CAP --keys left.log --json`` (what a user sees).
* ``test_wireshark_export_decrypts_as_the_lab_table``: ``python3 -m cli.main keys
  CAP --keys left.log --wireshark DIR`` writes ``DIR/ikev1_decryption_table``;
  tshark given that table, (a) as preferences and (b) as the file in its
  configuration directory (a Wireshark profile, as ikescope's message
  suggests), decrypts exactly the frames it decrypts with the lab's table, to
  the same payloads.
* ``test_ids_carry_the_peers_addresses``: the decrypted MM5/MM6 ID payloads
  (Aggressive Mode: the clear AM1/AM2 ones) are truth.json's initiator and
  responder addresses, in ikescope and in tshark.
* ``test_psk_mismatch_with_the_responders_keys``: ``right.log`` of the
  PSK-mismatch case: ikescope decrypts the responder's Informational
  messages; tshark, given the same cipher key, cannot (see DELIBERATE).

Every difference from tshark must be listed in :data:`DELIBERATE` with the
reason; an entry that no longer matches anything fails, so the list stays
current.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CAPTURES, LAB_CASES, REPO, require_tshark

from dissect.keysources import load_key_file
from dissect.pipeline import Dissector

try:  # the oracle needs pyshark
    import tshark_oracle as oracle
except ImportError as e:  # pragma: no cover - depends on the environment
    oracle = None
    _ORACLE_MISSING = f"the tshark oracle needs pyshark ({e}); pip install -e '.[test]'"


# --------------------------------------------------------------------------
# The cases

def _is_ikev1_case(d: Path) -> bool:
    t = d / "truth.json"
    return (t.is_file() and (d / "ikev1_decryption_table").is_file() and (d / "left.log").is_file()
            and json.loads(t.read_text()).get("ike_version") == 1)


def _case_params() -> list:
    params = [pytest.param(d, id=f"repo/{d.name}") for d in sorted(CAPTURES.iterdir()) if _is_ikev1_case(d)]
    lab = [d for d in sorted(LAB_CASES.iterdir()) if _is_ikev1_case(d)] if LAB_CASES.is_dir() else []
    if not lab:
        params.append(pytest.param(None, id="lab-cases-absent", marks=pytest.mark.skip(
            reason=f"lab cases not present at {LAB_CASES} (they are beside the repository in CI)")))
    params += [pytest.param(d, id=f"lab/{d.name}") for d in lab]
    return params


CASES = _case_params()


def _truth(case: Path) -> dict:
    return json.loads((case / "truth.json").read_text())


# --------------------------------------------------------------------------
# Deliberate differences

@dataclass(frozen=True)
class Deliberate:
    """A difference from tshark that is meant to be there: in lab case ``case`` (folder name; the
    shipped copy and the lab's are the same files), for ``keys`` ("left.log" or "right.log"),
    ``frames``, and view paths ``fields`` (covering what lies below them), with the reason."""
    case: str
    keys: str
    frames: tuple[int, ...]
    fields: tuple[str, ...]
    reason: str

    def covers(self, case: str, keys: str, frame: int, path: str) -> bool:
        return (case == self.case and keys == self.keys and frame in self.frames and any(
            path == f or path.startswith(f + ".") or path.startswith(f + "[") for f in self.fields))


_RESPONDER_OTHER_PSK = (
    "PSK mismatch: the responder's INFORMATIONAL replies (PAYLOAD-MALFORMED, after it failed to decrypt MM5) are "
    "encrypted under the responder's own SKEYID_e, derived from its own PSK; the initiator's cipher key (left.log, "
    "the lab's ikev1_decryption_table) cannot decrypt them. tshark decrypts them anyway -- its IKEv1 decryption has "
    "no check -- and dissects the garbage (a 'HASH' payload of length 30650: Malformed Packet). ikescope checks "
    "that the plaintext is a valid payload chain and leaves the message encrypted, with the note 'decryption with "
    "this SA's keys gives no valid payload chain'. Neither side decrypts it; only the presentation differs.")

_RETRANSMITTED_MM5 = (
    "MM5 retransmitted with the same bytes: strongSwan resends the message it encrypted with the Phase 1 IV "
    "hash(g^xi | g^xr). tshark chains the Phase 1 IV through every encrypted Phase 1 message in capture order, "
    "so it decrypts the copy with the last ciphertext block of the first MM5 (frame 5) as IV: the first block "
    "comes out garbled (an ID payload with next payload 47 and length 30641: Malformed Packet). ikescope "
    "recognises the retransmission (same bytes) and reuses the IV its first copy used, so it shows MM5 again, "
    "HASH_I verified.")

_RESPONDER_IV = (
    "With the responder's keys (right.log): the responder never accepted MM5 (other PSK), so its Phase 1 IV "
    "chain stopped at hash(g^xi | g^xr) and its INFORMATIONAL messages use hash(that IV | M-ID) as IV "
    "(RFC 2409 App. B). tshark derives the Informational IV from the last Phase 1 block it saw, MM5's, which "
    "is right only when the receiver accepted MM5: the first block comes out garbled (Malformed Packet). "
    "ikescope tries the IV of the last message the key accepted first and decrypts them, HASH(1) verified.")

_INITIATOR_OTHER_PSK = (
    "With the responder's keys (right.log): the initiator's MM5 and its two retransmissions are encrypted under "
    "the initiator's SKEYID_e (its own PSK); the responder's cipher key cannot decrypt them. tshark decrypts "
    "them anyway and dissects garbage (Malformed Packet); ikescope leaves them encrypted (no valid payload chain).")

DELIBERATE: tuple[Deliberate, ...] = (
    Deliberate("v6-psk-mismatch", "left.log", (6, 8, 10), ("state", "payload_types"), _RESPONDER_OTHER_PSK),
    Deliberate("v6-psk-mismatch", "left.log", (7, 9), ("state", "payload_types", "payloads", "padding"),
               _RETRANSMITTED_MM5),
    Deliberate("v6-psk-mismatch", "right.log", (6, 8, 10), ("state", "payload_types", "payloads", "padding"),
               _RESPONDER_IV),
    Deliberate("v6-psk-mismatch", "right.log", (5, 7, 9), ("state", "payload_types"), _INITIATOR_OTHER_PSK),
)


def _filter(case: str, keys: str, problems: list[tuple[int, str, object, object]], test_frames: set[int]):
    """(problems no DELIBERATE entry explains, this case's entries that explain nothing)."""
    entries = [d for d in DELIBERATE if d.case == case and d.keys == keys]
    used: set[Deliberate] = set()
    left = []
    for frame, path, ours_, theirs_ in problems:
        hit = next((d for d in entries if d.covers(case, keys, frame, path)), None)
        if hit is None:
            left.append((frame, path, ours_, theirs_))
        else:
            used.add(hit)
    return left, [d for d in entries if d not in used and set(d.frames) & test_frames]


def _report(case: str, left, stale) -> str:
    lines = [f"{case}: {len(left)} difference(s) from tshark"]
    for frame, path, ours_, theirs_ in left[:40]:
        lines.append(f"  frame {frame}: {path}: ikescope={ours_!r} tshark={theirs_!r}")
    if len(left) > 40:
        lines.append(f"  ... and {len(left) - 40} more")
    for d in stale:
        lines.append(f"  stale DELIBERATE entry (matches nothing now): {d.keys} frames {d.frames} {d.fields}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Both sides, cached per file content

def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(hashlib.sha256(Path(p).read_bytes()).digest())
    return h.hexdigest()


@dataclass
class Ours:
    messages: dict[int, list]   # frame -> ISAKMP messages
    states: dict                # icookie -> dissect.decrypt.SaState


_OURS: dict[str, Ours] = {}


def ours(case: Path, keys: str = "left.log") -> Ours:
    """ikescope's ISAKMP messages of the case's capture, decrypted with ``case/keys``."""
    cap, kf = case / "capture.pcap", case / keys
    key = _digest(cap, kf)
    if key not in _OURS:
        d = Dissector(str(cap), keys=load_key_file(str(kf)))
        msgs: dict[int, list] = {}
        for p in d.packets():
            if p.isakmp is not None:
                msgs.setdefault(p.frame, []).append(p.isakmp)
        _OURS[key] = Ours(msgs, dict(d.decryptor.states) if d.decryptor else {})
    return _OURS[key]


def _require_oracle() -> None:
    require_tshark()
    if oracle is None:
        pytest.skip(_ORACLE_MISSING)


def lab_rows(case: Path) -> list[tuple[str, str]]:
    return oracle.read_ikev1_decryption_table((case / "ikev1_decryption_table").read_text())


def theirs(case: Path) -> dict:
    """tshark's frames of the case with the lab's own ikev1_decryption_table as preferences."""
    _require_oracle()
    return oracle.tshark_frames(case / "capture.pcap", lab_rows(case))


def _encrypted_views(ts: dict) -> dict[int, list]:
    """frame -> tshark's decrypted views of the frame's encrypted IKEv1 messages (frames with any)."""
    return {n: [v for v in f.decrypted if v is not None] for n, f in ts.items()
            if any(v is not None for v in f.decrypted)}


def _our_views(our: Ours) -> dict[int, list]:
    out = {}
    for n, msgs in our.messages.items():
        views = [v for v in (oracle.ours_decrypted_view(m) for m in msgs) if v is not None]
        if views:
            out[n] = views
    return out


def _compare(ts_views: dict[int, list], our_views: dict[int, list]) -> list[tuple[int, str, object, object]]:
    problems: list[tuple[int, str, object, object]] = []
    for n in sorted(set(ts_views) | set(our_views)):
        mine, its = our_views.get(n), ts_views.get(n)
        if mine is None or its is None:
            problems.append((n, "frame-set:encrypted", mine is not None, its is not None))
            continue
        if len(mine) != len(its):
            problems.append((n, "encrypted messages in the frame", len(mine), len(its)))
            continue
        for a, b in zip(mine, its):
            problems += [(n, path, x, y) for path, x, y in oracle.diff(a, b)]
    return problems


# --------------------------------------------------------------------------
# 1. ikescope's decrypted payloads equal tshark's

@pytest.mark.parametrize("case", CASES)
def test_decrypted_payloads_equal_tsharks(case: Path) -> None:
    """Every encrypted message tshark decrypts, ikescope decrypts (left.log) to the same payloads."""
    ts = _encrypted_views(theirs(case))
    decrypted = [n for n, vs in ts.items() if any(v["state"] == "decrypted" for v in vs)]
    assert decrypted, (f"{case.name}: tshark decrypted nothing with {lab_rows(case)}: was the "
                       f"ikev1_decryption_table preference accepted?")
    problems = _compare(ts, _our_views(ours(case)))
    left, stale = _filter(case.name, "left.log", problems, set(ts))
    assert not left and not stale, _report(case.name, left, stale)


# --------------------------------------------------------------------------
# 1b. the same through the command line's JSON

_JSON_DATA_KEY = {4: "key_exchange_data", 8: "hash", 10: "nonce", 13: "vendor_id", 20: "hash"}

_CLI: dict[str, dict[int, list]] = {}


def _cli_json(case: Path) -> dict[int, list]:
    """frame -> the 'isakmp' objects of ``ikescope dissect CAP --keys left.log --json``."""
    key = _digest(case / "capture.pcap", case / "left.log")
    if key not in _CLI:
        r = subprocess.run([sys.executable, "-m", "cli.main", "dissect", str(case / "capture.pcap"),
                            "--keys", str(case / "left.log"), "--json", "--no-progress"],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out: dict[int, list] = {}
        for line in r.stdout.splitlines():
            o = json.loads(line)
            if "isakmp" in o:
                out.setdefault(o["frame"], []).append(o["isakmp"])
        _CLI[key] = out
    return _CLI[key]


def _json_payload(p: dict) -> dict:
    t = p["type_num"]
    v = {"type": t, "next_payload": p["next_payload"], "length": p["length"]}
    if t == 1:
        decoded = {"kind": "SA", "doi": p["doi"], "situation": p["situation"],
                   "proposals": [{"number": q["number"], "protocol_id": q["protocol_id"], "spi": q["spi"],
                                  "transforms": [{"number": x["number"], "transform_id": x["transform_id"],
                                                  "attributes": x["attributes_raw"]} for x in q["transforms"]]}
                                 for q in p["proposals"]]}
    elif t == 5:
        decoded = {"kind": "ID", "id_type": p["id_type"], "protocol_id": p["protocol_id"], "port": p["port"],
                   "id_data_hex": p["id_data_hex"]}
        if p["id_type"] in oracle.ID_ADDRESS_TYPES:
            decoded["address"] = p["id_data"]
    elif t == 11:
        decoded = {"kind": "N", "doi": p["doi"], "protocol_id": p["protocol_id"], "spi": p["spi"],
                   "notify_type": p["notify_type"], "data": p["notification_data"]}
    elif t == 12:
        decoded = {"kind": "D", "doi": p["doi"], "protocol_id": p["protocol_id"],
                   "spi_size": len(p["spis"][0]) // 2 if p["spis"] else 0, "spis": p["spis"]}
    elif t in _JSON_DATA_KEY:
        decoded = {"kind": oracle._DATA_FIELDS[t][0], "data": p[_JSON_DATA_KEY[t]]}
    else:
        decoded = None
    v["decoded"] = decoded
    return v


def _json_view(m: dict) -> dict | None:
    if not m.get("encrypted") or not m.get("version", "").startswith("1."):
        return None
    if not m["decrypted"]:
        return {"state": "not decrypted"}
    return {"state": "decrypted", "payload_types": [p["type_num"] for p in m["payloads"]],
            "payloads": [_json_payload(p) for p in m["payloads"]]}


def _project(view: dict) -> dict:
    """tshark's decrypted view without what the JSON output does not carry (payload bodies,
    padding, declared transform counts)."""
    v = {k: val for k, val in view.items() if k != "padding"}
    if "payloads" in v:
        v["payloads"] = []
        for p in view["payloads"]:
            q = {k: val for k, val in p.items() if k != "body"}
            if q["decoded"] and q["decoded"].get("kind") == "SA":
                q["decoded"] = dict(q["decoded"], proposals=[
                    {k: val for k, val in prop.items() if k != "declared_transforms"}
                    for prop in q["decoded"]["proposals"]])
            v["payloads"].append(q)
    return v


@pytest.mark.parametrize("case", CASES)
def test_cli_dissect_keys_json(case: Path) -> None:
    """``ikescope dissect --keys left.log --json`` shows tshark's decrypted payloads too."""
    ts = {n: [_project(v) for v in vs] for n, vs in _encrypted_views(theirs(case)).items()}
    mine = {}
    for n, objs in _cli_json(case).items():
        views = [v for v in map(_json_view, objs) if v is not None]
        if views:
            mine[n] = views
    left, stale = _filter(case.name, "left.log", _compare(ts, mine), set(ts))
    assert not left and not stale, _report(case.name, left, stale)


# --------------------------------------------------------------------------
# 2. the --wireshark export

def _export(case: Path, out: Path) -> bytes:
    r = subprocess.run([sys.executable, "-m", "cli.main", "keys", str(case / "capture.pcap"),
                        "--keys", str(case / "left.log"), "--wireshark", str(out)],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    table = out / "ikev1_decryption_table"
    assert table.is_file(), f"--wireshark {out} wrote no ikev1_decryption_table: {r.stderr}"
    return table.read_bytes()


@pytest.mark.parametrize("case", CASES)
def test_wireshark_export_decrypts_as_the_lab_table(case: Path, tmp_path: Path) -> None:
    """tshark with ikescope's exported table decrypts exactly what it decrypts with the lab's, the same way."""
    _require_oracle()
    written = _export(case, tmp_path / "ws")
    rows = oracle.read_ikev1_decryption_table(written.decode("utf-8"))
    lab = _encrypted_views(theirs(case))
    by_pref = _encrypted_views(oracle.tshark_frames(case / "capture.pcap", rows))
    by_profile = _encrypted_views(oracle.tshark_frames(case / "capture.pcap",
                                                       profile_files={"ikev1_decryption_table": written}))

    def decrypted(views: dict) -> dict[int, list]:
        return {n: [v.get("payload_types") for v in vs] for n, vs in views.items()
                if any(v["state"] == "decrypted" for v in vs)}

    assert decrypted(lab), f"{case.name}: tshark decrypted nothing with the lab's table"
    for how, got in (("as -o preferences", by_pref), ("in the configuration directory", by_profile)):
        assert decrypted(got) == decrypted(lab), (
            f"{case.name}: with ikescope's table {how}, tshark decrypts frames {sorted(decrypted(got))}, "
            f"with the lab's {sorted(decrypted(lab))}\n{written.decode()}")
        assert got == lab, f"{case.name}: tshark's decrypted payloads differ with ikescope's table {how}"


# --------------------------------------------------------------------------
# 3. ID payloads carry the peers' addresses

def _id_addresses(payload_views: list) -> list:
    return [p["address"] for p in payload_views if p and p.get("kind") == "ID"]


@pytest.mark.parametrize("case", CASES)
def test_ids_carry_the_peers_addresses(case: Path) -> None:
    """Decrypted MM5/MM6 IDs (Aggressive Mode: clear AM1/AM2) are truth.json's initiator/responder addresses."""
    t = _truth(case)
    src = {r["frame"]: r["src"] for r in t["frame_table"]}
    initiator, responder = t["initiator"]["addr"], t["responder"]["addr"]
    want = {"MM5": initiator, "MM6": responder, "AM1": initiator, "AM2": responder}
    roles = ("AM1", "AM2") if t["exchange_mode"] == "aggressive" else ("MM5", "MM6")
    ts = theirs(case)
    our = ours(case)
    checked = []
    problems = []
    for label, frames in t["frames"].items():
        role = label.split("(")[0]  # MM5(retransmit), MM5(d320830c): the second IKE SA's
        if role not in roles:
            continue
        addr = want[role]
        for n in frames:
            assert src[n] == addr, f"{case.name} frame {n} ({label}) comes from {src[n]}, not {addr}"
            (msg,) = our.messages[n]
            if role.startswith("MM"):
                assert msg.decrypted, f"{case.name} frame {n} ({label}): ikescope did not decrypt it"
            mine = [p.text for p in msg.payloads if p.type == 5]
            if mine != [addr]:
                problems.append(f"frame {n} ({label}): ikescope's ID payloads {mine}, truth {addr}")
            (tv,) = ts[n].isakmp
            (dv,) = ts[n].decrypted
            if dv is None:
                its = _id_addresses(tv["payloads"])
            elif dv["state"] == "decrypted":
                its = _id_addresses([p["decoded"] for p in dv["payloads"]])
            else:  # tshark cannot decrypt it (see DELIBERATE)
                assert any(d.covers(case.name, "left.log", n, "state") for d in DELIBERATE), (n, dv)
                its = None
            if its is not None and its != [addr]:
                problems.append(f"frame {n} ({label}): tshark's ID payloads {its}, truth {addr}")
            checked.append(label)
    assert roles[0] in {c.split("(")[0] for c in checked}, (case.name, checked)
    assert not problems, f"{case.name}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------
# 4. the PSK-mismatch case with the responder's keys

def test_psk_mismatch_with_the_responders_keys() -> None:
    """right.log decrypts the responder's messages in ikescope; tshark, with the same cipher key, cannot."""
    case = CAPTURES / "v6-psk-mismatch"
    _require_oracle()
    our = ours(case, "right.log")
    (st,) = our.states.values()
    assert st.keys is not None, st.key_error
    ts = oracle.tshark_frames(case / "capture.pcap", [(st.icookie.hex(), st.keys.enc_key.hex())])
    ts_views = _encrypted_views(ts)
    problems = _compare(ts_views, _our_views(our))
    left, stale = _filter(case.name, "right.log", problems, set(ts_views))
    assert not left and not stale, _report(case.name, left, stale)
    infos = [n for n, msgs in our.messages.items() if msgs[0].role == "INFO"]
    assert infos and all(our.messages[n][0].decrypted and our.messages[n][0].hash_check == "HASH(1) verified"
                         for n in infos), infos


def test_deliberate_list_is_well_formed() -> None:
    """Each exemption names an IKEv1 lab case, frames, a field and a reason; no duplicates."""
    names = {d.name for d in CAPTURES.iterdir() if _is_ikev1_case(d)}
    assert len(set(DELIBERATE)) == len(DELIBERATE), "duplicate DELIBERATE entries"
    for d in DELIBERATE:
        assert d.case in names and d.keys in ("left.log", "right.log"), d
        assert d.frames and d.fields and len(d.reason) > 40, d

"""Which capture endpoint each log speaks for.

A log is written by one IKE endpoint.  The capture shows IKE packets between
addresses; the log names addresses too:

* its own (``local``): strongSwan's ``sending packet: from LOCAL[500] to
  PEER[500]``, a libreswan or IOS-XE ``local=`` field, ``show`` output's local
  crypto endpoint.  When one of them is an endpoint in the capture, the log
  speaks for it;
* its peers only (IOS ``sending packet to PEER my_port 500``, ASA ``IP =
  PEER``): the log speaks for the capture endpoint that exchanges IKE with those
  peers.  That also finds the log's endpoint behind a NAT: the capture shows its
  public address, the log only its private one.

A mapping ADDR -> log name (``--log ADDR=FILE``) overrides both (an ADDR that is
no IKE endpoint of the capture is said in the note, and the endpoint the log
itself shows is used instead when there is one), but for a log that names
other capture endpoints as its own (``sending packet: from LOCAL``) and never
ADDR, an endpoint of the capture too: the address the log shows wins, and the
note says so (two ``--log`` addresses swapped).  It says which endpoint the
log speaks for, not that the log belongs to the capture: a log whose peers,
ports, exchange mode, policy or message IDs contradict the capture is still
refused (:func:`correlate.align._foreign`).  When the
peers leave more than one endpoint possible (a hub talking to many spokes
captured at the hub, and a spoke's log naming only the hub), every candidate is
returned, most IKE packets first, for the caller to try.

Pure functions over events and a table of who talks to whom.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .model import Event

__all__ = ["Assignment", "assign", "talk_table"]


@dataclass
class Assignment:
    """The capture endpoint a log speaks for.

    ``address``     the endpoint (text, as the capture writes it), or None
    ``candidates``  every endpoint possible, best first (``address`` is the first)
    ``peers``       the peer addresses the log names, most named first (not those it names as its own)
    ``how``         "given" (override), "local address" (the log names it as its own), "peers" (the
                    endpoint that talks to the log's peers) or "" (none found)
    ``note``        a one-line explanation when no endpoint or more than one was found
    """
    log: str
    address: str | None
    candidates: list[str] = field(default_factory=list)
    peers: list[str] = field(default_factory=list)
    how: str = ""
    note: str = ""


def talk_table(flows: Iterable[tuple[str, str]]) -> dict[str, Counter]:
    """address -> Counter of the addresses it exchanged IKE packets with (both directions), from
    (src, dst) pairs, one per packet."""
    table: dict[str, Counter] = {}
    for src, dst in flows:
        table.setdefault(src, Counter())[dst] += 1
        table.setdefault(dst, Counter())[src] += 1
    return table


def assign(name: str, events: Iterable[Event], talks: Mapping[str, Counter],
           given: Mapping[str, str] | None = None) -> Assignment:
    """The endpoint that the log ``name`` (its events) speaks for, given the capture's ``talks``
    (:func:`talk_table`) and the overrides ``given`` (address -> log name)."""
    locals_: Counter = Counter()
    peers: Counter = Counter()
    for e in events:
        weight = 4 if e.kind == "packet" else 1
        if e.local:
            locals_[e.local] += weight
        if e.peer and e.kind in ("packet", "sa_created", "sa_status", "state", "info", "proposal"):
            peers[e.peer] += weight
    peer_list = [p for p, _ in peers.most_common() if p not in locals_]   # its own address is no peer of its
    mine = [a for a, n in (given or {}).items() if n == name]
    own = [a for a, _ in locals_.most_common() if a in talks]
    if mine and own and all(a in talks for a in mine) and not set(mine) & set(own):
        return Assignment(name, own[0], own, peer_list, "local address",
                          f"{name}: --log gave it {', '.join(mine)}, but the log names {own[0]} as its own address "
                          f"(not {mine[0]}): {own[0]} is used")
    if mine:
        stray = [a for a in mine if a not in talks]
        found = _found(name, own, peers, peer_list, talks) if len(stray) == len(mine) else None
        if found is not None and found.address is not None:
            # (an address mistyped, or another NAT side's): the endpoint the log itself shows is used
            why = "the log names it as its own" if found.how == "local address" else "it talks to the log's peers"
            found.note = (f"{name}: {', '.join(stray)}, given as its address, is not an IKE endpoint in the capture; "
                          f"{found.address} is used ({why})")
            return found
        note = (f"{name}: {', '.join(stray)}, given as its address, is not an IKE endpoint in the capture"
                if stray else "")
        return Assignment(name, mine[0], mine, peer_list, "given", note)
    return _found(name, own, peers, peer_list, talks)


def _found(name: str, own: list[str], peers: Counter, peer_list: list[str],
           talks: Mapping[str, Counter]) -> Assignment:
    """The endpoint the log speaks for by what it names (no override): its own address when that is a capture
    endpoint, else the endpoint that talks to its peers."""
    if own:
        return Assignment(name, own[0], own, peer_list, "local address")
    score: Counter = Counter()
    for p, n in peers.items():
        for other, packets in talks.get(p, {}).items():
            if other not in peers:
                score[other] += n * packets
    if not score:
        known = ", ".join(peer_list[:3]) or "none"
        return Assignment(name, None, [], peer_list, "",
                          f"{name}: no address it names is an IKE endpoint in the capture (peers named: {known})")
    ranked = [a for a, _ in score.most_common()]
    note = ""
    if len(ranked) > 1:
        note = (f"{name}: its peers talk to {len(ranked)} endpoints in the capture ({', '.join(ranked[:4])}); "
                "the one whose packets the log matches best is used")
    return Assignment(name, ranked[0], ranked, peer_list, "peers", note)

"""The dissect pipeline: capture file -> frames -> datagrams -> packets -> sessions.

:class:`Dissector` streams :class:`~dissect.model.Packet` objects in capture
order, each ISAKMP message already assigned to its IKE SA and labelled with
its role; it keeps only the session table and counters, so memory does not
grow with the number of non-IKE frames.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from . import prefilter, reader
from .decrypt import Decryptor
from .espdecrypt import EspDecryptor
from .espsa import EspSa
from .esp import decode_esp
from .isakmp import decode_message
from .model import ERROR, Datagram, Expert, Packet, Stats
from .netlayer import NetDecoder, icmp_error
from .keysources import KeyEntry
from .session import SessionTracker


#: Packets held back at most while a phase-1 role may still be corrected.
HOLD_BACK = 64


class Dissector:
    """Dissect one capture file.

    Iterate :meth:`packets` once; afterwards ``stats`` holds the counts and
    ``tracker.sas`` the IKE SAs.  :class:`~dissect.capture.CaptureError` is
    raised by the first iteration step if the file cannot be read.

    ``ike_ports`` are the UDP ports treated as IKE (500 and 4500 by
    default); ``fast`` enables the fixed-offset lane for plain ESP
    (:func:`dissect.netlayer.fast_esp`); ``parallel`` reads the capture in a
    worker process (:mod:`dissect.reader`; by default for big files).
    ``keys`` (:class:`dissect.keysources.KeyEntry`) and ``psk_candidates``
    turn on IKEv1 decryption and PSK verification (:mod:`dissect.decrypt`);
    ``decryptor.states`` then holds each IKE SA's keys and verdict.
    """

    def __init__(self, path: str, ike_ports: frozenset[int] = prefilter.IKE_PORTS, fast: bool = True,
                 progress: Callable[[int], None] | None = None, parallel: bool | None = None,
                 keys: list[KeyEntry] | None = None, psk_candidates: list[tuple[str, bytes]] | None = None,
                 esp_sas: list[EspSa] | None = None):
        self.path = path
        self.ike_ports = ike_ports
        self.fast = fast
        self.progress = progress
        self.parallel = reader.use_worker(path) if parallel is None else parallel
        self.stats = Stats()
        self.tracker = SessionTracker()
        self.decryptor = Decryptor(keys or [], psk_candidates) if (keys or psk_candidates) else None
        self.esp = EspDecryptor(esp_sas) if (keys or esp_sas) else None
        self._esp_known = 0  # ESP SAs of the IKE decryptor already handed to self.esp

    def packets(self) -> Iterator[Packet]:
        """Packets in capture order.

        While the initiator of some IKE SA is still a guess (a capture that
        starts after MM2), up to :data:`HOLD_BACK` packets are held back, so
        that the phase-1 roles they carry are the corrected ones when the
        capture shows who the initiator is (see :mod:`dissect.session`).
        """
        stats = self.stats
        net = NetDecoder(stats, self.ike_ports)
        held: deque[Packet] = deque()
        guesses = self.tracker.open_guesses
        read = reader.read_in_worker if self.parallel else reader.frames_and_esp
        for item in read(self.path, self.ike_ports, stats, self.fast, self.progress):
            if type(item) is Datagram:  # the ESP flood, from the fast lane: no dpkt
                stats.esp += 1
                pkt = Packet(item, None, decode_esp(item.payload, item.udp_encap))
                if self.esp is not None:
                    self._decrypt_esp(pkt)
                if not held:
                    yield pkt
                    continue
                held.append(pkt)
            else:
                for d in net.decode(item):
                    pkt = self._packet(d)
                    if pkt is not None:
                        if d.fragments:  # its other frames are accounted for here (shown: the last one)
                            stats.fragment_frames += len(d.fragments) - 1
                        held.append(pkt)
            while held and (not guesses or len(held) > HOLD_BACK):
                yield held.popleft()
        yield from held
        net.finish()
        if self.decryptor is not None:
            self.decryptor.finish()
        if stats.prefiltered:
            stats.skipped["not IKE/ESP"] += stats.prefiltered

    def key_problems(self) -> list[str]:
        """One line each: key material that could not be used, for IKE
        (:meth:`dissect.decrypt.Decryptor.key_problems`) and for ESP
        (:attr:`dissect.espdecrypt.EspDecryptor.problems`); empty without keys.  Meant for after
        :meth:`packets` was consumed."""
        return (self.decryptor.key_problems() if self.decryptor else []) + (self.esp.problems if self.esp else [])

    def _decrypt_esp(self, pkt: Packet) -> None:
        """ESP decryption (dissect.espdecrypt), with the SAs Quick Modes gave so far."""
        made = self.decryptor.esp_sas if self.decryptor is not None else ()
        while self._esp_known < len(made):
            self.esp.add(made[self._esp_known])
            self._esp_known += 1
        self.esp.process(pkt)

    def _packet(self, d: Datagram) -> Packet | None:
        stats = self.stats
        if d.kind == "esp":
            try:
                esp = decode_esp(d.payload, d.udp_encap)
            except ValueError as e:
                stats.undecodable[f"ESP: {e}"] += len(d.fragments) or 1
                return None
            stats.esp += 1
            if esp.seq is None:
                d.notes.append(Expert(ERROR, f"ESP header truncated: {len(d.payload)} of 8 bytes "
                                      "(no sequence number)", len(d.payload)))
                stats.malformed += 1
            pkt = Packet(d, esp=esp)
            if self.esp is not None:
                self._decrypt_esp(pkt)
            return pkt
        if d.kind == "nat-keepalive":
            stats.keepalive += 1
            return Packet(d)
        if d.kind == "icmp-error":
            stats.icmp_errors += 1
            err = icmp_error(d.ip_version, d.payload, self.ike_ports)
            sa = self.tracker.sa_of(err.icookie) if err.icookie else None
            if sa is not None:
                sa.icmp_errors += 1
            return Packet(d, icmp=err, sa=sa)
        try:
            msg = decode_message(d.payload)
        except Exception as e:  # a decoder bug must not end the run; it is counted and reported
            stats.undecodable[f"internal ISAKMP decoder error ({type(e).__name__}: {e})"] += len(d.fragments) or 1
            return None
        stats.isakmp += 1
        pkt = Packet(d, isakmp=msg)
        self.tracker.add(pkt)
        if self.decryptor is not None:
            self.decryptor.process(pkt)
        if msg.has_errors:  # after decryption, which may find errors in the decrypted payloads
            stats.malformed += 1
        return pkt

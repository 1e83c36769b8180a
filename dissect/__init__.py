"""ikescope's wire side: capture reading, ISAKMP/ESP decoding and sessions.

Data flows one way: capture file -> :class:`~dissect.model.Frame` ->
:class:`~dissect.model.Datagram` -> :class:`~dissect.model.Packet`
(ISAKMP :class:`~dissect.isakmp.Message` or ESP header) -> IKE SAs
(:mod:`dissect.session`).  :class:`dissect.pipeline.Dissector` runs it all.
"""

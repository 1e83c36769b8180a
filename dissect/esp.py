"""ESP header (RFC 4303 §2): SPI and sequence number.

Everything after them is ciphertext (IV, payload, padding, ICV) until the
ESP SA's keys are known.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

_SPI_SEQ = struct.Struct(">II")


@dataclass(slots=True)
class EspHeader:
    """``spi`` and ``seq`` as unsigned 32-bit integers; ``length`` in bytes from the SPI on.

    ``seq`` is None when the packet (or the capture of it) ends before the
    sequence number.
    """
    spi: int
    seq: int | None
    length: int
    udp_encap: bool = False
    plain: Any = None  # a dissect.espdecrypt.EspPlain once decrypted

    def to_dict(self) -> dict[str, Any]:
        d = {"spi": f"0x{self.spi:08x}", "seq": self.seq, "length": self.length, "udp_encap": self.udp_encap}
        if self.plain is not None:
            d["decrypted"] = self.plain.to_dict()
        return d


def decode_esp(data: bytes, udp_encap: bool = False) -> EspHeader:
    """Decode SPI and sequence number.

    With 4 to 7 bytes only the SPI is known (``seq`` None), as Wireshark
    shows a truncated ESP header; raises ValueError with fewer than 4.
    """
    if len(data) >= 8:
        spi, seq = _SPI_SEQ.unpack_from(data)
        return EspHeader(spi, seq, len(data), udp_encap)
    if len(data) < 4:
        raise ValueError(f"ESP header needs 8 bytes, has {len(data)}")
    return EspHeader(int.from_bytes(data[:4], "big"), None, len(data), udp_encap)

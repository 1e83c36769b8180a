"""Addresses as logs write them, made comparable with the capture's.

Pasted text spoils addresses: the seed writes ``2001: DB8::2`` (a stray space after a
colon); IOS's IPSEC records write an IPv6 address and its port as one token,
``2001:DB8::3:0``, which is also a valid address.  :func:`address` normalises what is
surely an address (IPv6 compressed and lower case, as dissect.model writes them);
:func:`address_port` splits IOS's ``addr:port`` form where the caller knows a port
follows.
"""
from __future__ import annotations

import functools
import ipaddress
import re

__all__ = ["address", "address_port", "ADDRESS_TEXT"]

#: An IPv4 or IPv6 address in text, allowing the seed's stray blank after a colon of an IPv6 address
ADDRESS_TEXT = (r"(?:\d{1,3}(?:\.\d{1,3}){3}"
                r"|(?:[0-9A-Fa-f]{0,4}:\s?){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?)")
_STRAY = re.compile(r":\s+(?=[0-9A-Fa-f:])")


@functools.lru_cache(maxsize=4096)  # a log names the same few addresses again and again
def address(text: str) -> str | None:
    """The address in ``text`` (one token, perhaps with the seed's ``2001: DB8::2`` blank), normalised
    (``2001:db8::2``); None when it is not an address."""
    t = _STRAY.sub(":", text.strip().strip("[],"))
    t = t.split("%", 1)[0]
    try:
        return str(ipaddress.ip_address(t))
    except ValueError:
        return None


def address_port(text: str) -> tuple[str | None, int | None]:
    """IOS's ``address:port`` (``192.0.2.3:500``, ``2001:DB8::3:0``: the last group is the port) as
    (address, port); an IPv4 address without a port gives (address, None)."""
    t = _STRAY.sub(":", text.strip().strip(","))
    if t.count(":") == 0:
        return address(t), None
    head, _, port = t.rpartition(":")
    if port.isdigit() and address(head) is not None:
        return address(head), int(port)
    return address(t), None

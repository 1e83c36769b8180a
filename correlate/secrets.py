"""Pre-shared keys that a pasted log shows in configuration lines, masked before anything is printed.

Tickets often paste configuration beside the debug (``spoke1(config)#crypto isakmp key cisco123 address
203.0.113.1``); ikescope never prints such a key (there is no option to: the log file itself is the
user's to read).  Debug lines themselves never print the key; these are the configuration forms that do:

* IOS/IOS-XE: ``crypto isakmp key [0|6] KEY address|hostname ...``; in a keyring ``pre-shared-key
  [address A [M]|hostname H] key [0|6] KEY`` and IKEv2 ``pre-shared-key [local|remote] [0|6] KEY``;
* ASA: ``ikev1|ikev2 pre-shared-key KEY`` and ``ikev2 local-authentication|remote-authentication
  pre-shared-key KEY`` (tunnel-group ipsec-attributes), ``pre-shared-key KEY``;
* strongSwan: ``: PSK "KEY"`` (ipsec.secrets), ``secret = KEY`` (swanctl.conf).

:func:`mask` replaces the key with ``****`` and keeps the rest of the line.  :func:`correlate.logparse.
parse_log_text` masks every record as it reads it, so that no output of ikescope (``log``, ``correlate``,
their JSON) can show a key a log holds.
"""
from __future__ import annotations

import re

__all__ = ["mask", "mask_record", "MASK", "might_hold"]

MASK = "****"

_KEY = r"(?P<key>\"[^\"]*\"|'[^']*'|\S+)"
_PATTERNS = (
    # IOS: crypto isakmp key [0|6] KEY address|hostname
    re.compile(r"(?P<pre>\bcrypto isakmp key\s+(?:[06]\s+)?)" + _KEY + r"(?=\s+(?:address|hostname)\b|\s*$)",
               re.IGNORECASE),
    # keyring: pre-shared-key address A [M] key [0|6] KEY / hostname H key KEY
    re.compile(r"(?P<pre>\bpre-shared-key\s+(?:address\s+\S+(?:\s+\S+)?|hostname\s+\S+)\s+key\s+(?:[06]\s+)?)"
               + _KEY, re.IGNORECASE),
    # IKEv2 keyring / ASA: [ikev1|ikev2 [local-|remote-authentication]] pre-shared-key [local|remote] [0|6|8]
    # KEY (not "pre-shared-key address ...", the keyring form above); anywhere in a record: a terminal or a
    # ticket may have joined the configuration line with others
    re.compile(r"(?P<pre>\bpre-shared-key\s+(?:local\s+|remote\s+)?(?:[068]\s+)?)(?!address\b|hostname\b)"
               + _KEY, re.IGNORECASE),
    # strongSwan ipsec.secrets: [ids] : PSK "KEY"
    re.compile(r"(?P<pre>:\s*PSK\s+)" + _KEY),
    # swanctl.conf: secret = KEY
    re.compile(r"(?P<pre>\bsecret\s*=\s*)" + _KEY),
)


def might_hold(text: str) -> bool:
    """Whether ``text`` may show a key: it says "key", "KEY", "PSK" or "secret" (substring tests, cheap
    enough for every record of a log: most say none of them)."""
    return "key" in text or "KEY" in text or "PSK" in text or "secret" in text


def mask(text: str) -> str:
    """``text`` with every pre-shared key of a configuration line replaced by ``****``; other text as it
    was.  A line that shows no key comes back unchanged (the same object)."""
    if not might_hold(text):
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m["pre"] + MASK, text)
    return text


def mask_record(record) -> None:
    """Mask the keys of a :class:`correlate.model.Record` in place: its joined ``text`` and its ``raw``
    lines (a key a terminal wrapped onto the next line is masked in the text, which joins it)."""
    record.text = mask(record.text)
    record.raw = [mask(line) for line in record.raw]

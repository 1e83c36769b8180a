"""Encoding IKEv1 messages: the inverse of :mod:`dissect.isakmp` and :mod:`dissect.payloads`.

Two ways in, one set of layouts:

* **Builders** take plain values and return bytes, for writing test captures:
  :func:`attribute`, :func:`transform`, :func:`proposal`, :func:`sa_body`
  (RFC 2408 §3.3-3.6), :func:`id_body` with :func:`id_data` (RFC 2408 §3.8,
  RFC 2407 §4.6.2), :func:`notify_body` (§3.14), :func:`delete_body` (§3.15),
  :func:`cert_body` (§3.9-3.10), :func:`config_body` (draft-dukes-ike-mode-cfg
  §3.2), :func:`nat_d_hash` (RFC 3947 §3.2) and :func:`ios_peer_vid`; KE, HASH,
  SIG, NONCE, VID and NAT-D bodies are their bytes as they are.  :func:`chain`
  links ``(payload type, body)`` pairs through their Next Payload fields
  (RFC 2408 §3.2), :func:`prepend` puts one payload (a Quick Mode HASH) in front
  of a chain, and :func:`message` / :func:`encrypted_message` add the ISAKMP
  header (RFC 2408 §3.1), encrypting the body in CBC mode with the zero padding
  of RFC 2409 Appendix B when asked.
* **Re-encoding** takes what the decoders made: :func:`encode_payload` (a
  :class:`~dissect.payloads.Payload`, from its decoded fields, not its stored
  bytes), :func:`encode_chain` and :func:`encode_message` (a
  :class:`~dissect.isakmp.Message`; a decrypted one comes back as its
  ciphertext when given the cipher, key and IV).  For a well-formed IKEv1
  message, ``encode_message(decode_message(b)) == b``.

Keys come from ikescope's own key schedule: :func:`phase1_keys` runs RFC 2409 §5
through :mod:`dissect.keyschedule` (SKEYID for pre-shared keys, SKEYID_d/a/e, the
cipher key Ka, the Phase 1 IV), the Quick Mode hashes are
:func:`dissect.keyschedule.qm_hash1` .. ``qm_hash3``, ESP keys come from
:func:`dissect.espkeys.esp_sas`, and :func:`esp_packet` builds an ESP packet
(RFC 4303 §2) with a CBC cipher and an HMAC ICV.

Every function is pure and raises ValueError (a one-line message) for a value
that does not fit its field.
"""
from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from cryptography.hazmat.primitives import hmac

from . import keyschedule as ks, registry
from .ciphers import CipherSpec, cbc_encrypt, cipher_spec, key_bytes
from .decrypt import Phase1Keys
from .espdecrypt import BLOCK_CIPHERS, HMAC_HASHES
from .espsa import EspSa
from .isakmp import HEADER_LEN, Message
from .payloads import (Attribute, CertPayload, CiscoFragPayload, ConfigPayload, DeletePayload, IdPayload,
                       NatOaPayload, NotifyPayload, Payload, Proposal, SaPayload, Transform)

__all__ = [
    "Chain", "FLAG_ENCRYPTION", "PROTO_ISAKMP", "PROTO_ESP", "attribute", "transform", "proposal", "sa_body",
    "id_data", "id_body", "notify_body", "delete_body", "cert_body", "config_body", "nat_d_hash", "ios_peer_vid",
    "payload", "chain", "prepend", "header", "message", "padding", "encrypted_message", "last_block",
    "phase1_keys", "esp_packet", "payload_body", "encode_payload", "encode_chain", "encode_message",
]

#: ISAKMP header flag E: the payloads after the header are encrypted (RFC 2408 §3.1)
FLAG_ENCRYPTION = 0x01
#: Protocol IDs of the IPsec DOI (RFC 2407 §4.4.1)
PROTO_ISAKMP, PROTO_ESP = 1, 3
#: Substructure type of a proposal inside an SA payload, and of a transform inside a proposal (RFC 2408 §3.5-3.6)
_PROPOSAL, _TRANSFORM = 2, 3
_MAX16 = 0xFFFF


class Chain(NamedTuple):
    """A payload chain: the type of its first payload (the header's Next Payload) and its bytes."""
    first: int
    data: bytes


# --------------------------------------------------------------------------
# SA, proposals, transforms, attributes (RFC 2408 §3.3-3.6)

def attribute(attr_type: int, value: int | bytes, tv: bool | None = None) -> bytes:
    """One data attribute (RFC 2408 §3.3).

    ``value`` an int goes as TV (AF=1, two bytes) when it fits 16 bits, else as TLV in 4 bytes
    (8 beyond 32 bits) — the lifetimes IOS logs as "(basic)" and "(VPI)"; ``value`` bytes go as
    TLV as they are.  ``tv`` forces the format (a TV value must be 2 bytes or an int < 65536).
    """
    if not 0 <= attr_type <= 0x7FFF:
        raise ValueError(f"attribute type {attr_type} does not fit 15 bits")
    if isinstance(value, int):
        if not 0 <= value < 1 << 64:
            raise ValueError(f"attribute {attr_type}: value {value} does not fit 64 bits")
        tv = value <= _MAX16 if tv is None else tv
        if tv and value > _MAX16:
            raise ValueError(f"attribute {attr_type}: value {value} does not fit a TV attribute")
        raw = value.to_bytes(2 if tv else 4 if value < 1 << 32 else 8, "big")
    else:
        raw = bytes(value)
        tv = False if tv is None else tv
    if tv:
        if len(raw) != 2:
            raise ValueError(f"attribute {attr_type}: a TV value is 2 bytes, not {len(raw)}")
        return struct.pack(">H", 0x8000 | attr_type) + raw
    if len(raw) > _MAX16:
        raise ValueError(f"attribute {attr_type}: {len(raw)} bytes do not fit a TLV length")
    return struct.pack(">HH", attr_type, len(raw)) + raw


def _substructure(body: bytes) -> bytes:
    """A proposal or transform: its generic header (next 0 for now, reserved, length) and body."""
    if len(body) + 4 > _MAX16:
        raise ValueError(f"{len(body) + 4} bytes do not fit a payload length")
    return struct.pack(">BBH", 0, 0, len(body) + 4) + body


def _link(units: Sequence[bytes], more: int) -> bytes:
    """Proposals or transforms one after another: each one's next field is ``more`` (2 or 3) but the
    last one's, which is 0 (RFC 2408 §3.5-3.6)."""
    return b"".join((bytes([more]) if i < len(units) - 1 else b"\x00") + u[1:] for i, u in enumerate(units))


def transform(number: int, transform_id: int, attributes: Iterable[bytes] = ()) -> bytes:
    """A transform (RFC 2408 §3.6): number, transform ID, two reserved bytes, then the
    :func:`attribute` bytes.  Its next field is set by :func:`proposal`."""
    return _substructure(struct.pack(">BBH", number, transform_id, 0) + b"".join(attributes))


def proposal(number: int, protocol_id: int, transforms: Sequence[bytes], spi: bytes = b"",
             declared: int | None = None) -> bytes:
    """A proposal (RFC 2408 §3.5) with its SPI and :func:`transform` list; ``declared`` is the
    "# of transforms" field when it must differ from ``len(transforms)``.  Its next field is set by
    :func:`sa_body`."""
    if len(spi) > 0xFF:
        raise ValueError(f"an SPI of {len(spi)} bytes does not fit the SPI size field")
    count = len(transforms) if declared is None else declared
    return _substructure(struct.pack(">BBBB", number, protocol_id, len(spi), count) + bytes(spi)
                         + _link(transforms, _TRANSFORM))


def sa_body(proposals: Sequence[bytes], doi: int = 1, situation: int | None = 1) -> bytes:
    """The body of an SA payload (RFC 2408 §3.4, RFC 2407 §4.6.1): DOI, situation (IPsec DOI:
    SIT_IDENTITY_ONLY = 1; None leaves it out) and the :func:`proposal` list."""
    head = struct.pack(">I", doi) + (b"" if situation is None else struct.pack(">I", situation))
    return head + _link(proposals, _PROPOSAL)


# --------------------------------------------------------------------------
# ID, notify, delete, certificate, attributes payload bodies

def id_data(id_type: int, text: str) -> bytes:
    """Identification data of an ID type from its text (RFC 2407 §4.6.2.1): the inverse of
    :func:`dissect.payloads.id_text` for addresses (``2001:db8::2``), subnets (``::/0``), ranges
    (``a-b``), FQDN and user FQDN (text) and key IDs (text); raises ValueError otherwise."""
    try:
        if id_type in (1, 5):
            return _address(text, 4 if id_type == 1 else 6).packed
        if id_type in (4, 6):
            net = ipaddress.ip_network(text, strict=False)
            if net.version != (4 if id_type == 4 else 6):
                raise ValueError(f"{text} is not an IPv{4 if id_type == 4 else 6} subnet")
            return net.network_address.packed + net.netmask.packed
        if id_type in (7, 8):
            low, high = text.split("-", 1)
            version = 4 if id_type == 7 else 6
            return _address(low, version).packed + _address(high, version).packed
    except ValueError as e:
        raise ValueError(f"{registry.ID_TYPES.get(id_type, id_type)}: {e}") from None
    if id_type in (2, 3, 11):
        return text.encode("utf-8")
    raise ValueError(f"ID type {id_type}: give the identification data as bytes")


def _address(text: str, version: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    addr = ipaddress.ip_address(text.strip())
    if addr.version != version:
        raise ValueError(f"{text} is not an IPv{version} address")
    return addr


def id_body(id_type: int, data: bytes, protocol_id: int = 0, port: int = 0) -> bytes:
    """The body of an IKEv1 ID payload (RFC 2408 §3.8, RFC 2407 §4.6.2): ID type, IP protocol ID,
    port, identification data (:func:`id_data`)."""
    return struct.pack(">BBH", id_type, protocol_id, port) + bytes(data)


def notify_body(notify_type: int, protocol_id: int = PROTO_ISAKMP, spi: bytes = b"", data: bytes = b"",
                doi: int = 1) -> bytes:
    """The body of an IKEv1 Notification payload (RFC 2408 §3.14): DOI, protocol ID, SPI size,
    notify message type, SPI, notification data.  INITIAL-CONTACT (24578, RFC 2407 §4.6.3.3) carries
    the cookies CKY-I | CKY-R as its SPI."""
    if len(spi) > 0xFF:
        raise ValueError(f"an SPI of {len(spi)} bytes does not fit the SPI size field")
    return struct.pack(">IBBH", doi, protocol_id, len(spi), notify_type) + bytes(spi) + bytes(data)


def delete_body(protocol_id: int, spis: Sequence[bytes], doi: int = 1, spi_size: int | None = None) -> bytes:
    """The body of an IKEv1 Delete payload (RFC 2408 §3.15): DOI, protocol ID, SPI size, number of
    SPIs, the SPIs (all of one size; ISAKMP SAs are named by their 16-byte cookie pair)."""
    sizes = {len(s) for s in spis}
    if len(sizes) > 1:
        raise ValueError(f"SPIs of different sizes {sorted(sizes)} in one Delete payload")
    size = spi_size if spi_size is not None else (sizes.pop() if sizes else 0)
    return struct.pack(">IBBH", doi, protocol_id, size, len(spis)) + b"".join(spis)


def cert_body(encoding: int, data: bytes) -> bytes:
    """The body of a CERT or CR payload (RFC 2408 §3.9-3.10): the encoding byte and the data."""
    return bytes([encoding]) + bytes(data)


def config_body(cfg_type: int, identifier: int, attributes: Iterable[bytes] = ()) -> bytes:
    """The body of an Attributes payload (draft-dukes-ike-mode-cfg-02 §3.2): type, reserved,
    identifier, then :func:`attribute` bytes."""
    return struct.pack(">BBH", cfg_type, 0, identifier) + b"".join(attributes)


def nat_d_hash(hash_id: int, icookie: bytes, rcookie: bytes, address: str, port: int) -> bytes:
    """A NAT-D payload's body: HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash (RFC 3947 §3.2);
    the address is 4 or 16 bytes, the port 2."""
    return ks.hash_(hash_id, icookie + rcookie + ipaddress.ip_address(address).packed + struct.pack(">H", port))


def ios_peer_vid(own_cookie: bytes, tail: bytes) -> bytes:
    """The vendor ID Cisco IOS sends in Main Mode 3/4 and that makes an IOS peer log "speaking to
    another IOS box!": the sender's own cookie XOR :data:`dissect.registry.CISCO_IOS_PEER_VID_MASK`,
    then 8 bytes that vary per SA (``tail``)."""
    if len(own_cookie) != 8 or len(tail) != 8:
        raise ValueError("the IOS peer VID needs an 8-byte cookie and 8 more bytes")
    mask = registry.CISCO_IOS_PEER_VID_MASK
    return bytes(a ^ b for a, b in zip(own_cookie, mask)) + bytes(tail)


# --------------------------------------------------------------------------
# Payload chains and messages (RFC 2408 §3.1-3.2)

def payload(next_payload: int, body: bytes) -> bytes:
    """A payload with its generic header (RFC 2408 §3.2): next payload, reserved 0, length."""
    if len(body) + 4 > _MAX16:
        raise ValueError(f"a payload of {len(body) + 4} bytes does not fit the payload length")
    return struct.pack(">BBH", next_payload, 0, len(body) + 4) + bytes(body)


def chain(payloads: Sequence[tuple[int, bytes]]) -> Chain:
    """``(type, body)`` pairs linked by their Next Payload fields, the last one's NONE (0)."""
    types = [t for t, _b in payloads] + [0]
    return Chain(types[0], b"".join(payload(types[i + 1], body) for i, (_t, body) in enumerate(payloads)))


def prepend(payload_type: int, body: bytes, rest: Chain) -> Chain:
    """``rest`` with one payload in front of it (a Quick Mode HASH, computed over ``rest.data``)."""
    return Chain(payload_type, payload(rest.first, body) + rest.data)


def header(icookie: bytes, rcookie: bytes, next_payload: int, exchange_type: int, message_id: int, length: int,
           flags: int = 0, major: int = 1, minor: int = 0) -> bytes:
    """The 28-byte ISAKMP header (RFC 2408 §3.1): cookies, next payload, version, exchange type,
    flags, message ID (uint32), length of the whole message in bytes."""
    if len(icookie) != 8 or len(rcookie) != 8:
        raise ValueError("cookies are 8 bytes each")
    if not 0 <= message_id <= 0xFFFFFFFF:
        raise ValueError(f"message ID {message_id} does not fit 32 bits")
    return struct.pack(">8s8sBBBBII", icookie, rcookie, next_payload, (major << 4) | minor, exchange_type, flags,
                       message_id, length)


def message(icookie: bytes, rcookie: bytes, exchange_type: int, body: Chain, message_id: int = 0,
            flags: int = 0) -> bytes:
    """A clear IKEv1 message: header and payload chain."""
    return header(icookie, rcookie, body.first, exchange_type, message_id, HEADER_LEN + len(body.data),
                  flags) + body.data


def padding(length: int, block_size: int, minimum: int = 0) -> bytes:
    """Zero bytes that bring ``length`` to a whole number of blocks, at least ``minimum`` of them
    (RFC 2409 App. B allows any padding; Cisco and strongSwan send zeros; IOS adds a whole block
    to a body that is already aligned, ``minimum=1``)."""
    return bytes((-(length + minimum)) % block_size + minimum)


def encrypted_message(icookie: bytes, rcookie: bytes, exchange_type: int, body: Chain, cipher: CipherSpec,
                      key: bytes, iv: bytes, message_id: int = 0, pad: bytes | None = None,
                      flags: int = FLAG_ENCRYPTION) -> bytes:
    """An IKEv1 message whose payload chain is encrypted (RFC 2409 App. B): the chain and ``pad``
    (default: :func:`padding` to the cipher's block, at least one byte, as IOS does) in CBC mode with
    ``key`` and ``iv``; the header's E flag set and its length counting the ciphertext.  The next
    message of the same chain uses :func:`last_block` of this one as its IV."""
    if pad is None:
        pad = padding(len(body.data), cipher.block_size, 1)
    plain = body.data + pad
    if len(plain) % cipher.block_size:
        raise ValueError(f"{len(plain)} bytes of plaintext are not whole {cipher.block_size}-byte blocks")
    data = cbc_encrypt(cipher, key, iv, plain)
    return header(icookie, rcookie, body.first, exchange_type, message_id, HEADER_LEN + len(data), flags) + data


def last_block(encrypted: bytes, block_size: int) -> bytes:
    """The last ciphertext block of an encrypted message: the IV of the next message in its chain
    (RFC 2409 App. B)."""
    return encrypted[-block_size:]


# --------------------------------------------------------------------------
# Keys: RFC 2409 §5 through dissect.keyschedule

def phase1_keys(hash_id: int, cipher_id: int, key_length_bits: int | None, psk: bytes, ni_b: bytes, nr_b: bytes,
                g_xi: bytes, g_xr: bytes, gxy: bytes, cky_i: bytes, cky_r: bytes) -> Phase1Keys:
    """The keys of a pre-shared-key IKE SA (RFC 2409 §5, App. B): SKEYID = prf(PSK, Ni_b | Nr_b),
    SKEYID_d/a/e, the cipher key Ka (expanded when SKEYID_e is short) and the Phase 1 IV
    hash(g^xi | g^xr); ``hash_id``/``cipher_id``/``key_length_bits`` are the chosen transform's
    Hash-Algorithm, Encryption-Algorithm and Key-Length (bits) attributes.  Raises
    :class:`~dissect.keyschedule.KeyScheduleError` for an algorithm ikescope does not have."""
    cipher = cipher_spec(cipher_id)
    skeyid = ks.skeyid_psk(hash_id, psk, ni_b, nr_b)
    d = ks.skeyid_d(hash_id, skeyid, gxy, cky_i, cky_r)
    a = ks.skeyid_a(hash_id, skeyid, d, gxy, cky_i, cky_r)
    e = ks.skeyid_e(hash_id, skeyid, a, gxy, cky_i, cky_r)
    ka = ks.expand_key(hash_id, e, key_bytes(cipher, key_length_bits))
    iv = ks.phase1_iv(hash_id, g_xi, g_xr, cipher.block_size)
    return Phase1Keys(hash_id, cipher, ka, iv, "encode.phase1_keys", gxy, skeyid, d, a, e, psk_based=True)


# --------------------------------------------------------------------------
# ESP (RFC 4303 §2)

def esp_packet(sa: EspSa, seq: int, iv: bytes, data: bytes, next_header: int,
               pad_length: int | None = None) -> bytes:
    """An ESP packet from the SPI on: SPI, sequence number, IV, the CBC ciphertext of ``data`` with
    the padding RFC 4303 §2.4 prescribes (1, 2, 3, ...; ``pad_length`` bytes of it, by default the
    fewest that fill the cipher's block), pad length and next header, then the ICV: the HMAC of
    everything before it, truncated (RFC 2403/2404/4868).  ``next_header`` is 41 for an IPv6 packet
    in tunnel mode, 4 for IPv4.  CBC ciphers and NULL encryption only (AES-CTR and AES-GCM are not
    built here); raises ValueError otherwise, and for a padding that does not fill the block."""
    enc = sa.enc
    if enc.mode not in ("cbc", "null"):
        raise ValueError(f"{enc.name}: only CBC ciphers and NULL are encoded")
    block = enc.block_bytes
    count = (-(len(data) + 2)) % block if pad_length is None else pad_length
    if not 0 <= count <= 255 or (len(data) + 2 + count) % block:
        raise ValueError(f"{count} bytes of padding do not bring {len(data) + 2} bytes to whole {block}-byte blocks")
    pad = bytes(range(1, count + 1))
    plain = data + pad + bytes([len(pad), next_header])
    if enc.mode == "cbc":
        spec = BLOCK_CIPHERS.get(enc.cipher)
        if spec is None or len(iv) != enc.iv_bytes:
            raise ValueError(f"{enc.name}: no cipher, or an IV of {len(iv)} bytes instead of {enc.iv_bytes}")
        body = iv + cbc_encrypt(spec, sa.enc_key, iv, plain)
    else:
        body = plain
    packet = struct.pack(">II", sa.spi, seq) + body
    if sa.auth.hash is None:
        return packet + bytes(sa.auth.icv_bytes)
    mac = hmac.HMAC(sa.auth_key, HMAC_HASHES[sa.auth.hash]())
    mac.update(packet)
    return packet + mac.finalize()[:sa.auth.icv_bytes]


# --------------------------------------------------------------------------
# Re-encoding what the decoders made

def _attributes(attrs: Iterable[Attribute]) -> bytes:
    return b"".join(attribute(a.type, a.raw, tv=a.tv) for a in attrs)


def _transform_of(t: Transform) -> bytes:
    return transform(t.number, t.transform_id, [_attributes(t.attributes)])


def _proposal_of(p: Proposal) -> bytes:
    return proposal(p.number, p.protocol_id, [_transform_of(t) for t in p.transforms], p.spi,
                    p.declared_transforms)


def payload_body(p: Payload) -> bytes:
    """The body of a decoded IKEv1 payload, built again from its decoded fields (SA proposals,
    transforms and attributes; ID; notify; delete; CERT/CR; attributes payload; NAT-OA; Cisco
    fragment); payloads whose body is one value (KE, HASH, NONCE, VID, NAT-D, ...) are that value.
    A payload the decoder flagged with an error, and any IKEv2 payload, is its bytes as captured."""
    if p.version != 1 or any(n.severity == "error" for n in p.notes):
        return p.body
    if isinstance(p, SaPayload):
        if p.situation is None or (p.doi == 1 and p.situation & 0x06):
            return p.body  # no situation, or a labeled-domain one, which is not decoded (RFC 2407 §4.6.1)
        return sa_body([_proposal_of(q) for q in p.proposals], p.doi, p.situation)
    if isinstance(p, IdPayload):
        return id_body(p.id_type, p.id_data, p.protocol_id, p.port)
    if isinstance(p, NotifyPayload):
        return notify_body(p.notify_type, p.protocol_id, p.spi, p.data, p.doi)
    if isinstance(p, DeletePayload):
        spi_size = p.body[5] if len(p.body) > 5 else 0
        return delete_body(p.protocol_id, p.spis, p.doi, spi_size)
    if isinstance(p, CertPayload):
        return cert_body(p.encoding, p.data)
    if isinstance(p, ConfigPayload):
        return config_body(p.cfg_type, p.identifier, [_attributes(p.attributes)])
    if isinstance(p, NatOaPayload):
        address = id_data(p.id_type, p.address) if p.id_type in (1, 5) else bytes.fromhex(p.address)
        return bytes([p.id_type]) + bytes(3) + address
    if isinstance(p, CiscoFragPayload):
        return struct.pack(">HBB", p.fragment_id, p.fragment_number, 1 if p.last else 0) + p.data
    return p.body


def encode_payload(p: Payload) -> bytes:
    """A decoded payload with its generic header (RFC 2408 §3.2), Next Payload as decoded."""
    return payload(p.next_payload, payload_body(p))


def encode_chain(payloads: Sequence[Payload]) -> bytes:
    """Decoded payloads one after another, each with its own Next Payload field."""
    return b"".join(encode_payload(p) for p in payloads)


def encode_message(msg: Message, cipher: CipherSpec | None = None, key: bytes | None = None,
                   iv: bytes | None = None) -> bytes:
    """A decoded IKEv1 message as bytes again: the header from its fields, then the payload chain
    built from the decoded payloads.  An encrypted message stays its ciphertext, unless it was
    decrypted and ``cipher``, ``key`` and the ``iv`` it used are given: its payloads and its
    padding (as decrypted) are encrypted again.  Raises ValueError for a message without a header,
    for IKEv2, or for a decrypted message without its key."""
    h = msg.header
    if h is None or h.major != 1:
        raise ValueError("only IKEv1 messages with a header are encoded")
    head = header(h.icookie, h.rcookie, h.next_payload, h.exchange_type, h.message_id, h.length, h.flags,
                  h.major, h.minor)
    if msg.encrypted and not msg.decrypted:
        return head + (msg.ciphertext or b"")
    body = encode_chain(msg.payloads)
    if not msg.encrypted:
        return head + body
    if cipher is None or key is None or iv is None:
        raise ValueError("a decrypted message is encoded with its cipher, key and IV")
    plain = body + (msg.plaintext or b"")[len(msg.plaintext or b"") - (msg.padding or 0):]
    return head + cbc_encrypt(cipher, key, iv, plain)

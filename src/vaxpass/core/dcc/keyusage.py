"""Which certificate types a document signer certificate may sign, from its extended key
usage (EU DCC technical specifications, volume 1): ``1.3.6.1.4.1.1847.2021.1.1`` test,
``.2`` vaccination, ``.3`` recovery. A certificate naming none of them (or without the
extension) may sign any type. The governance guide also prints
``1.3.6.1.4.1.0.1847.2021.1.x``, which some countries used; both are read.

Read leniently: some member states' signer certificates are not strict DER (an explicit
``cA=FALSE`` default, an empty EKU sequence), and `cryptography` refuses to parse their
extensions at all. Then the extensions are walked here with a minimal DER reader, which
only needs the tag-length-value framing to be sound.
"""

from __future__ import annotations

from collections.abc import Iterator

from cryptography import x509

TYPES = ("t", "v", "r")
_USAGE_OIDS: dict[str, str] = {}
for _index, _type in enumerate(TYPES, start=1):
    _USAGE_OIDS[f"1.3.6.1.4.1.1847.2021.1.{_index}"] = _type
    _USAGE_OIDS[f"1.3.6.1.4.1.0.1847.2021.1.{_index}"] = _type
_EKU_OID = bytes.fromhex("551d25")  # 2.5.29.37, extendedKeyUsage
_SEQUENCE, _OID, _OCTET_STRING, _BOOLEAN = 0x30, 0x06, 0x04, 0x01
_EXTENSIONS = 0xA3  # [3] EXPLICIT in TBSCertificate


def allowed_types(certificate: x509.Certificate) -> frozenset[str]:
    """The DCC types ("t", "v", "r") the certificate may sign."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        dotted = [oid.dotted_string for oid in extension.value]
    except x509.ExtensionNotFound:
        dotted = []
    except ValueError:  # extensions that are not strict DER
        dotted = extended_key_usages(certificate.tbs_certificate_bytes)
    types = frozenset(_USAGE_OIDS[oid] for oid in dotted if oid in _USAGE_OIDS)
    return types or frozenset(TYPES)


def extended_key_usages(tbs_certificate: bytes) -> list[str]:
    """The EKU OIDs of a DER TBSCertificate, read without judging the rest of it."""
    try:
        ((tag, tbs),) = _elements(tbs_certificate)
        if tag != _SEQUENCE:
            return []
        for tag, content in _elements(tbs):
            if tag != _EXTENSIONS:
                continue
            ((tag, extensions),) = _elements(content)
            for _, extension in _elements(extensions):
                parts = list(_elements(extension))
                if parts and parts[0] == (_OID, _EKU_OID):
                    ((tag, usages),) = _elements(parts[-1][1])  # OCTET STRING wraps the SEQUENCE
                    return [_dotted(oid) for tag, oid in _elements(usages) if tag == _OID]
    except ValueError:
        pass
    return []


def _elements(data: bytes) -> Iterator[tuple[int, bytes]]:
    """The (tag, content) pairs of concatenated DER elements; ValueError if truncated."""
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ValueError("truncated")
        tag, length = data[offset], data[offset + 1]
        offset += 2
        if length & 0x80:
            count = length & 0x7F
            if not 0 < count <= 4 or offset + count > len(data):
                raise ValueError("bad length")
            length = int.from_bytes(data[offset : offset + count], "big")
            offset += count
        if offset + length > len(data):
            raise ValueError("truncated")
        yield tag, data[offset : offset + length]
        offset += length


def _dotted(oid: bytes) -> str:
    if not oid:
        return ""
    arcs = list(divmod(oid[0], 40)) if oid[0] < 80 else [2, oid[0] - 80]
    value = 0
    for byte in oid[1:]:
        value = value << 7 | byte & 0x7F
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(map(str, arcs))

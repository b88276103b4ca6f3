"""Subject distinguished names as a client registers them, compared with a certificate's.

RFC 8705 §2.1.2 registers ``tls_client_auth_subject_dn`` as an RFC 4514 string; Keycloak's
``x509.subjectdn`` is written the way Java prints a name (``CN=client, O=Example, C=DE``: a
space after each comma, any case in the attribute names). Both are read here. Two names are the
same when they have the same attributes in the same order, the values compared as RFC 4517's
caseIgnoreMatch does (case and runs of white space aside), as Java's X500Principal compares.

Keycloak's regular-expression form matches the whole of the certificate's subject as a string,
in either spelling (:func:`spellings`).
"""

import re

from cryptography import x509
from cryptography.x509.oid import NameOID

# The attribute names RFC 4514 §3 knows, and those Java's names use besides.
_TYPES = {
    "CN": NameOID.COMMON_NAME,
    "C": NameOID.COUNTRY_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "S": NameOID.STATE_OR_PROVINCE_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "STREET": NameOID.STREET_ADDRESS,
    "DC": NameOID.DOMAIN_COMPONENT,
    "UID": NameOID.USER_ID,
    "EMAILADDRESS": NameOID.EMAIL_ADDRESS,
    "E": NameOID.EMAIL_ADDRESS,
    "SERIALNUMBER": NameOID.SERIAL_NUMBER,
    "T": NameOID.TITLE,
    "TITLE": NameOID.TITLE,
    "GIVENNAME": NameOID.GIVEN_NAME,
    "SN": NameOID.SURNAME,
    "SURNAME": NameOID.SURNAME,
    "INITIALS": NameOID.INITIALS,
    "GENERATION": NameOID.GENERATION_QUALIFIER,
    "DNQUALIFIER": NameOID.DN_QUALIFIER,
    "PSEUDONYM": NameOID.PSEUDONYM,
    "BUSINESSCATEGORY": NameOID.BUSINESS_CATEGORY,
    "POSTALCODE": NameOID.POSTAL_CODE,
}
_OID = re.compile(r"(?:OID\.)?([0-2](?:\.[0-9]+)+)", re.IGNORECASE)
_HEX = re.compile(r"[0-9A-Fa-f]{2}")
# The names Java prints where cryptography would print the dotted OID.
_JAVA_NAMES = {NameOID.EMAIL_ADDRESS: "EMAILADDRESS", NameOID.SERIAL_NUMBER: "SERIALNUMBER"}

Canonical = tuple[frozenset[tuple[str, str]], ...]


def parse(text: str) -> Canonical:
    """The name ``text`` names, most specific RDN first; ValueError when it is no name."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the distinguished name is empty")
    rdns = []
    for rdn in _split(text, ",;"):
        pairs = set()
        for atav in _split(rdn, "+"):
            kind, equals, value = atav.partition("=")
            if not equals:
                raise ValueError(f"{atav.strip()!r} is not TYPE=value")
            pairs.add((_oid(kind.strip()), _normal(_unescape(value))))
        rdns.append(frozenset(pairs))
    return tuple(rdns)


def canonical(name: x509.Name) -> Canonical:
    """A certificate's name as :func:`parse` reads its string: most specific RDN first."""
    return tuple(
        frozenset(
            (attribute.oid.dotted_string, _normal(_text(attribute.value))) for attribute in rdn
        )
        for rdn in reversed(name.rdns)
    )


def same(registered: str, name: x509.Name) -> bool:
    """Whether the registered name is the certificate's ``name``."""
    try:
        return parse(registered) == canonical(name)
    except ValueError:
        return False


def spellings(name: x509.Name) -> tuple[str, str]:
    """The name as RFC 4514 writes it (``CN=a,O=b``) and as Java prints it (``CN=a, O=b``):
    a pattern written for either matches."""
    rdns = [rdn.rfc4514_string(_JAVA_NAMES) for rdn in reversed(name.rdns)]
    return ",".join(rdns), ", ".join(rdns)


def _split(text: str, separators: str) -> list[str]:
    """``text`` cut at each separator that is neither escaped nor quoted."""
    parts, start, index, quoted = [], 0, 0, False
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif char in separators and not quoted:
            parts.append(text[start:index])
            start = index + 1
        index += 1
    if quoted:
        raise ValueError("a quoted value is not closed")
    parts.append(text[start:])
    return parts


def _oid(kind: str) -> str:
    known = _TYPES.get(kind.upper())
    if known is not None:
        return known.dotted_string
    dotted = _OID.fullmatch(kind)
    if dotted is None:
        raise ValueError(f"{kind!r} is not an attribute type")
    return dotted.group(1)


def _unescape(raw: str) -> str:
    """RFC 4514 §3: ``\\`` before a special character or two hex digits (a UTF-8 byte); RFC 1779's
    quoted values too. BER-encoded values (``#04...``) are not read."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    elif value.startswith("#"):
        raise ValueError("hex-encoded (#...) values are not supported")
    found = bytearray()
    index = 0
    while index < len(value):
        char = value[index]
        if char != "\\":
            found += char.encode("utf-8")
            index += 1
            continue
        pair = value[index + 1 : index + 3]
        if _HEX.fullmatch(pair):
            found += bytes.fromhex(pair)
            index += 3
        elif index + 1 < len(value):
            found += value[index + 1].encode("utf-8")
            index += 2
        else:
            raise ValueError("a backslash ends the value")
    try:
        return found.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("escaped bytes that are not UTF-8") from None


def _normal(value: str) -> str:
    return " ".join(value.split()).casefold()


def _text(value) -> str:
    return value if isinstance(value, str) else bytes(value).hex()

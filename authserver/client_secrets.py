"""How strong a client secret chosen by hand must be: about as strong as a generated one.

A secret is as strong as the guesses it takes, and only its form can be judged here: its
length times the bits each character carries in the alphabet it draws on (letters of either
case, digits, anything else), at least ``MIN_BITS``, or at least ``RANDOM_LENGTH`` characters;
and it must look drawn at random: enough distinct characters for its length and alphabet, no
run of repeated or consecutive characters, no part repeated. Generated secrets (the console's,
the admin API's, ``secrets.token_urlsafe(32)``, Keycloak's) pass by far; a random hex string
of 32 digits (128 bits) passes. A passphrase of dictionary words is not recognised as one.
"""

import itertools
import math
import string

MIN_BITS = 128
RANDOM_LENGTH = 32
# (characters, how many there are) of each part of the alphabet; any other character counts
# as one of the printable ASCII punctuation (and space).
_ALPHABETS = (
    (frozenset(string.ascii_lowercase), 26),
    (frozenset(string.ascii_uppercase), 26),
    (frozenset(string.digits), 10),
)
_OTHER = 33
# A string of hex digits alone (one case) draws on 16 characters, not on all letters and digits.
_HEX = (frozenset("0123456789abcdef"), frozenset("0123456789ABCDEF"))
# A random string of this many characters or more in a row with one step between neighbours
# (aaaaaa, abcdef, 987654) is one in tens of thousands even for 64 hex digits.
_RUN = 6
# Likewise a repeated part this long.
_REPEAT = 6


def _alphabet_size(secret: str) -> int:
    digits = set(secret) - {"-"}  # a UUID's dashes only separate its hex digits
    if digits and any(digits <= hex_digits for hex_digits in _HEX):
        return 16
    size = sum(count for chars, count in _ALPHABETS if any(c in chars for c in secret))
    known = frozenset().union(*(chars for chars, _ in _ALPHABETS))
    if any(c not in known for c in secret):
        size += _OTHER
    return size


def bits(secret: str) -> float:
    """The entropy ``secret`` would have, were each character drawn at random from its alphabet."""
    if not secret:
        return 0.0
    return len(secret) * math.log2(_alphabet_size(secret))


def _too_few_distinct(secret: str, size: int) -> bool:
    """Fewer than half the distinct characters that a random draw of this length from this
    alphabet has on average."""
    expected = size * (1 - (1 - 1 / size) ** len(secret))
    return len(set(secret)) < expected / 2


def _has_run(secret: str) -> bool:
    run, previous = 1, None
    for a, b in itertools.pairwise(secret):
        step = ord(b) - ord(a)
        if abs(step) > 1:
            run = 1
        elif step == previous:
            run += 1
        else:
            run = 2
        previous = step
        if run >= _RUN:
            return True
    return False


def _has_repeat(secret: str) -> bool:
    seen = set()
    for start in range(len(secret) - _REPEAT + 1):
        part = secret[start : start + _REPEAT]
        if part in seen:
            return True
        seen.add(part)
    return False


def weakness(secret: str) -> str | None:
    """Why ``secret`` is too weak to be a client secret, or None when it is strong enough."""
    estimate = bits(secret)
    if estimate < MIN_BITS and len(secret) < RANDOM_LENGTH:
        return (
            f"is too weak: {len(secret)} characters of this kind carry about {int(estimate)} "
            f"bits, and a client secret needs {MIN_BITS} (for example {RANDOM_LENGTH} random "
            "letters and digits); leave it out to have one generated"
        )
    if _too_few_distinct(secret, _alphabet_size(secret)) or _has_run(secret) or _has_repeat(secret):
        return (
            "is too weak: it has repeated or consecutive characters, as a random secret "
            "hardly ever does; leave it out to have one generated"
        )
    return None

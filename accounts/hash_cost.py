"""The most work one password-hash verification may cost, and the check of a hash against it.

A stored hash carries its own cost (PBKDF2 iterations, Argon2 memory and passes), and whoever
writes it chooses that cost: a realm file, the admin API and an old database row may all hold a
hash that takes minutes to verify, and anyone may make the server verify it by logging in with a
wrong password. So a hash beyond these bounds is refused where it comes in, and refused unverified
(as a wrong password) where it is checked.

The bounds leave generous headroom above OWASP's Password Storage Cheat Sheet and accept what
Django and Keycloak make by default; at the bound, one verification takes about 0.3 s on a
loaded 2-core host (about 0.02 s at the parameters this server hashes with):

- PBKDF2-HMAC-SHA256: OWASP asks for 600,000 iterations, Django 5.2 makes 1,000,000 and Django 6
  1,200,000, Keycloak 27,500 (before version 24) or 600,000. Bound: 1,300,000 iterations of
  each 32-byte block of the derived key (work grows with both).
- Argon2: OWASP's settings all amount to 35-46 MiB of memory filled once per pass (m=19 MiB, t=2,
  p=1 is what this server makes), Django's default is m=100 MiB, t=2, p=8, Keycloak's
  m=7 MiB, t=5, p=1. Work grows with memory x passes: bound 200 MiB-passes (Django's default,
  over four times OWASP's), and at most 16 lanes (each lane is a thread).
"""

PBKDF2_SHA256_MAX_ITERATIONS = 1_300_000
PBKDF2_SHA256_BLOCK_BYTES = 32
ARGON2_MAX_MEMORY_PASSES_KIB = 200 * 1024
ARGON2_MAX_PARALLELISM = 16


def pbkdf2_sha256_excess(iterations: int, key_bytes: int) -> str | None:
    """Why a PBKDF2-HMAC-SHA256 of ``iterations`` and a ``key_bytes`` key costs too much, or
    None when it does not."""
    blocks = max(1, -(-key_bytes // PBKDF2_SHA256_BLOCK_BYTES))
    if iterations < 1:
        return "its iteration count must be a positive whole number"
    if iterations * blocks > PBKDF2_SHA256_MAX_ITERATIONS:
        work = f"{iterations} iterations" + (f" x {blocks} key blocks" if blocks > 1 else "")
        return _too_costly(work, f"{PBKDF2_SHA256_MAX_ITERATIONS} iterations")
    return None


def argon2_excess(*, memory_kib: int, passes: int, lanes: int) -> str | None:
    """Why an Argon2 hash of ``memory_kib`` KiB, ``passes`` (t) and ``lanes`` (p) costs too
    much, or None when it does not."""
    if min(memory_kib, passes, lanes) < 1:
        return "its memory, passes and parallelism must be positive whole numbers"
    if memory_kib * passes > ARGON2_MAX_MEMORY_PASSES_KIB:
        return _too_costly(
            f"m={memory_kib} KiB x t={passes}",
            f"{ARGON2_MAX_MEMORY_PASSES_KIB} KiB of memory x passes",
        )
    if lanes > ARGON2_MAX_PARALLELISM:
        return _too_costly(f"p={lanes}", f"p={ARGON2_MAX_PARALLELISM}")
    return None


def _too_costly(work: str, bound: str) -> str:
    return f"costs more to verify than this server allows ({work}; at most {bound})"

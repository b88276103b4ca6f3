"""What an import tells the operator besides its errors: the client secrets given in clear that
are weaker than the console or the admin API would take (imported all the same, so a realm
moving from elsewhere keeps working; the operator is told to replace them), the secrets made
afresh for clients whose file had none or a masked one, and the fields it did not use, grouped
by kind."""

import re
from collections import Counter, defaultdict

from authserver import client_secrets
from authserver.realmfile.errors import member, quote
from authserver.realmfile.schema import RealmSpec

# The last step of a JSON path: ".key", '["odd.key"]' or "[3]".
_LAST_STEP = re.compile(
    r'^(?P<parent>.*?)(?:\.(?P<key>[A-Za-z_][\w-]*)|\[(?P<quoted>".*")\]|\[(?P<index>\d+)\])$'
)
_INDEX = re.compile(r"\[\d+\]")


def weak_secrets(spec: RealmSpec) -> tuple[str, ...]:
    """One line per weak client secret of ``spec``, naming it by its JSON path."""
    found = []
    for client in spec.clients:
        problem = (
            client.secret is not None
            and not client.generated_secret
            and client_secrets.weakness(client.secret)
        )
        if problem:
            found.append(f"{member(client.path, 'secret')} {problem}")
    return tuple(found)


def new_secrets(spec: RealmSpec) -> tuple[tuple[str, str], ...]:
    """(``clients[i] "client-id"``, secret) for each secret made on reading: shown once."""
    return tuple(
        (f"{client.path} {quote(client.client_id)}", client.secret)
        for client in spec.clients
        if client.generated_secret and client.secret is not None
    )


def ignored_by_kind(paths: tuple[str, ...]) -> list[str]:
    """The ignored fields as lines of a readable block: one line per kind of object (its path
    without indexes), each field named once with how many times it was met."""
    kinds: dict[str, Counter] = defaultdict(Counter)
    for path in paths:
        step = _LAST_STEP.match(path)
        if step is None:
            kinds["(realm)"][path] += 1
            continue
        parent = _INDEX.sub("[]", step["parent"]) or "(realm)"
        leaf = step["key"] or step["quoted"] or "[items]"
        kinds[parent][leaf] += 1
    lines = []
    for kind, fields in kinds.items():
        listed = ", ".join(
            name if count == 1 else f"{name} (x{count})" for name, count in fields.items()
        )
        lines.append(f"{kind}: {listed}")
    return lines

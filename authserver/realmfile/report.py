"""What an import tells the operator besides its errors and ignored fields: the client secrets
given in clear that are weaker than the console or the admin API would take. They are imported
all the same (a realm moving from elsewhere keeps working); the operator is told to replace
them."""

from authserver import client_secrets
from authserver.realmfile.errors import member
from authserver.realmfile.schema import RealmSpec


def weak_secrets(spec: RealmSpec) -> tuple[str, ...]:
    """One line per weak client secret of ``spec``, naming it by its JSON path."""
    found = []
    for client in spec.clients:
        problem = client.secret is not None and client_secrets.weakness(client.secret)
        if problem:
            found.append(f"{member(client.path, 'secret')} {problem}")
    return tuple(found)

"""Which user of a realm a name typed at a login (or a forgotten-password form) names, and
whether an address is free for another user.

A name is the username; or, where the realm lets users sign in with their e-mail address
(Keycloak's ``loginWithEmailAllowed``, on by default) and no two users may share one
(``duplicateEmailsAllowed`` off, the default), a name with an ``@`` is looked up as an address
first, as Keycloak does. While duplicates are not allowed, an address (compared without regard
to case) is one user's only: the console, the admin API, registration, the account console and
the realm file's import all ask ``email_taken``.
"""

from accounts import rows
from accounts.models import Realm, User
from accounts.realms import for_realm

EMAIL_TAKEN = "Another user of this realm has this e-mail address."

# Every login asks it: built once (accounts/rows.py), where the ORM compiled it per login.
_BY_USERNAME = rows.JoinedSelect(User, (), "a.realm_id = %s AND a.username = %s")


def find(realm: Realm, name: str, users=None) -> User | None:
    """The user ``name`` names in ``realm``, among ``users`` (a queryset of the realm's users;
    all of them by default), with ``realm`` as its realm."""
    if "@" in name and realm.email_login:
        by_email = for_realm(User, realm) if users is None else users
        matches = list(by_email.filter(email__iexact=name)[:2])
        if len(matches) == 1:
            return _in(realm, matches[0])
    if users is None:
        return _in(realm, _BY_USERNAME.one([realm.pk, name]))
    return _in(realm, users.filter(username=name).first())


def _in(realm: Realm, user: User | None) -> User | None:
    if user is not None:
        User._meta.get_field("realm").set_cached_value(user, realm)
    return user


def email_taken(realm: Realm, email: str, *, other_than: User | None = None) -> bool:
    """Whether ``email`` is another user's while the realm allows no duplicates."""
    if not email or realm.duplicate_emails_allowed:
        return False
    users = for_realm(User, realm).filter(email__iexact=email)
    if other_than is not None and other_than.pk is not None:
        users = users.exclude(pk=other_than.pk)
    return users.exists()

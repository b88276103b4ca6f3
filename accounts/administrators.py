"""Who administers which realm in the console.

A superuser administers every realm. Any other console user (``is_staff``, in the master realm)
administers only the realms in ``User.administered_realms``: Django's permissions say what they
may do, this says where. Every console page of a realm-owned object asks here.
"""

from django.db.models import QuerySet

from accounts.models import MASTER_REALM, Realm, User


def administered_realms(user: User) -> QuerySet[Realm]:
    """The realms ``user`` may see and change in the console (none for a non-console user)."""
    if not user.is_active or not user.is_staff or user.realm.name != MASTER_REALM:
        return Realm.objects.none()
    if user.is_superuser:
        return Realm.objects.all()
    return user.administered_realms.all()


def administered_realm_ids(user: User) -> frozenset[int]:
    """The primary keys of ``administered_realms(user)``, read once per request: a console page
    asks for every model admin on it (Django's ``_perm_cache`` does the same for permissions).
    Only superusers change console rights, and they administer every realm anyway."""
    if not hasattr(user, "_administered_realm_ids"):
        ids = administered_realms(user).values_list("pk", flat=True)
        user._administered_realm_ids = frozenset(ids)
    return user._administered_realm_ids


def _is_console_superuser(user: User) -> bool:
    return user.is_active and user.is_staff and user.is_superuser


def administers(user: User, realm_id: int | None) -> bool:
    """Whether ``user`` administers the realm with primary key ``realm_id``."""
    if realm_id is None:
        # Objects of no realm (installation-wide audit events) are the superusers' alone.
        return _is_console_superuser(user)
    if _is_console_superuser(user) and user.realm.name == MASTER_REALM:
        return True  # every realm, including one created in this very request
    return realm_id in administered_realm_ids(user)


def administers_any(user: User) -> bool:
    return _is_console_superuser(user) or bool(administered_realm_ids(user))

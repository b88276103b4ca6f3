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


def administers(user: User, realm_id: int | None) -> bool:
    """Whether ``user`` administers the realm with primary key ``realm_id``."""
    if realm_id is None:
        # Objects of no realm (installation-wide audit events) are the superusers' alone.
        return user.is_active and user.is_staff and user.is_superuser
    return administered_realms(user).filter(pk=realm_id).exists()

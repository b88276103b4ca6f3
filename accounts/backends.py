"""Authentication against one realm's users, equal in time whether the user exists or not."""

from datetime import timedelta

from django.contrib.auth.backends import BaseBackend
from django.utils import timezone

from accounts.models import MASTER_REALM, User

# Keycloak's defaults: after failureFactor failures, wait before trying again.
LOCKOUT_WAIT = timedelta(minutes=15)


def is_locked_out(user: User, now) -> bool:
    realm = user.realm
    return (
        realm.brute_force_protected
        and user.failed_logins >= realm.failure_factor
        and user.last_failed_login is not None
        and now - user.last_failed_login < LOCKOUT_WAIT
    )


def _record_failure(user: User, now) -> None:
    User.objects.filter(pk=user.pk).update(
        failed_logins=user.failed_logins + 1, last_failed_login=now
    )


class RealmBackend(BaseBackend):
    """``authenticate(request, username=..., password=..., realm=...)``.

    Without a realm it authenticates console users, who live in the ``master`` realm.
    """

    def authenticate(self, request, username=None, password=None, realm=None, **kwargs):
        if username is None or password is None:
            return None
        lookup = {"realm": realm} if realm is not None else {"realm__name": MASTER_REALM}
        try:
            user = User.objects.select_related("realm").get(username=username, **lookup)
        except User.DoesNotExist:
            # Hash anyway, so an unknown username costs what a wrong password costs.
            User().set_password(password)
            return None
        now = timezone.now()
        if is_locked_out(user, now):
            user.check_password(password)
            return None
        if not user.check_password(password):
            if user.realm.brute_force_protected:
                _record_failure(user, now)
            return None
        if not user.is_active or not user.realm.enabled:
            return None
        if user.failed_logins:
            User.objects.filter(pk=user.pk).update(failed_logins=0, last_failed_login=None)
        return user

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("realm").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if user.is_active else None

    # Console permissions: superusers have all; others what Django's permission tables grant.
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            from django.contrib.auth.backends import ModelBackend

            user_obj._perm_cache = ModelBackend().get_all_permissions(user_obj)
        return user_obj._perm_cache

    def has_perm(self, user_obj, perm, obj=None):
        return user_obj.is_active and perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return user_obj.is_active and any(
            perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj)
        )

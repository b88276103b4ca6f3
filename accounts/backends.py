"""Authentication against one realm's users, equal in time whether the user exists or not."""

from datetime import timedelta

from django.contrib.auth.backends import ModelBackend
from django.db.models import F
from django.utils import timezone

from accounts import login_names, otp, passkeys, passwords
from accounts.models import MASTER_REALM, Realm, User

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


def record_failure(user: User, now) -> None:
    # Counted in the database: concurrent wrong guesses each count.
    User.objects.filter(pk=user.pk).update(
        failed_logins=F("failed_logins") + 1, last_failed_login=now
    )


def reset_failures(user: User) -> None:
    User.objects.filter(pk=user.pk).update(failed_logins=0, last_failed_login=None)


class RealmBackend(ModelBackend):
    """``authenticate(request, username=..., password=..., realm=...)``: ``username`` is the
    username, or the e-mail address where the realm allows it (accounts.login_names).

    Without a realm it authenticates console users, who live in the ``master`` realm. Console
    permissions are Django's (ModelBackend): superusers have all, others what its tables grant.
    """

    def authenticate(self, request, username=None, password=None, realm=None, **kwargs):
        if username is None or password is None:
            return None
        if realm is None:
            realm = Realm.objects.filter(name=MASTER_REALM).first()
        user = login_names.find(realm, username) if realm is not None else None
        if user is None:
            # Hash anyway, so an unknown username costs what a wrong password costs.
            passwords.spend_default_work(password)
            return None
        now = timezone.now()
        if is_locked_out(user, now):
            # The stored hash is not verified, whatever it costs: a locked account costs what
            # an unknown user costs, and guessing on is worth nothing.
            passwords.spend_default_work(password)
            return None
        if not passwords.check(user, password):
            if user.realm.brute_force_protected:
                record_failure(user, now)
            return None
        if not user.is_active or not user.realm.enabled:
            return None
        # With a one-time code still to come, the count is cleared only once it is right
        # (accounts.step_views): a known password must not reset the guesses at the code.
        if user.failed_logins and not (otp.is_required(user) or passkeys.has_passkey(user)):
            reset_failures(user)
        return user

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("realm").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if user.is_active else None

from django.contrib.auth.base_user import BaseUserManager


class UserManager(BaseUserManager):
    """Creates users in a realm; console superusers go to the ``master`` realm by default."""

    use_in_migrations = True

    def get_by_natural_key(self, realm_name, username=None):
        if username is None:  # Django's own callers pass only the username: the console realm.
            realm_name, username = self._master_realm_name(), realm_name
        return self.get(realm__name=realm_name, username=username)

    def create_user(self, username, password=None, *, realm=None, **fields):
        realm = realm or self._master_realm()
        user = self.model(realm=realm, username=username, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **fields)

    @staticmethod
    def _master_realm_name():
        from accounts.models import MASTER_REALM

        return MASTER_REALM

    def _master_realm(self):
        from accounts.models import MASTER_REALM, Realm

        # Console accounts hold every realm: wrong passwords lock them out for a while.
        realm, _ = Realm.objects.get_or_create(
            name=MASTER_REALM,
            defaults={"display_name": "Administration", "brute_force_protected": True},
        )
        return realm

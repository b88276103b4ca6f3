from django.db import migrations


def protect_master_realm(apps, schema_editor):
    """The master realm's console accounts are locked out after repeated wrong passwords, as a
    master realm created from now on is."""
    Realm = apps.get_model("accounts", "Realm")
    Realm.objects.filter(name="master").update(brute_force_protected=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_administered_realms"),
    ]

    operations = [
        migrations.RunPython(protect_master_realm, migrations.RunPython.noop),
    ]

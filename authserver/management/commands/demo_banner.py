import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

DEMO_FILE = Path(settings.BASE_DIR) / "deploy" / "demo-realm.json"


class Command(BaseCommand):
    help = "Print where to log in to the demo realm, and with which demo credentials."

    def handle(self, *args, **options):
        realm = json.loads(DEMO_FILE.read_text())
        issuer = f"{settings.AUTHSERVER_URL}/realms/{realm['realm']}"
        lines = [
            "",
            f"authserver is starting on {settings.AUTHSERVER_URL}",
            f"  Log in to the demo realm:  {issuer}/login",
            f"  Discovery document:        {issuer}/.well-known/openid-configuration",
            "  Demo users (from deploy/demo-realm.json):",
        ]
        for user in realm.get("users", []):
            for credential in user.get("credentials", []):
                if credential.get("type") == "password" and "value" in credential:
                    lines.append(f"    {user['username']:<8} password {credential['value']}")
        lines += [
            f"  Admin console:             {settings.AUTHSERVER_URL}/admin/",
            "    create a console account:  .venv/bin/python manage.py createsuperuser",
            "",
        ]
        self.stdout.write("\n".join(lines))

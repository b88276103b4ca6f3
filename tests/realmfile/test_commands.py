"""The import_realm and export_realm management commands: output, warnings and exit status."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Realm, User
from authserver.management.commands.import_realm import Command as ImportRealm
from authserver.models import Client
from tests import hashers
from tests.realmfile.documents import DEMO_FILE, quick_demo, small, snapshot, write

pytestmark = pytest.mark.django_db


def run(*args, stdin=None) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    options = {"stdin": stdin} if stdin is not None else {}
    call_command(*args, stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def test_it_imports_a_file_and_says_what_it_imported():
    stdout, stderr = run("import_realm", str(DEMO_FILE))
    assert stdout == 'Imported realm "demo": 3 user(s), 3 client(s), 3 declared client scope(s).\n'
    # The demo's secrets are for local use, and said to be weak.
    assert [line.split(" is too weak")[0] for line in stderr.splitlines()] == [
        "warning: clients[0].secret",
        "warning: clients[2].secret",
    ]
    assert User.objects.filter(realm__name="demo").count() == 3


def test_it_imports_from_standard_input():
    stdout, _ = run("import_realm", "-", stdin=io.StringIO(json.dumps(small())))
    assert stdout.startswith('Imported realm "small"')
    assert Realm.objects.filter(name="small").exists()


def test_it_warns_once_about_unknown_fields(tmp_path):
    document = small(id="x1", attributes={})
    document["users"][0]["notBefore"] = 0
    _, stderr = run("import_realm", write(tmp_path, document))
    assert stderr == (
        "warning: ignored 3 unknown field(s), by kind:\n"
        "  (realm): id, attributes\n"
        "  users[]: notBefore\n"
    )
    assert Realm.objects.filter(name="small").exists()


STRONG = "tZ3-pQ9vLk2_Wm7xRb4YcN8sJd6HfA1e"


def test_it_warns_about_a_weak_client_secret_and_imports_it(tmp_path):
    document = small()
    document["clients"] = [
        {"clientId": "weak", "secret": "weak-secret", "standardFlowEnabled": False},
        {"clientId": "strong", "secret": STRONG, "standardFlowEnabled": False},
    ]
    _, stderr = run("import_realm", write(tmp_path, document))
    (line,) = stderr.splitlines()
    assert line.startswith("warning: clients[0].secret is too weak: 11 characters")
    assert Client.objects.filter(realm__name="small", client_id="weak").exists()


def test_it_refuses_an_existing_realm_without_overwrite(tmp_path):
    path = write(tmp_path, quick_demo())
    run("import_realm", path)
    before = snapshot()
    with pytest.raises(CommandError) as raised:
        run("import_realm", path)
    assert str(raised.value) == (
        'realm: realm "demo" already exists; use --overwrite to replace it'
    )
    assert snapshot() == before


def test_it_replaces_an_existing_realm_with_overwrite(tmp_path):
    run("import_realm", write(tmp_path, quick_demo()))
    document = quick_demo()
    document["displayName"] = "Demo, again"
    stdout, _ = run("import_realm", write(tmp_path, document, "again.json"), "--overwrite")
    assert stdout.startswith('Imported realm "demo"')
    assert Realm.objects.get(name="demo").display_name == "Demo, again"


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"realm": "demo",', "not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"realm": "demo", "users": [{"username": 7}]}', "users[0].username: expected a string"),
    ],
    ids=["bad-json", "wrong-type"],
)
def test_it_fails_with_the_path_of_the_problem(tmp_path, text, message):
    with pytest.raises(CommandError) as raised:
        run("import_realm", write(tmp_path, text))
    assert str(raised.value).startswith(message)
    assert not Realm.objects.exists()


def test_it_fails_on_a_missing_file(tmp_path):
    with pytest.raises(CommandError) as raised:
        run("import_realm", str(tmp_path / "missing.json"))
    assert (
        str(raised.value) == f"cannot read {tmp_path / 'missing.json'}: No such file or directory"
    )


def test_it_exports_json_that_imports_back(tmp_path):
    run("import_realm", write(tmp_path, quick_demo()))
    exported, _ = run("export_realm", "demo")
    assert exported.startswith('{\n  "realm": "demo",\n  "enabled": true,')
    document = json.loads(exported)
    assert [user["username"] for user in document["users"]][:2] == ["alice", "bob"]
    run("import_realm", write(tmp_path, exported, "exported.json"), "--overwrite")
    again, _ = run("export_realm", "demo")
    assert again == exported


def test_it_fails_to_export_an_unknown_realm():
    with pytest.raises(CommandError) as raised:
        run("export_realm", "ghost")
    assert str(raised.value) == 'realm "ghost" does not exist'


def test_it_prints_one_error_line_and_exits_non_zero_on_the_command_line(tmp_path):
    path = write(tmp_path, '{"realm": "demo", "enabled": "yes"}')
    stdout, stderr = io.StringIO(), io.StringIO()
    command = ImportRealm(stdout=stdout, stderr=stderr)
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "import_realm", path])
    assert exited.value.code == 1
    assert stderr.getvalue() == "error: enabled: expected true or false, not a string\n"
    assert stdout.getvalue() == ""


def test_it_leaves_an_existing_realm_alone_with_skip_existing(tmp_path):
    import io
    import json

    from django.core.management import call_command

    from accounts.models import Realm, User

    path = tmp_path / "realm.json"
    path.write_text(json.dumps({"realm": "kept", "users": [{"username": "ann"}]}))
    call_command("import_realm", str(path), stdout=io.StringIO())
    User.objects.filter(username="ann").update(first_name="Changed")
    out = io.StringIO()
    call_command("import_realm", str(path), "--skip-existing", stdout=out)
    assert "left as it is" in out.getvalue()
    assert Realm.objects.filter(name="kept").count() == 1
    assert User.objects.get(username="ann").first_name == "Changed"


def test_it_fails_on_a_password_hash_that_costs_too_much_to_verify(tmp_path):
    document = small()
    costly = hashers.BEYOND_THE_BOUND["argon2-memory"]
    document["users"][0]["credentials"] = [{"type": "password", "hashedValue": costly}]
    with pytest.raises(CommandError) as raised:
        run("import_realm", write(tmp_path, document))
    assert str(raised.value) == (
        "users[0].credentials[0].hashedValue: costs more to verify than this server allows "
        "(m=204801 KiB x t=1; at most 204800 KiB of memory x passes)"
    )
    assert not Realm.objects.exists()

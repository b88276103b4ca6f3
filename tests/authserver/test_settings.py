"""Configuration comes from the environment and fails loudly on bad values."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from authserver import env

ROOT = Path(__file__).resolve().parents[2]


def _run(code: str, tmp_path, environment: dict):
    """Run ``code`` in a fresh interpreter with only ``environment`` set (and PATH)."""
    base = {"PATH": os.environ["PATH"], "AUTHSERVER_VAR_DIR": str(tmp_path)}
    base["DJANGO_SETTINGS_MODULE"] = "authserver.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
        check=False,
    )


def settings_in_subprocess(tmp_path, **environment):
    """Import the settings module in a fresh interpreter with only ``environment`` set."""
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps({'url': settings.AUTHSERVER_URL, 'secure': settings.SECURE, "
        "'engine': settings.DATABASES['default']['ENGINE'], "
        "'cache': settings.CACHES['default']['BACKEND'], "
        "'hsts': getattr(settings, 'SECURE_HSTS_SECONDS', 0), "
        "'cookie_secure': settings.SESSION_COOKIE_SECURE}))"
    )
    return _run(code, tmp_path, environment)


def test_it_defaults_to_sqlite_under_var_and_an_in_process_cache(tmp_path):
    result = settings_in_subprocess(tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"engine": "django.db.backends.sqlite3"' in result.stdout
    assert "LocMemCache" in result.stdout
    assert (tmp_path / "secret_key").exists()
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_it_keeps_the_generated_secret_key_across_restarts(tmp_path):
    settings_in_subprocess(tmp_path)
    first = (tmp_path / "secret_key").read_text()
    settings_in_subprocess(tmp_path)
    assert (tmp_path / "secret_key").read_text() == first


def test_it_uses_redis_and_postgres_when_configured(tmp_path):
    result = settings_in_subprocess(
        tmp_path,
        DATABASE_URL="postgres://u@127.0.0.1:5432/db",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql" in result.stdout
    assert "django_redis.cache.RedisCache" in result.stdout


def test_it_requires_secrets_for_https_without_debug(tmp_path):
    result = settings_in_subprocess(tmp_path, AUTHSERVER_URL="https://auth.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_it_turns_on_https_protections_for_an_https_url(tmp_path):
    result = settings_in_subprocess(
        tmp_path,
        AUTHSERVER_URL="https://auth.example.com",
        DJANGO_SECRET_KEY="x" * 50,
        AUTHSERVER_KEY_ENCRYPTION_KEY="y" * 50,
    )
    assert result.returncode == 0, result.stderr
    assert '"secure": true' in result.stdout
    assert '"hsts": 31536000' in result.stdout
    assert '"cookie_secure": true' in result.stdout


def test_it_refuses_a_malformed_url(tmp_path):
    result = settings_in_subprocess(tmp_path, AUTHSERVER_URL="auth.example.com")
    assert result.returncode != 0
    assert "AUTHSERVER_URL" in result.stderr


def test_it_reads_a_secret_from_a_file(tmp_path, monkeypatch):
    path = tmp_path / "secret"
    path.write_text("from-a-file\n")
    monkeypatch.delenv("EXAMPLE_SECRET", raising=False)
    monkeypatch.setenv("EXAMPLE_SECRET_FILE", str(path))
    assert env.secret("EXAMPLE_SECRET") == "from-a-file"


def test_it_refuses_a_malformed_boolean(monkeypatch):
    monkeypatch.setenv("EXAMPLE_FLAG", "maybe")
    with pytest.raises(env.ConfigurationError, match="EXAMPLE_FLAG"):
        env.boolean("EXAMPLE_FLAG")


def _database_options(tmp_path, **environment):
    code = (
        "import django, json; from django.conf import settings; django.setup(); "
        "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    )
    return _run(code, tmp_path, environment)


def test_it_bounds_connecting_locking_and_statements_on_postgres(tmp_path):
    result = _database_options(tmp_path, DATABASE_URL="postgres://u@127.0.0.1:5432/db")
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    assert options["connect_timeout"] == 3
    assert options["options"] == "-c statement_timeout=5s -c lock_timeout=3s"


def test_it_reads_the_database_bounds_from_the_environment(tmp_path):
    result = _database_options(
        tmp_path,
        DATABASE_URL="postgres://u@127.0.0.1:5432/db?options=-c%20search_path%3Dauth",
        AUTHSERVER_DB_CONNECT_TIMEOUT="5",
        AUTHSERVER_DB_STATEMENT_TIMEOUT="0",
        AUTHSERVER_DB_LOCK_TIMEOUT="10",
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    assert options["connect_timeout"] == 5
    # The URL's own options come last, and so win where they set the same parameter.
    assert options["options"] == "-c statement_timeout=0s -c lock_timeout=10s -c search_path=auth"


def test_it_refuses_a_negative_database_bound(tmp_path):
    result = _database_options(
        tmp_path,
        DATABASE_URL="postgres://u@127.0.0.1:5432/db",
        AUTHSERVER_DB_LOCK_TIMEOUT="-1",
    )
    assert result.returncode != 0
    assert "AUTHSERVER_DB_LOCK_TIMEOUT" in result.stderr


def test_it_takes_console_session_limits_of_a_minute_or_more(tmp_path):
    accepted = settings_in_subprocess(
        tmp_path, AUTHSERVER_CONSOLE_SESSION_IDLE="600", AUTHSERVER_CONSOLE_SESSION_MAX="3600"
    )
    assert accepted.returncode == 0, accepted.stderr
    refused = settings_in_subprocess(tmp_path, AUTHSERVER_CONSOLE_SESSION_IDLE="5")
    assert refused.returncode != 0
    assert "AUTHSERVER_CONSOLE_SESSION_IDLE" in refused.stderr


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("AUTHSERVER_LOG_FORMAT", "xml", "AUTHSERVER_LOG_FORMAT must be one of plain, json"),
        ("AUTHSERVER_METRICS_ALLOW_IPS", "10.0.0.0/8,prometheus", "'prometheus' is not an address"),
    ],
)
def test_it_refuses_a_malformed_observability_setting(tmp_path, variable, value, message):
    result = settings_in_subprocess(tmp_path, **{variable: value})

    assert result.returncode != 0
    assert message in result.stderr


def test_it_writes_json_log_lines_when_asked(tmp_path):
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('authserver.test').warning('hello %s', 'there')"
    )
    result = _run(code, tmp_path, {"AUTHSERVER_LOG_FORMAT": "json"})

    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    record = json.loads(line)
    assert record["message"] == "hello there"
    assert (record["level"], record["logger"], record["request_id"]) == (
        "WARNING",
        "authserver.test",
        "",
    )

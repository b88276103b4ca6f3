"""Client libraries from npm, pinned, installed under a temporary folder by the tests that drive
them (never into the repository). Without node and npm the test fails under CI, else skips."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are needed (apt-get install nodejs npm)")
        pytest.skip("node and npm are not installed")
    return node, npm


# What a script needs beside its library, pinned as the libraries are.
UNDICI = "undici@7.30.3"


def install(
    tmp_path_factory, package: str, script: Path | None = None, *, also: tuple[str, ...] = ()
) -> Path:
    """A folder with ``package`` (``name@version``) and ``also`` installed, and ``script``
    copied beside them."""
    _, npm = tools()
    folder = tmp_path_factory.mktemp(package.rsplit("@", 1)[0].strip("@").replace("/", "-"))
    subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(folder),
            "--no-audit",
            "--no-fund",
            "--silent",
            package,
            *also,
        ],
        check=True,
        timeout=300,
    )
    if script is not None:
        shutil.copy(script, folder / script.name)
    return folder

"""Fixtures of the Python tests: the qpsim command line built beside the package (its output is
the independent path the package is compared with), the repository's folders, and helpers that
run it."""
import json
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _exe():
    exe = os.environ.get("QPSIM_EXE")
    if not exe:  # run by hand: the default build folder
        exe = os.path.join(ROOT, "build", "src", "qpsim")
    return exe


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def cli():
    """cli(*args, cwd=None) -> CompletedProcess of the qpsim command line (text)."""
    exe = _exe()
    if not os.access(exe, os.X_OK):
        pytest.fail("the qpsim command line is missing: %s (set QPSIM_EXE)" % exe)

    def run(*args, cwd=None, check=True):
        r = subprocess.run([exe] + [str(a) for a in args], capture_output=True, text=True,
                           cwd=cwd, timeout=600)
        if check and r.returncode != 0:
            pytest.fail("qpsim %s: exit %d: %s" % (" ".join(map(str, args)), r.returncode,
                                                  r.stderr))
        return r
    return run


@pytest.fixture(scope="session")
def cli_json(cli):
    """cli_json(*args) -> the JSON document qpsim prints with --json."""
    def run(*args, cwd=None):
        return json.loads(cli(*args, "--json", cwd=cwd).stdout)
    return run

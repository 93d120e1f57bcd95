"""A test that crashes its interpreter (as a bad native build of llama.cpp did) fails by itself, and
the tests after it still run and report."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import REPO

CRASHING = '''
import os, signal
import pytest

@pytest.mark.isolated
def test_native_crash():
    os.kill(os.getpid(), signal.SIGSEGV)

@pytest.mark.isolated
def test_passes_then_crashes_at_exit():
    import atexit
    atexit.register(lambda: os.kill(os.getpid(), signal.SIGSEGV))

@pytest.mark.isolated
def test_isolated_and_fine():
    assert 1 + 1 == 2

def test_after_the_crash():
    assert True
'''


def test_a_crash_in_an_isolated_test_fails_only_that_test(tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["tests.isolation"]\n')
    (tmp_path / "test_synthetic_crash.py").write_text(CRASHING)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out  # the crash is still a failure
    # the one that crashed at exit, after its test had passed, counts as an error in its teardown
    assert "1 failed, 3 passed, 1 error" in out, out
    assert "FAILED test_synthetic_crash.py::test_native_crash" in out and "SIGSEGV" in out, out
    assert "ERROR test_synthetic_crash.py::test_passes_then_crashes_at_exit" in out, out
    assert "PASSED test_synthetic_crash.py::test_after_the_crash" in out, out

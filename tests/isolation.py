"""Tests marked `isolated` run in a fresh interpreter of their own, so that a crash in native code
(llama.cpp, onnxruntime) fails that test and the rest of the run goes on and reports.

The child is `python -m pytest NODEID -q`; its reports come back serialised through pytest's own
hooks, so the parent prints them as if the test had run in process. A child that dies by a signal, or
before its teardown report, or with an exit status pytest never gives for a run that merely failed,
is a failure that names the signal, even when it comes after the test had passed (a crash in a
native destructor at exit). A fresh
interpreter rather than a fork: a forked child would inherit onnxruntime's and torch's thread pools
without their threads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from _pytest.reports import TestReport

# Set in the child: where it writes its reports. Read once at start-up, since tests may clear the
# environment (test_llm.py drops every TREATY_* variable).
CHILD = "PYTEST_ISOLATED_REPORTS"
TIMEOUT = 1200  # a hung native call must not hang CI; far above what any such test takes


_CHILD: list = []  # in the child: (config, report file)


def pytest_configure(config) -> None:
    if os.environ.get(CHILD):
        _CHILD[:] = [config, os.environ[CHILD]]
    config.addinivalue_line("markers", "isolated: run in a fresh interpreter; a native crash fails only this test")


def _died(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"died with {signal.Signals(-returncode).name}"
        except ValueError:
            return f"died with signal {-returncode}"
    return f"exited with {returncode} before reporting"


def _crash_report(item, when: str, why: str, output: str, duration: float) -> TestReport:
    tail = "\n".join(output.splitlines()[-40:])
    text = f"the test's own process {why} (a crash in native code?); the rest of the run went on.\n{tail}"
    return TestReport(item.nodeid, item.location, {k: 1 for k in item.keywords}, "failed", text, when,
                      sections=[], duration=duration)


def _run_child(item) -> tuple[list[dict], subprocess.CompletedProcess | None, str, float]:
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as fh:
        reports = Path(fh.name)
    env = {**os.environ, CHILD: str(reports)}
    cmd = [sys.executable, "-m", "pytest", item.nodeid, "-q", "-p", "no:cacheprovider", "--no-header"]
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=item.config.rootpath, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        output, proc = done.stdout + done.stderr, done
    except subprocess.TimeoutExpired as exc:
        output, proc = f"timed out after {TIMEOUT} s\n{exc.stdout or ''}", None
    lines = reports.read_text().splitlines() if reports.exists() else []
    reports.unlink(missing_ok=True)
    return [d for d in map(_parsed, lines) if d is not None], proc, output, time.monotonic() - start


def _parsed(line: str) -> dict | None:
    """A report line, or None for one cut short by a crash while it was written (the missing
    report then counts as the crash it is)."""
    try:
        return json.loads(line) if line.strip() else None
    except ValueError:
        return None


def _crashed(proc: subprocess.CompletedProcess | None, whens: set[str]) -> str:
    """Why the child's run is a failure its own reports may not show, or ""."""
    if proc is None:
        return f"did not finish within {TIMEOUT} s"
    if "teardown" not in whens or proc.returncode not in (0, 1):  # pytest: 0 passed, 1 some failed
        return _died(proc.returncode)
    return ""


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if item.get_closest_marker("isolated") is None or _CHILD:
        return None
    hook = item.ihook
    hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    data, proc, output, duration = _run_child(item)
    reports = [hook.pytest_report_from_serializable(config=item.config, data=d) for d in data]
    for report in reports:
        hook.pytest_runtest_logreport(report=report)
    whens = {r.when for r in reports}
    why = _crashed(proc, whens)
    if why:
        when = next((w for w in ("setup", "call") if w not in whens), "teardown")
        hook.pytest_runtest_logreport(report=_crash_report(item, when, why, output, duration))
    hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def pytest_runtest_logreport(report) -> None:
    if _CHILD and report.nodeid:
        config, path = _CHILD
        data = config.hook.pytest_report_to_serializable(config=config, report=report)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(data) + "\n")
            fh.flush()

"""Tests marked `isolated` run in a fresh interpreter of their own, so that a crash in native code
(llama.cpp, onnxruntime) fails that test and the rest of the run goes on and reports.

The child is `python -m pytest NODEID` with the same options; its reports come back serialised
through pytest's own hooks, so the parent prints them as if the test had run in process. A child
that dies by a signal, or before its teardown report, is a failure that names the signal. A fresh
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
    return [json.loads(line) for line in lines if line.strip()], proc, output, time.monotonic() - start


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
    if "teardown" not in whens:
        why = _died(proc.returncode) if proc is not None else f"did not finish within {TIMEOUT} s"
        when = "call" if "setup" in whens else "setup"
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

"""Print the runtime services' journal next to a failed check (the node's own account of what went wrong), and put
molecule/shared on sys.path (the tests import kha_playbook_run from there)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    host = item.funcargs.get("host") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and host is not None:
        journal = host.run("journalctl --no-pager -n 40 -u containerd -u docker -u cri-docker").stdout
        report.sections.append(("journal (containerd, docker, cri-docker)", journal))

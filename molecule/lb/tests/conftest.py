"""Helpers for the lb scenario's verifier.

The tests run on the controller (this machine). Cluster-level checks talk to the lab nodes with the docker
CLI (container names are kha-mol-lb-<platform>), the API endpoint directly over the kha-lab network, and run
ansible-playbook against Molecule's inventory for the check-mode and bad-input cases. Every wait is a poll
with a bounded timeout. When a test fails, the journal of haproxy, keepalived and the test double on every
node is attached to the report.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

SCENARIO_DIR = Path(__file__).resolve().parents[1]
SCENARIO = os.environ.get("MOLECULE_SCENARIO_NAME", SCENARIO_DIR.name)
PLATFORMS = yaml.safe_load((SCENARIO_DIR / "molecule.yml").read_text())["platforms"]
NODES = [p["name"] for p in PLATFORMS]
ADDRESSES = {p["name"]: p["ip"] for p in PLATFORMS}
INPUTS = yaml.safe_load((SCENARIO_DIR / "vars" / "scenario.yml").read_text())
VIP = INPUTS["lb_vip"]
PORT = int(INPUTS["lb_port"])
# The first of lb_hosts has the top priority and, with preemption, holds the VIP whenever it is healthy.
PREFERRED = NODES[0]
HAPROXY_SOCKET = "/run/haproxy/admin.sock"
TEST_DOUBLE_UNIT = "kha-test-double-apiserver"
CONFIG_FILES = ("/etc/haproxy/haproxy.cfg", "/etc/keepalived/keepalived.conf", "/etc/keepalived/kha-vrrp-auth.conf")


def container(node: str) -> str:
    return f"kha-mol-{SCENARIO.replace('_', '-')}-{node}"


def dexec(node: str, *argv: str, timeout: float = 30, check: bool = False) -> subprocess.CompletedProcess[str]:
    """Run a command inside a node with `docker exec`."""
    return subprocess.run(
        ["docker", "exec", container(node), *argv], capture_output=True, text=True, timeout=timeout, check=check
    )


def running(node: str) -> bool:
    out = subprocess.run(
        ["docker", "inspect", "-f", "{{ .State.Running }}", container(node)], capture_output=True, text=True, check=False
    )
    return out.stdout.strip() == "true"


def parallel(func: Callable[[str], Any], nodes: Iterable[str] = NODES) -> dict[str, Any]:
    nodes = list(nodes)
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        return dict(zip(nodes, pool.map(func, nodes)))


def holds_vip(node: str) -> bool:
    try:
        out = dexec(node, "ip", "-4", "-o", "addr", "show", "to", f"{VIP}/32", timeout=10)
    except subprocess.TimeoutExpired:
        return False
    return out.returncode == 0 and VIP in out.stdout


def holders() -> list[str]:
    """The nodes that have the VIP on an interface right now (a stopped node holds nothing)."""
    up = [n for n in NODES if running(n)]
    return sorted(n for n, held in parallel(holds_vip, up).items() if held) if up else []


@dataclass
class Answer:
    status: int
    body: str
    served_by: str


def endpoint_get(path: str = "/healthz", timeout: float = 1.0) -> Answer | None:
    """GET https://VIP:PORT/path from the controller; None when nothing answers."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test double's certificate is self-signed
    try:
        with socket.create_connection((VIP, PORT), timeout=timeout) as raw, context.wrap_socket(raw) as tls:
            tls.settimeout(timeout)
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {VIP}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while chunk := tls.recv(4096):
                data += chunk
    except (OSError, ssl.SSLError):
        return None
    head, _sep, body = data.decode(errors="replace").partition("\r\n\r\n")
    lines = head.split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        return None
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return Answer(int(lines[0].split()[1]), body, headers.get("X-Kha-Test-Double", ""))


def haproxy_servers(node: str) -> dict[str, str]:
    """Backend server -> status (UP, DOWN, ...) from haproxy's `show stat` on the node's admin socket."""
    script = (
        "import socket, sys\n"
        "s = socket.socket(socket.AF_UNIX)\n"
        "s.connect(sys.argv[1])\n"
        "s.sendall(b'show stat\\n')\n"
        "sys.stdout.write(s.makefile().read())\n"
    )
    out = dexec(node, "python3", "-c", script, HAPROXY_SOCKET, timeout=15)
    if out.returncode != 0:
        return {}
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    if not lines:
        return {}
    fields = lines[0].lstrip("# ").split(",")
    rows = [dict(zip(fields, line.split(","))) for line in lines[1:]]
    return {r["svname"]: r["status"] for r in rows if r.get("pxname") == "kube_apiserver" and r["svname"] not in ("FRONTEND", "BACKEND")}


def wait_until(what: str, predicate: Callable[[], Any], timeout: float, interval: float = 0.2) -> tuple[Any, float]:
    """Poll predicate until it returns something truthy; (value, seconds waited). Fails after timeout."""
    start = time.monotonic()
    last: Any = None
    while True:
        last = predicate()
        elapsed = time.monotonic() - start
        if last:
            return last, elapsed
        if elapsed > timeout:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for: {what} (last value: {last!r})")
        time.sleep(interval)


def services_active(node: str) -> bool:
    out = dexec(node, "systemctl", "is-active", "haproxy", "keepalived", TEST_DOUBLE_UNIT, timeout=15)
    return out.returncode == 0


def settle(timeout: float = 90) -> str:
    """Every node up with its services, every backend UP, exactly one VIP holder (the preferred one), stable."""
    for node in NODES:
        if not running(node):
            subprocess.run(["docker", "start", container(node)], check=True, capture_output=True)
    wait_until("every node's haproxy, keepalived and test double active", lambda: all(parallel(services_active).values()), timeout)
    wait_until(
        "every haproxy sees every backend UP",
        lambda: all(set(s.values()) == {"UP"} and len(s) == len(NODES) for s in parallel(haproxy_servers).values()),
        timeout,
    )
    wait_until(f"{PREFERRED} alone holds the VIP", lambda: holders() == [PREFERRED], timeout)
    # Stable: still exactly one holder over a few VRRP advert intervals (no split brain, no flapping).
    for _attempt in range(5):
        assert holders() == [PREFERRED]
        time.sleep(0.5)
    return PREFERRED


def report(line: str) -> None:
    """A measurement for the log (pytest runs with -s in this scenario)."""
    print(f"\n[lb measurement] {line}", flush=True)


# --- ansible-playbook against the scenario's nodes ----------------------------------------------------------
@dataclass
class PlaybookRun:
    rc: int
    output: str

    def recap(self) -> dict[str, dict[str, int]]:
        """host -> PLAY RECAP counters (ok, changed, failed, ...)."""
        recap: dict[str, dict[str, int]] = {}
        for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", self.output, re.M):
            recap[m.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
        return recap


def run_playbook(playbook: str, *args: str, extra_vars: dict[str, Any] | None = None, timeout: float = 600) -> PlaybookRun:
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory:
        pytest.skip("needs Molecule's environment (run with `molecule verify -s lb`)")
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PY_COLORS="0")
    argv = ["ansible-playbook", "-i", inventory, str(SCENARIO_DIR / playbook), *args]
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="kha-lb-vars-", delete=True) as f:
        if extra_vars is not None:
            json.dump(extra_vars, f)
            f.flush()
            argv += ["-e", f"@{f.name}"]
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, check=False)
    return PlaybookRun(done.returncode, done.stdout + done.stderr)


def checksums(node: str) -> dict[str, str]:
    out = dexec(node, "sha256sum", *CONFIG_FILES)
    return {line.split()[1]: line.split()[0] for line in out.stdout.splitlines()}


# --- attach the journals to a failing test ------------------------------------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # noqa: ARG001
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    for node in NODES:
        if not running(node):
            rep.sections.append((f"journal {node}", "(container not running)"))
            continue
        out = dexec(
            node, "journalctl", "--no-pager", "-n", "60", "-u", "haproxy", "-u", "keepalived", "-u", TEST_DOUBLE_UNIT, timeout=30
        )
        rep.sections.append((f"journal {node} (haproxy, keepalived, test double)", out.stdout + out.stderr))

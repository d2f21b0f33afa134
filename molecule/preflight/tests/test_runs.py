"""Whole runs of the preflight role against the lab nodes: check mode, and the catalogue of bad inputs.

Runs on the controller: ansible-playbook with Molecule's inventory re-runs converge.yml (bad inputs are extra
variables, which take precedence over the role variables converge.yml sets), and `docker exec` reads and
sets node state. The runs start from FRESH nodes: the role's files removed, /etc/fstab back to the copy
prepare.yml kept (uncommented swap entries), net.ipv4.ip_forward=0. A bad run must fail before changing
anything: ansible-playbook fails, the message names the hosts and values, every host reports changed=0, and
the nodes are still fresh afterwards. The converged state is restored at the end (test_converged.py runs
first, pytest takes the files in name order).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

SCENARIO_DIR = Path(__file__).resolve().parents[1]
PLATFORMS = yaml.safe_load((SCENARIO_DIR / "molecule.yml").read_text())["platforms"]
NODES = [p["name"] for p in PLATFORMS]
ROLE_FILES = ("/etc/sysctl.d/k8s.conf", "/etc/modules-load.d/k8s.conf")
FRESH_FSTAB = "/root/kha-fstab.fresh"
SAVED = "/root/kha-converged"
# Runs that touch no node state share the nodes: a few at a time keep the verifier short on 2 cores.
PARALLEL_RUNS = 3


def container(node: str) -> str:
    return f"kha-mol-preflight-{node}"


def dexec(node: str, script: str, check: bool = True) -> str:
    out = subprocess.run(
        ["docker", "exec", container(node), "sh", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    if check and out.returncode != 0:
        raise AssertionError(f"{node}: {script!r} failed ({out.returncode}): {out.stderr}")
    return out.stdout


def on_all(script: str) -> dict[str, str]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(NODES)) as pool:
        return dict(zip(NODES, pool.map(lambda n: dexec(n, script), NODES), strict=True))


@dataclass
class Run:
    rc: int
    output: str
    seconds: float

    def recap(self) -> dict[str, dict[str, int]]:
        result = {}
        for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", self.output, re.MULTILINE):
            result[m[1]] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m[2])}
        return result

    @property
    def text(self) -> str:
        """The output with every run of white space as one space."""
        return " ".join(self.output.split())

    def changed(self) -> dict[str, int]:
        return {host: counts["changed"] for host, counts in self.recap().items()}


def playbook(extra_vars: dict | None = None, *args: str) -> Run:
    argv = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(SCENARIO_DIR / "converge.yml"), *args]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    # JSON results keep each message on one line (the YAML format folds long strings and doubles quotes).
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    env.pop("ANSIBLE_FORCE_COLOR", None)
    start = time.monotonic()
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False, env=env)
    run = Run(out.returncode, out.stdout + out.stderr, time.monotonic() - start)
    print(f"\n--- {' '.join(argv[4:]) or 'converge.yml'}: rc={run.rc} in {run.seconds:.0f} s, changed={run.changed()}")
    return run


def state() -> dict[str, str]:
    """What a leaked change would alter, per node: the role's files, /etc/fstab, net.ipv4.ip_forward."""
    script = (
        "for f in " + " ".join(ROLE_FILES) + '; do [ -e "$f" ] && echo "present $f"; done; '
        f"cmp -s /etc/fstab {FRESH_FSTAB} && echo fstab-fresh || echo fstab-changed; "
        "echo ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
    )
    return on_all(script)


FRESH = "fstab-fresh\nip_forward=0\n"


def assert_untouched(run: Run) -> None:
    assert run.rc == 2, f"the run did not fail (rc={run.rc}):\n{run.output[-3000:]}"
    assert "no host was changed" in run.output
    assert run.changed() == dict.fromkeys(NODES, 0), run.changed()


@pytest.fixture(scope="module")
def fresh_nodes():
    """Make the converged nodes fresh for the runs below; restore the converged state afterwards."""
    on_all(
        f"mkdir -p {SAVED} && cp -a /etc/fstab {SAVED}/fstab && cp -a {ROLE_FILES[0]} {SAVED}/sysctl.conf && "
        f"cp -a {ROLE_FILES[1]} {SAVED}/modules.conf && rm -f {' '.join(ROLE_FILES)} && "
        f"cp {FRESH_FSTAB} /etc/fstab && sysctl -qw net.ipv4.ip_forward=0"
    )
    assert state() == dict.fromkeys(NODES, FRESH)
    yield
    on_all(
        f"cp -a {SAVED}/fstab /etc/fstab && cp -a {SAVED}/sysctl.conf {ROLE_FILES[0]} && "
        f"cp -a {SAVED}/modules.conf {ROLE_FILES[1]} && sysctl -qw net.ipv4.ip_forward=1"
    )


# ---------------------------------------------------------------------------------------------------------
# Check mode
# ---------------------------------------------------------------------------------------------------------
def test_check_mode_on_converged_nodes_changes_nothing():
    run = playbook(None, "--check", "--diff")
    assert run.rc == 0, run.output[-3000:]
    assert run.changed() == dict.fromkeys(NODES, 0)


WRITE_TASK = "kubeadm_ha.cluster.preflight : Load the kernel modules and keep the kernel parameters at boot"


def _task_results(output: str, task: str) -> dict[str, str]:
    """host -> ok/changed/skipping/failed for TASK in an ansible-playbook output."""
    results, current = {}, ""
    for line in output.splitlines():
        header = re.match(r"^TASK \[(.+?)\] \*", line)
        if header:
            current = header.group(1)
            continue
        result = re.match(r"^(ok|changed|skipping|failed): \[([^\]]+)\]", line)
        if result and current == task:
            results[result.group(2)] = result.group(1)
    return results


def test_drift_of_the_boot_time_files_is_repaired_where_it_is():
    """The host checks read both boot-time files (checksum, mode, owner): the write runs only on the host where one
    differs, and repairs it there; where both are as they should be there is no write call at all (skipped)."""
    node = NODES[0]
    kept = dexec(node, f"cat {ROLE_FILES[0]}")
    dexec(node, f"echo 'net.ipv4.ip_forward = 0' >{ROLE_FILES[0]} && chmod 0600 {ROLE_FILES[1]}")
    run = playbook()
    assert run.rc == 0, run.output[-3000:]
    assert _task_results(run.output, WRITE_TASK) == {n: "changed" if n == node else "skipping" for n in NODES}, (
        run.output[-3000:]
    )
    changed = run.changed()
    assert changed[node] > 0 and all(changed[n] == 0 for n in NODES if n != node), changed
    assert dexec(node, f"cat {ROLE_FILES[0]}") == kept
    assert dexec(node, f"stat -c '%a %U %G' {ROLE_FILES[1]}").strip() == "644 root root"
    again = playbook()
    assert again.changed() == dict.fromkeys(NODES, 0), again.changed()
    assert _task_results(again.output, WRITE_TASK) == dict.fromkeys(NODES, "skipping")


def test_check_mode_on_fresh_nodes_shows_the_diffs_and_changes_nothing(fresh_nodes):
    # With preflight_firewall=leave: the active firewalls are reported, not touched.
    run = playbook({"preflight_firewall": "leave"}, "--check", "--diff")
    assert run.rc == 0, run.output[-3000:]
    assert all(n > 0 for n in run.changed().values()), run.changed()
    for expected in (
        "+# UUID=0a3407de-014b-458b-b5c1-848e92a327a3 none swap sw 0 0",  # /etc/fstab
        "+br_netfilter",  # /etc/modules-load.d/k8s.conf
        "+net.ipv4.ip_forward = 1",  # /etc/sysctl.d/k8s.conf
        "cp1: ufw is active and preflight_firewall is leave",
        "w2: firewalld is active and preflight_firewall is leave",
    ):
        assert expected in run.output or expected in run.text, expected
    assert state() == dict.fromkeys(NODES, FRESH)


# ---------------------------------------------------------------------------------------------------------
# The catalogue of bad inputs. Each case: extra variables and the messages the failed run must print.
# ---------------------------------------------------------------------------------------------------------
STATELESS = {
    "pod-and-service-subnets-overlap": (
        {"preflight_pod_subnet": "10.96.0.0/16"},
        [re.escape("preflight_pod_subnet 10.96.0.0/16 and preflight_service_subnet 10.96.0.0/12 overlap")],
    ),
    "pod-subnet-overlaps-node-network": (
        {"preflight_pod_subnet": "172.30.128.0/17"},
        [
            re.escape("preflight_pod_subnet 172.30.128.0/17 overlaps the node network 172.30.0.0/16 of ")
            + re.escape("cp1 (eth0), w1 (eth0), w2 (eth0)")
        ],
    ),
    "vip-outside-control-plane-subnet": (
        {"preflight_api_vip": "192.168.99.10"},
        [
            re.escape("preflight_api_vip 192.168.99.10 is outside the node network of control-plane node(s) ")
            + re.escape("cp1 (172.30.0.0/16)")
        ],
    ),
    "vip-is-a-node-address": (
        {"preflight_api_vip": "172.30.3.21"},
        [re.escape("preflight_api_vip 172.30.3.21 is the address of node w1")],
    ),
    "unsupported-kubernetes-version": (
        {"preflight_kubernetes_version": "1.19.3"},
        [re.escape("preflight_kubernetes_version 1.19.3 is not supported: its release series 1.19 is not in")],
    ),
    "too-little-memory": (
        {"preflight_min_memory_mb": 10_000_000},
        [f"{n}: " + r"\d+ MB of memory, preflight_min_memory_mb is 10000000" for n in NODES],
    ),
    "too-few-cpus": (
        {"preflight_min_cpus": 64},
        [f"{n}: " + r"\d+ CPU\(s\) available, preflight_min_cpus is 64" for n in NODES],
    ),
    "unsupported-os": (
        {"preflight_supported_os": {"Debian": ["11"]}},
        [
            r"cp1: Debian 12\.\d+ is not supported: preflight_supported_os allows Debian 11",
            r"w2: Debian 13\.\d+ is not supported",
        ],
    ),
    "node-name-does-not-resolve": (
        {"preflight_node_name": "kha-no-such-node"},
        [
            re.escape("cp1: node name kha-no-such-node does not resolve"),
            re.escape("node name 'kha-no-such-node' is used by cp1, w1, w2"),
        ],
    ),
    "argument-outside-its-choices": (
        {"preflight_firewall": "disable"},
        [re.escape("value of preflight_firewall must be one of: leave, open")],
    ),
}


@pytest.fixture(scope="module")
def stateless_runs(fresh_nodes):
    """The bad inputs that need no node state, a few runs at a time (they all only read the nodes)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        futures = {case: pool.submit(playbook, extra) for case, (extra, _expected) in STATELESS.items()}
        runs = {case: f.result() for case, f in futures.items()}
    return runs, state()


@pytest.mark.parametrize("case", list(STATELESS))
def test_bad_input_fails_before_any_change(stateless_runs, case):
    runs, after = stateless_runs
    run = runs[case]
    if case == "argument-outside-its-choices":
        # Argument validation fails before the first check: no recap line counts a change either.
        assert run.rc == 2 and all(n == 0 for n in run.changed().values()), run.output[-3000:]
    else:
        assert_untouched(run)
    for pattern in STATELESS[case][1]:
        assert re.search(pattern, run.text), f"{pattern!r} not in:\n{run.output[-3000:]}"
    assert after == dict.fromkeys(NODES, FRESH), after


def test_port_in_use(fresh_nodes):
    dexec("w1", "setsid python3 -m http.server 10250 >/dev/null 2>&1 < /dev/null & sleep 1; ss -Htln 'sport = :10250'")
    try:
        run = playbook()
    finally:
        dexec("w1", "pkill -f 'http.server 10250'", check=False)
    assert_untouched(run)
    pattern = r"w1: port 10250/tcp is already in use by python3 \(pid \d+\) on 0\.0\.0\.0; kubelet needs it"
    assert re.search(pattern, run.text), run.output[-3000:]
    assert state() == dict.fromkeys(NODES, FRESH)


def test_duplicate_hostname_even_with_limit(fresh_nodes):
    # Only w2 is in the play: the role gathers the other listed nodes' facts (read only) to compare them.
    dexec("w2", f"hostname {container('cp1')}")
    try:
        run = playbook(None, "--limit", "w2")
    finally:
        dexec("w2", f"hostname {container('w2')}")
    assert run.rc == 2 and "no host was changed" in run.output, run.output[-3000:]
    assert run.changed() == {"w2": 0}
    assert f"node name '{container('cp1')}' is used by cp1, w2" in run.text, run.output[-3000:]
    assert state() == dict.fromkeys(NODES, FRESH)


def test_a_node_lost_during_the_checks_stops_every_node(fresh_nodes):
    # A paused container cannot run anything: w1 drops out of the play at its first task.
    subprocess.run(["docker", "pause", container("w1")], check=True, capture_output=True)
    try:
        run = playbook()
    finally:
        subprocess.run(["docker", "unpause", container("w1")], check=True, capture_output=True)
    assert run.rc != 0 and "no host was changed" in run.output, run.output[-3000:]
    assert "w1: failed or became unreachable before the gate" in run.text, run.output[-3000:]
    assert run.changed() == dict.fromkeys(NODES, 0)
    assert state() == dict.fromkeys(NODES, FRESH)


def test_duplicate_mac_address(fresh_nodes):
    add = "ip link add kha-dup0 type bridge && ip link set kha-dup0 address 02:00:00:00:00:01"
    dexec("cp1", add)
    dexec("w1", add)
    try:
        run = playbook()
    finally:
        for node in ("cp1", "w1"):
            dexec(node, "ip link del kha-dup0", check=False)
    assert_untouched(run)
    assert "MAC address 02:00:00:00:00:01 is on cp1 (kha-dup0), w1 (kha-dup0)" in run.text, run.output[-3000:]
    assert state() == dict.fromkeys(NODES, FRESH)

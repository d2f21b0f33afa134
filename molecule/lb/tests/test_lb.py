"""The lb role on three colocated nodes: haproxy + keepalived, real VRRP failover, real health checks.

The API servers are TEST DOUBLES (files/fake_apiserver.py, unit kha-test-double-apiserver): TLS on :6443,
GET /healthz -> 200 "ok", header X-Kha-Test-Double: <node>. Failover times are measured and printed
([lb measurement] lines), not asserted; every wait is bounded.
"""

from __future__ import annotations

import concurrent.futures
import re
import subprocess
import time
from typing import Any

import pytest
from conftest import (
    ADDRESSES,
    INPUTS,
    NODES,
    PORT,
    PREFERRED,
    TEST_DOUBLE_UNIT,
    VIP,
    checksums,
    container,
    dexec,
    endpoint_get,
    haproxy_servers,
    holders,
    parallel,
    report,
    run_playbook,
    running,
    settle,
    wait_until,
)

PASSWORD = INPUTS["lb_vrrp_password"]


# --- each node ----------------------------------------------------------------------------------------------
def test_services_running_and_enabled(host):
    for name in ("haproxy", "keepalived"):
        service = host.service(name)
        assert service.is_running, name
        assert service.is_enabled, name


def test_haproxy_config(host):
    cfg = host.file("/etc/haproxy/haproxy.cfg")
    assert (cfg.user, cfg.group, cfg.mode) == ("root", "haproxy", 0o640)
    text = cfg.content_string
    assert f"bind *:{PORT}" in text
    assert "option httpchk" in text
    assert "http-check send meth GET uri /healthz" in text
    assert "check check-ssl verify none" in text
    for backend in INPUTS["lb_backends"]:
        assert f"server {backend['name']} {backend['address']}:{backend['port']}" in text
    assert "listen stats" not in text, "the stats page is off by default"
    assert "stats auth" not in text
    assert host.run("haproxy -c -f /etc/haproxy/haproxy.cfg").rc == 0
    # haproxy runs the file: its frontend listens on every address.
    assert host.socket(f"tcp://0.0.0.0:{PORT}").is_listening


def test_keepalived_config(host):
    conf = host.file("/etc/keepalived/keepalived.conf")
    auth = host.file("/etc/keepalived/kha-vrrp-auth.conf")
    for f in (conf, auth):
        assert (f.user, f.group, f.mode) == ("root", "root", 0o600), f.path
    text = conf.content_string
    assert ";" not in text, "keepalived.conf takes no semicolons"
    assert PASSWORD not in text, "the secret lives in the 0600 include only"
    assert f"virtual_router_id {INPUTS['lb_vrrp_router_id']}" in text
    assert "enable_script_security" in text
    assert "script_user keepalived_script" in text
    assert "include /etc/keepalived/kha-vrrp-auth.conf" in text
    # the interface was detected from the node's address (the lab's eth0), the VIP carries its prefix
    assert "interface eth0" in text
    assert f"{VIP}/16 dev eth0" in text
    lines = [line.strip() for line in auth.content_string.splitlines()]
    assert "auth_type PASS" in lines and f"auth_pass {PASSWORD}" in lines, "each on its own line"
    # priorities follow lb_hosts order: 150, 140, 130
    name = host.backend.get_hostname()
    assert f"priority {150 - 10 * NODES.index(name)}" in text
    script = host.file("/etc/keepalived/kha-check-haproxy.sh")
    assert (script.user, script.mode) == ("root", 0o755)
    assert host.user("keepalived_script").exists
    # keepalived itself logged no configuration problem at start
    log = host.run("journalctl -u keepalived --no-pager -b").stdout
    assert "Unknown keyword" not in log and "insecure" not in log.lower()


# --- the cluster --------------------------------------------------------------------------------------------
def test_vip_held_by_exactly_one_node():
    assert settle() == PREFERRED
    assert holders() == [PREFERRED]
    answer = endpoint_get()
    assert answer is not None and answer.status == 200 and answer.body == "ok"


def test_backend_down_is_marked_and_traffic_reaches_the_healthy_ones():
    settle()
    victim = NODES[1]
    # before: roundrobin reaches every backend
    served = [a.served_by for a in (endpoint_get() for _n in range(6)) if a and a.status == 200]
    assert sorted(set(served)) == sorted(NODES), served
    dexec(victim, "systemctl", "stop", TEST_DOUBLE_UNIT, check=True)
    try:
        start = time.monotonic()
        _result, took = wait_until(
            f"every haproxy marks {victim} DOWN",
            lambda: all(s.get(victim, "").startswith("DOWN") for s in parallel(haproxy_servers).values()),
            timeout=30,
        )
        report(f"backend {victim} API server (test double) stopped: every haproxy marked it DOWN after {took:.1f} s")
        for node, servers in parallel(haproxy_servers).items():
            assert servers[victim].startswith("DOWN"), (node, servers)
            assert all(servers[n] == "UP" for n in NODES if n != victim), (node, servers)
        answers = [endpoint_get() for _n in range(9)]
        assert all(a is not None and a.status == 200 and a.body == "ok" for a in answers), answers
        served = {a.served_by for a in answers if a}
        assert served == set(NODES) - {victim}, served
        # a node reaches it too
        out = dexec(NODES[2], "curl", "-sk", "--max-time", "5", f"https://{VIP}:{PORT}/healthz")
        assert out.stdout == "ok", out
        report(
            f"with {victim} DOWN: 9/9 requests through {VIP}:{PORT}/healthz answered 200, served by {sorted(served)} "
            f"({time.monotonic() - start:.1f} s after the stop)"
        )
    finally:
        dexec(victim, "systemctl", "start", TEST_DOUBLE_UNIT)
    _result, took = wait_until(
        f"every haproxy marks {victim} UP again",
        lambda: all(s.get(victim) == "UP" for s in parallel(haproxy_servers).values()),
        timeout=30,
    )
    report(f"backend {victim} back: UP again after {took:.1f} s")


def holds_any(node: str) -> bool:
    return node in holders()


def _measure_failover(what: str, holder: str, timeout: float = 60) -> dict[str, Any]:
    """From now: time until another single node holds the VIP, and until the endpoint answers again."""
    start = time.monotonic()
    seen: dict[str, Any] = {}

    def moved() -> bool:
        now = holders()
        if "vip" not in seen and len(now) == 1 and now[0] != holder:
            seen["vip"] = time.monotonic() - start
            seen["new"] = now[0]
        if "vip" in seen and "endpoint" not in seen:
            answer = endpoint_get(timeout=0.5)
            if answer is not None and answer.status == 200:
                seen["endpoint"] = time.monotonic() - start
        return "endpoint" in seen

    wait_until(f"{what}: the VIP moves off {holder} and the endpoint answers", moved, timeout, interval=0.1)
    report(f"{what}: VIP moved {holder} -> {seen['new']} in {seen['vip']:.1f} s; {VIP}:{PORT}/healthz answered after {seen['endpoint']:.1f} s")
    return seen


def _measure_return(what: str, timeout: float = 90) -> None:
    start = time.monotonic()
    settle(timeout)
    report(f"{what}: settled with exactly one holder ({PREFERRED}, top priority, preempts) {time.monotonic() - start:.1f} s after the restart")


def test_failover_when_haproxy_stops_on_the_holder():
    holder = settle()
    dexec(holder, "systemctl", "stop", "haproxy", check=True)
    try:
        seen = _measure_failover("haproxy stopped on the holder", holder)
        assert not holds_any(holder)
        assert seen["new"] != holder
    finally:
        dexec(holder, "systemctl", "start", "haproxy")
    _measure_return("haproxy started again")


def test_failover_when_keepalived_stops_on_the_holder():
    holder = settle()
    dexec(holder, "systemctl", "stop", "keepalived", check=True)
    try:
        _measure_failover("keepalived stopped on the holder", holder)
        assert not holds_any(holder)
    finally:
        dexec(holder, "systemctl", "start", "keepalived")
    _measure_return("keepalived started again")


def test_failover_when_the_holder_node_stops():
    holder = settle()
    # systemd as PID 1 ignores SIGTERM, so `docker stop -t 1` kills the node after 1 s: a hard failure
    # (no priority-0 advert); the others notice the missing adverts.
    subprocess.run(["docker", "stop", "-t", "1", container(holder)], check=True, capture_output=True)
    try:
        assert not running(holder)
        _measure_failover(f"node {holder} stopped (docker stop)", holder)
    finally:
        subprocess.run(["docker", "start", container(holder)], check=True, capture_output=True)
    wait_until(
        f"{holder} boots",
        lambda: dexec(holder, "systemctl", "is-system-running").stdout.strip() in ("running", "degraded"),
        timeout=60,
    )
    _measure_return(f"node {holder} started again (docker start)")


# --- check mode, no_log -------------------------------------------------------------------------------------
def _task_output(output: str, task: str) -> str:
    """The part of a playbook's output under one task's banner."""
    start = output.find(f"TASK [kubeadm_ha.cluster.lb : {task}]")
    assert start >= 0, f"task not run: {task}"
    end = output.find("TASK [", start + 1)
    return output[start : end if end > 0 else None]


def test_check_mode_shows_the_diff_changes_nothing_and_hides_the_secret():
    """Check mode on the converged nodes with a changed timeout and a changed VRRP password (--diff -v):
    the timeout's diff is shown, the secret's task reports a change with its output censored, neither
    password appears anywhere, and no file changes on any node."""
    settle()
    new_password = "kha-x9z7"
    before = parallel(checksums)
    run = run_playbook(
        "converge.yml",
        "--check",
        "--diff",
        "-v",
        extra_vars={"lb_haproxy_timeout_client": "11m", "lb_vrrp_password": new_password},
    )
    assert run.rc == 0, run.output[-3000:]
    assert "-    timeout client 10m" in run.output, run.output[-3000:]
    assert "+    timeout client 11m" in run.output, run.output[-3000:]
    secret_task = _task_output(run.output, "Write keepalived's track script, VRRP authentication secret and configuration")
    for node in NODES:
        assert f"changed: [{node}]" in secret_task, secret_task
    # the secret's file shows as changed, its content as a placeholder (node_files' SECRET_BEFORE/SECRET_AFTER)
    assert secret_task.count("+(secret: the new content, not shown)") == len(NODES), secret_task
    assert PASSWORD not in run.output and new_password not in run.output
    assert parallel(checksums) == before
    for node in NODES:
        assert "timeout client 10m" in dexec(node, "cat", "/etc/haproxy/haproxy.cfg").stdout
    report(
        f"check mode (--diff -v) with lb_haproxy_timeout_client=11m and a new VRRP password: rc=0, timeout diff shown, "
        f"secret file changed, shown as a placeholder on {len(NODES)} nodes, no password in {len(run.output)} chars of output, "
        f"config checksums unchanged"
    )


# --- drift -------------------------------------------------------------------------------------------------
HAPROXY_WRITE = "Write the haproxy configuration"
KEEPALIVED_WRITE = "Write keepalived's track script, VRRP authentication secret and configuration"


def _statuses(task_output: str) -> dict[str, str]:
    """node -> ok/changed/skipping under one task's banner."""
    pattern = r"^(ok|changed|skipping|failed): \[([^\]]+)\]"
    return {m.group(2): m.group(1) for m in re.finditer(pattern, task_output, re.M)}


def test_drift_is_repaired_on_its_node_only_and_a_converged_node_makes_no_write_call():
    """The probe compares the files the role writes: on the node where haproxy.cfg was edited and the VRRP secret's
    file made readable, both writes run and repair them; on the other nodes neither runs (skipped: no module call).
    The next run changes nothing."""
    settle()
    node = NODES[1]
    before = parallel(checksums)
    dexec(node, "sh", "-c", "echo '# edited by hand' >>/etc/haproxy/haproxy.cfg", check=True)
    dexec(node, "chmod", "0644", "/etc/keepalived/kha-vrrp-auth.conf", check=True)
    run = run_playbook("converge.yml")
    assert run.rc == 0, run.output[-3000:]
    for task in (HAPROXY_WRITE, KEEPALIVED_WRITE):
        statuses = _statuses(_task_output(run.output, task))
        assert statuses == {n: "changed" if n == node else "skipping" for n in NODES}, (task, statuses)
    changed = {n: r["changed"] for n, r in run.recap().items()}
    assert changed[node] > 0 and all(changed[n] == 0 for n in NODES if n != node), changed
    assert parallel(checksums) == before
    assert dexec(node, "stat", "-c", "%a", "/etc/keepalived/kha-vrrp-auth.conf").stdout.strip() == "600"
    assert PASSWORD not in run.output
    again = run_playbook("converge.yml")
    assert {n: r["changed"] for n, r in again.recap().items()} == dict.fromkeys(NODES, 0), again.output[-3000:]
    report(f"drift on {node} (haproxy.cfg edited, secret file 0644): repaired there only, the others skipped both writes")


# --- bad input ----------------------------------------------------------------------------------------------
def _inputs(**changes: Any) -> dict[str, Any]:
    inputs = dict(INPUTS)
    # a setting that would change every host if the role went on: the run must stop before it
    inputs["lb_haproxy_timeout_client"] = "12m"
    for key, value in changes.items():
        if value is None:
            inputs.pop(key, None)
        else:
            inputs[key] = value
    return inputs


BAD_INPUTS = {
    "missing password": (_inputs(lb_vrrp_password=None), ["lb_vrrp_password"]),
    "router id 0": (_inputs(lb_vrrp_router_id=0), ["lb_vrrp_router_id must be an integer from 1 to 255"]),
    "router id 256": (_inputs(lb_vrrp_router_id=256), ["lb_vrrp_router_id must be an integer from 1 to 255"]),
    "VIP outside the nodes' subnet": (_inputs(lb_vip="192.0.2.10"), ["lb_vip 192.0.2.10 is outside 172.30.0.0/16"]),
    "VIP equal to a node address": (
        _inputs(lb_vip=ADDRESSES[NODES[2]]),
        [f"lb_vip {ADDRESSES[NODES[2]]} is already the address of a node"],
    ),
    "password longer than 8": (_inputs(lb_vrrp_password="kha-t52q-too-long"), ["lb_vrrp_password must be 1 to 8 characters"]),
    "stats page without a password": (_inputs(lb_haproxy_stats_enabled=True), ["lb_haproxy_stats_password is required"]),
    # only one host is wrong: any_errors_fatal stops the others before they change
    "bad interface on one host": (
        _inputs(lb_vrrp_interface="{{ 'nosuch0' if inventory_hostname == '%s' else '' }}" % NODES[2]),
        ["lb_vrrp_interface nosuch0 is not an interface"],
    ),
}


def _first_message(result: str) -> str:
    """The msg of a failed task in the yaml callback's output (first line; block scalars and lists too)."""
    lines = result.split("msg:", 1)[-1].splitlines()
    first = lines[0].strip() if lines else ""
    if first in ("|", "|-", ">", ">-") and len(lines) > 1:
        first = lines[1].strip()
    elif not first and len(lines) > 1 and lines[1].strip().startswith("- "):  # a list of messages: its first
        first = lines[1].strip()[2:]
    return first.strip("'\"")


def test_bad_inputs_fail_before_any_host_changes():
    settle()
    before = parallel(checksums)
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        runs = dict(
            zip(BAD_INPUTS, pool.map(lambda case: run_playbook("bad_input.yml", extra_vars=BAD_INPUTS[case][0]), BAD_INPUTS))
        )
    problems = []
    for case, run in runs.items():
        expected = BAD_INPUTS[case][1]
        recap = run.recap()
        changed = {h: c.get("changed") for h, c in recap.items()}
        fatal = run.output.find("fatal:")
        banner = run.output.rfind("TASK [", 0, fatal) if fatal > 0 else -1
        task = run.output[banner + 6 : run.output.find("]", banner)] if banner >= 0 else "?"
        msg = _first_message(run.output[fatal:]) if fatal > 0 else ""
        in_preflight = task.startswith(("kubeadm_ha.cluster.lb : Check", "kubeadm_ha.cluster.lb : Validating arguments"))
        ok = (
            run.rc != 0
            and in_preflight
            and all(e in run.output for e in expected)
            and set(recap) == set(NODES)
            and all(v == 0 for v in changed.values())
            and PASSWORD not in run.output
            and "kha-t52q-too-long" not in run.output
        )
        report(
            f"bad input '{case}': rc={run.rc}, failed at '{task}' with '{msg[:140]}', "
            f"changed per host {changed} -> {'OK' if ok else 'WRONG'}"
        )
        if not ok:
            problems.append(f"--- {case} (expected {expected}):\n{run.output[-2500:]}")
    assert parallel(checksums) == before, "a bad-input run changed a config file"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("node", NODES)
def test_config_files_still_match_the_converge(node):
    """After all the stops, starts and failed runs, the nodes still run the converged configuration."""
    assert running(node)
    out = dexec(node, "grep", "-c", "timeout client 10m", "/etc/haproxy/haproxy.cfg")
    assert out.stdout.strip() == "1"

"""HA end to end on real Kubernetes: nodes Ready, etcd members, API through the VIP, no secret in the logs,
failover of the VIP holder. Cluster-wide checks run once, through `docker exec` on the lab nodes (this
controller has the docker CLI); the failover test stops a node container, so it runs last.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

testinfra_hosts = ["ansible://cp1"]

PREFIX = "kha-mol-ha-"
CONTROL_PLANE = ["cp1", "cp2", "cp3"]
NODES = ["cp1", "cp2", "cp3", "w1"]
VIP = "172.31.6.10"
PORT = 8443
# The cluster network (kha-ha-cluster): every node's address there. Their default routes use kha-lab instead.
CLUSTER_ADDRESS = {"cp1": "172.31.6.11", "cp2": "172.31.6.12", "cp3": "172.31.6.13", "w1": "172.31.6.21"}
LAB_ADDRESS = {"cp1": "172.30.6.11", "cp2": "172.30.6.12", "cp3": "172.30.6.13", "w1": "172.30.6.21"}
SCENARIO = Path(__file__).resolve().parents[1]
EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
ETCD_CERTS = (
    "--cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt "
    "--key /etc/kubernetes/pki/etcd/healthcheck-client.key"
)


def on(node: str, script: str, check: bool = True, timeout: int = 60) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["docker", "exec", PREFIX + node, "bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(f"{node}: {script!r} exited {result.returncode}: {result.stdout}\n{result.stderr}")
    return result


def kubectl_via_vip(node: str, args: str, check: bool = True) -> subprocess.CompletedProcess:
    return on(
        node,
        f"kubectl --kubeconfig=/etc/kubernetes/admin.conf --server=https://{VIP}:{PORT} --request-timeout=5s {args}",
        check=check,
    )


def test_all_nodes_ready_through_the_vip():
    out = kubectl_via_vip("cp1", "get nodes -o json").stdout
    items = json.loads(out)["items"]
    ready = {
        item["metadata"]["name"]: next(c["status"] for c in item["status"]["conditions"] if c["type"] == "Ready")
        for item in items
    }
    print(kubectl_via_vip("cp1", "get nodes -o wide").stdout)
    assert ready == {name: "True" for name in NODES}
    roles = {item["metadata"]["name"]: item["metadata"]["labels"] for item in items}
    for name in CONTROL_PLANE:
        assert "node-role.kubernetes.io/master" in roles[name] or "node-role.kubernetes.io/control-plane" in roles[name]


def test_three_healthy_etcd_members():
    members = json.loads(
        on("cp1", f"curl -sS {ETCD_CERTS} -X POST -d '{{}}' https://127.0.0.1:2379/v3/cluster/member/list").stdout
    )["members"]
    print("etcd members:", sorted(m.get("name", "?") for m in members))
    assert sorted(m.get("name") for m in members) == CONTROL_PLANE
    for node in CONTROL_PLANE:
        health = json.loads(on(node, f"curl -sS {ETCD_CERTS} https://127.0.0.1:2379/health").stdout)
        assert health["health"] in (True, "true"), (node, health)


def test_every_api_server_and_the_vip_answer_healthz():
    for node in NODES:
        # from every node, through the VIP, verified against the cluster CA
        cafile = "/etc/kubernetes/pki/ca.crt"
        assert on(node, f"curl -sS --max-time 5 --cacert {cafile} https://{VIP}:{PORT}/healthz").stdout == "ok"
    for node in CONTROL_PLANE:
        address = CLUSTER_ADDRESS[node]
        assert on(node, f"curl -sS --cacert /etc/kubernetes/pki/ca.crt https://{address}:6443/healthz").stdout == "ok"


def test_every_node_registers_with_its_cluster_network_address():
    """Two networks per node, the default route on the other one: kha_node_ip (cp1, cp2, w1) and kha_node_networks
    (cp3, no kha_node_ip) must reach kubelet --node-ip, the API servers' advertise addresses and the LB backends."""
    for node in NODES:
        route = on(node, "ip -4 route show default").stdout
        assert f"src {LAB_ADDRESS[node]}" in route or "dev eth0" in route, (node, route)
        assert CLUSTER_ADDRESS[node] not in route, f"{node}: the default route must not use the cluster network"
    assert not (SCENARIO / "inventory" / "host_vars" / "cp3.yml").exists(), "cp3 must set no kha_node_ip"
    items = json.loads(kubectl_via_vip("cp1", "get nodes -o json").stdout)["items"]
    internal = {
        item["metadata"]["name"]: [a["address"] for a in item["status"]["addresses"] if a["type"] == "InternalIP"]
        for item in items
    }
    print("InternalIP per node:", internal)
    assert internal == {node: [CLUSTER_ADDRESS[node]] for node in NODES}
    endpoints = kubectl_via_vip("cp1", "get endpoints kubernetes -o jsonpath='{.subsets[*].addresses[*].ip}'")
    assert sorted(endpoints.stdout.split()) == sorted(CLUSTER_ADDRESS[n] for n in CONTROL_PLANE)
    for node in CONTROL_PLANE:
        haproxy = on(node, "cat /etc/haproxy/haproxy.cfg").stdout
        for cp in CONTROL_PLANE:
            assert f"{CLUSTER_ADDRESS[cp]}:6443" in haproxy, (node, cp)
            assert f"{LAB_ADDRESS[cp]}:6443" not in haproxy, (node, cp)


def test_vip_held_by_exactly_one_node():
    holders = [node for node in CONTROL_PLANE if f"inet {VIP}/" in on(node, "ip -o -4 addr show").stdout]
    print("VIP holder:", holders)
    assert len(holders) == 1


def _secrets() -> dict[str, str]:
    """The real secret values, read from the cluster and the nodes after the runs."""
    addresses = yaml.safe_load((SCENARIO / "inventory" / "group_vars" / "all" / "lab-addresses.yml").read_text())
    secrets: dict[str, str] = {"vrrp password": addresses["vault_kha_vrrp_password"]}
    expired = EPHEMERAL / "expired-tokens.txt"
    for n, token in enumerate(expired.read_text().split()):
        secrets[f"expired bootstrap token {n}"] = token
        secrets[f"expired bootstrap token secret {n}"] = token.split(".")[1]
    # cp1 may be powered off (day 2): the keys and tokens come from the first control-plane node that answers
    source = next(n for n in CONTROL_PLANE if on(n, "test -e /etc/kubernetes/admin.conf", check=False).returncode == 0)
    listed = on(source, "kubeadm token list -o json").stdout
    for n, token in enumerate(re.findall(r'"token": *"([a-z0-9]{6}\.[a-z0-9]{16})"', listed)):
        secrets[f"bootstrap token {n}"] = token
        secrets[f"bootstrap token secret {n}"] = token.split(".")[1]
    for node in NODES:
        conf = on(node, "cat /etc/kubernetes/kubeadm-join.yaml", check=False).stdout
        for key in re.findall(r'certificateKey: "?([0-9a-f]{64})', conf):
            secrets[f"certificate key used by {node}"] = key
        for token in re.findall(r'token: "?([a-z0-9]{6}\.[a-z0-9]{16})', conf):
            secrets[f"bootstrap token used by {node}"] = token
    for path in ["pki/ca.key", "pki/sa.key", "pki/front-proxy-ca.key", "pki/etcd/ca.key", "pki/apiserver.key"]:
        body = "".join(on(source, f"cat /etc/kubernetes/{path}").stdout.splitlines()[1:-1])
        secrets[f"private key {path}"] = body[40:100]  # a slice of the base64 body: enough to be unique
    admin = on(source, "cat /etc/kubernetes/admin.conf").stdout
    secrets["admin.conf client key"] = re.search(r"client-key-data: (\S+)", admin).group(1)[40:100]
    return secrets


def playbook(name: str, *args: str, log: str) -> tuple[subprocess.CompletedProcess, dict[str, dict[str, int]]]:
    """ansible-playbook <project>/<name> against the scenario's inventory; the result and its PLAY RECAP.
    The whole output is kept in the ephemeral directory under ``log`` (the secrets test reads it)."""
    inventory = os.environ.get("MOLECULE_INVENTORY_FILE")
    if not inventory:
        pytest.skip("needs Molecule's environment (run with `molecule verify -s ha`)")
    project = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
    # -vvv like every other run of the scenario: test_no_secret_in_the_vvv_logs reads this output too
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_VERBOSITY="3")
    env.pop("ANSIBLE_LOG_PATH", None)
    result = subprocess.run(
        ["ansible-playbook", "-i", str(Path(inventory).parent), *args, str(project / name)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    # Failed results go to stderr (Molecule's ansible.cfg: display_failed_stderr): the tests read both as one output.
    result.stdout += result.stderr
    (EPHEMERAL / log).write_text(result.stdout)
    recap = {
        host: {"ok": int(ok), "changed": int(changed), "failed": int(failed)}
        for host, ok, changed, failed in re.findall(
            r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", result.stdout, re.M
        )
    }
    print("\n".join(line for line in result.stdout.splitlines() if " : ok=" in line))
    return result, recap


def test_the_half_joined_node_was_repaired_by_the_next_run():
    """prepare killed `kubeadm join` on cp2 after its kubelet bootstrap; converge (add_nodes.yml) must have said so and
    repaired it (cp2 is a full member: test_three_healthy_etcd_members)."""
    log = (EPHEMERAL / "ansible.log").read_text(errors="replace")
    text = " ".join(log.split())
    assert re.search(r"cp2 is half joined \([^)]*no etcd member[^)]*\): removing what the cluster holds of it", text)


def test_check_mode_on_the_finished_cluster_changes_nothing():
    """`site.yml --check --diff` on the running cluster: runs clean, reports no change on any node."""
    result, recap = playbook("site.yml", "--check", "--diff", log="check-mode.out")
    assert result.returncode == 0, result.stdout[-6000:]
    assert sorted(recap) == sorted(NODES)
    changed = {host: r["changed"] for host, r in recap.items() if r["changed"]}
    assert not changed, f"check mode reports changes on a finished cluster: {changed}"


def _node_names() -> list[str]:
    return sorted(kubectl_via_vip("cp1", "get nodes -o jsonpath='{.items[*].metadata.name}'").stdout.split())


def test_reset_a_worker_then_join_it_again():
    """reset.yml refuses without confirmation; with it, w1 leaves the cluster and is clean; after the manual
    clean-up kubeadm suggests (rm -rf /etc/cni/net.d), add_nodes.yml joins it again and it turns Ready."""
    result, _recap = playbook("playbooks/reset.yml", "--limit", "w1", log="reset-refused.out")
    assert result.returncode != 0 and "kha_reset_confirm=yes" in result.stdout
    assert "w1" in _node_names()
    cidr_before = _pod_cidr("w1")

    result, recap = playbook("playbooks/reset.yml", "--limit", "w1", "-e", "kha_reset_confirm=yes", log="reset.out")
    assert result.returncode == 0, result.stdout[-4000:]
    assert recap["w1"]["changed"] > 0
    assert _node_names() == sorted(n for n in NODES if n != "w1")
    assert on("w1", "test -e /etc/kubernetes/kubelet.conf", check=False).returncode != 0
    assert on("w1", "iptables-save | grep -c -E -- '-j KUBE-|^:KUBE-'", check=False).stdout.strip() == "0"
    assert on("w1", "test -d /etc/cni/net.d && ! ls /etc/cni/net.d/*.conflist", check=False).returncode == 0

    result, recap = playbook("playbooks/reset.yml", "--limit", "w1", "-e", "kha_reset_confirm=yes", log="reset-2.out")
    assert result.returncode == 0 and recap["w1"]["changed"] == 0, "a second reset changes nothing"

    # What `kubeadm reset` tells operators to do by hand; containerd then watches a directory that is gone.
    on("w1", "rm -rf /etc/cni/net.d")
    result, recap = playbook("playbooks/add_nodes.yml", log="rejoin.out")
    assert result.returncode == 0, result.stdout[-4000:]
    assert recap["w1"]["changed"] > 0
    ready = kubectl_via_vip("cp1", "get node w1 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'")
    assert ready.stdout.strip() == "True"
    # The other nodes change only where w1's new Node got another pod network than before (the node IPAM does not
    # hand a released range out again at once): then each one's route to w1 moves to it, and nothing else changes.
    cidr_after = _pod_cidr("w1")
    others = {host: tasks for host, tasks in _changed_tasks(result.stdout).items() if host != "w1"}
    print(f"w1's pod network: {cidr_before} before the reset, {cidr_after} after the join; others changed: {others}")
    if cidr_after == cidr_before:
        assert others == {}, others
    else:
        assert all(tasks <= ROUTE_TASKS for tasks in others.values()), others
        for node in CONTROL_PLANE:
            routes = on(node, "ip route show proto 77").stdout
            assert f"{cidr_after} via {CLUSTER_ADDRESS['w1']}" in routes, (node, routes)
            assert cidr_before not in routes, (node, routes)


ROUTE_TASKS = {
    "kubeadm_ha.cluster.cni : Write the bridge network configuration, the routes script, its boot unit and this node's "
    "routes",
    "kubeadm_ha.cluster.cni : Apply the routes and rules",
}


def _pod_cidr(node: str) -> str:
    return kubectl_via_vip("cp1", f"get node {node} -o jsonpath='{{.spec.podCIDR}}'").stdout.strip()


def _changed_tasks(output: str) -> dict[str, set[str]]:
    """Which tasks reported a change on which host, from an ansible-playbook output (TASK headers, then results)."""
    changed: dict[str, set[str]] = {}
    task = ""
    for line in output.splitlines():
        header = re.match(r"^TASK \[(.+?)\] \*", line)
        if header:
            task = header.group(1)
            continue
        result = re.match(r"^changed: \[([^\]]+)\]", line)
        if result:
            changed.setdefault(result.group(1).split(" -> ")[0], set()).add(task)
    return changed


def test_pod_network_without_its_routes_fails_the_check_and_is_repaired():
    """The bridge network's routes carry pod-to-pod traffic across nodes: without them the acceptance check fails,
    naming the pods; site.yml notices the drift and puts them back; the check passes again."""
    routes = on("w1", "ip route show proto 77").stdout
    assert len(routes.splitlines()) == 3, routes  # one per other node
    on("w1", "ip route flush proto 77")
    # one attempt per request: the check must fail, not wait for a repair that cannot come
    result, _recap = playbook("playbooks/verify.yml", "-e", "__verify_probe_retries=1", log="verify-no-routes.out")
    assert result.returncode != 0, result.stdout[-3000:]
    text = " ".join(result.stdout.split())
    assert re.search(r"pod to pod: kha-smoke-\S+ on w1 could not reach", text), result.stdout[-3000:]
    result, recap = playbook("site.yml", "--tags", "cni", log="repair-routes.out")
    assert result.returncode == 0, result.stdout[-4000:]
    assert recap["w1"]["changed"] > 0, recap
    assert on("w1", "ip route show proto 77").stdout == routes
    result, recap = playbook("playbooks/verify.yml", log="verify.out")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "pod to pod across nodes: 2 pair(s) answered" in " ".join(result.stdout.split()), result.stdout[-3000:]
    assert {h: r["changed"] for h, r in recap.items() if r["changed"]} == {}


def test_no_secret_in_the_vvv_logs():
    # ansible.log: every Molecule run (prepare, converge, idempotence) at -vvv; the rest: the runs of this file.
    logs = [
        EPHEMERAL / name
        for name in (
            "ansible.log",
            "prepare-check.out",
            "prepare-site.out",
            "check-mode.out",
            "reset-refused.out",
            "reset.out",
            "reset-2.out",
            "rejoin.out",
            "verify-no-routes.out",
            "repair-routes.out",
            "verify.out",
        )
    ]
    text = "".join(p.read_text(errors="replace") for p in logs if p.exists())
    print(f"searched {len(text)} characters of -vvv output in {[p.name for p in logs if p.exists()]}")
    assert len(text) > 100_000, "the -vvv logs are missing or too short to prove anything"
    assert "kubeadm join" in text or "kubeadm_join" in text
    secrets = _secrets()
    print(f"{len(secrets)} secret values checked: {sorted(secrets)}")
    assert any(name.startswith("certificate key used by") for name in secrets)
    assert any(name.startswith("expired bootstrap token ") for name in secrets)
    leaked = sorted(name for name, value in secrets.items() if value and value in text)
    assert not leaked, f"secrets found in the logs: {leaked}"


POLL = (
    "rm -f /tmp/kha-poll.log; nohup sh -c 'while :; do t=$(date +%s.%N); "
    f'r=$(curl -sk -m 1 https://{VIP}:{PORT}/healthz); echo "$t $r"; sleep 0.1; done\' >/tmp/kha-poll.log 2>&1 &'
)


def longest_gap(node: str) -> tuple[float, int, int]:
    """Stop the poller on ``node``; the longest time between two answers of the API through the VIP."""
    on(node, "pkill -f 'while :; do t=' || true", check=False)
    samples = [line.split() for line in on(node, "cat /tmp/kha-poll.log").stdout.splitlines() if line.strip()]
    ok = [float(s[0]) for s in samples if len(s) > 1 and s[1] == "ok"]
    gaps = [b - a for a, b in itertools.pairwise(ok)]
    return (max(gaps) if gaps else float("inf")), len(ok), len(samples)


def resilience(line: str) -> None:
    """Figures for docs/benchmark.md (resilience): printed, and kept in the ephemeral directory."""
    print(line)
    with (EPHEMERAL / "resilience.txt").open("a") as out:
        out.write(line + "\n")


def test_one_api_server_stopped_is_taken_out_by_haproxy():
    """kube-apiserver stopped on one control-plane node (its static pod manifest moved away): haproxy's health checks
    take it out; the API through the VIP is polled every 0.1 s meanwhile."""
    holder = next(node for node in CONTROL_PLANE if f"inet {VIP}/" in on(node, "ip -o -4 addr show").stdout)
    victim = next(node for node in CONTROL_PLANE if node != holder)
    client = "w1"
    on(client, POLL)
    time.sleep(3)
    on(victim, "mv /etc/kubernetes/manifests/kube-apiserver.yaml /etc/kubernetes/kube-apiserver.yaml.stopped")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            down = on(victim, f"curl -sk -m 1 https://{CLUSTER_ADDRESS[victim]}:6443/healthz", check=False)
            if down.returncode != 0:
                break
            time.sleep(0.5)
        time.sleep(10)  # haproxy: inter 2s, fall 2
        gap, answered, asked = longest_gap(client)
        resilience(
            f"one API server stopped ({victim}; haproxy checks every 2 s, 2 failures take it out): longest gap between "
            f"answers through the VIP {gap:.1f} s ({answered} of {asked} requests answered)"
        )
        assert answered > 0 and gap < 15, f"the API through the VIP stopped answering for {gap:.1f} s"
        stats = on(holder, "echo 'show stat' | socat stdio /run/haproxy/admin.sock 2>/dev/null || true", check=False)
        print(stats.stdout)
    finally:
        on(victim, "mv /etc/kubernetes/kube-apiserver.yaml.stopped /etc/kubernetes/manifests/kube-apiserver.yaml")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if on(victim, f"curl -sk -m 2 https://{CLUSTER_ADDRESS[victim]}:6443/healthz", check=False).stdout == "ok":
            break
        time.sleep(2)
    else:
        pytest.fail(f"kube-apiserver on {victim} did not come back")


def test_failover_of_the_vip_holder():
    """The VIP holder powered off (its container stopped): keepalived moves the VIP (advert_int 1 s), the API through
    the VIP is polled every 0.1 s from a node that stays."""
    holders = [node for node in CONTROL_PLANE if f"inet {VIP}/" in on(node, "ip -o -4 addr show").stdout]
    assert len(holders) == 1
    holder = holders[0]
    other = next(node for node in CONTROL_PLANE if node != holder)
    on("w1", POLL)
    time.sleep(3)
    subprocess.run(["docker", "stop", "-t", "5", PREFIX + holder], check=True, capture_output=True)
    try:
        start = time.monotonic()
        answered = None
        while time.monotonic() - start < 90:
            result = kubectl_via_vip(other, "get nodes", check=False)
            if result.returncode == 0:
                answered = result.stdout
                break
            time.sleep(1)
        elapsed = time.monotonic() - start
        print(
            f"stopped {holder} (VIP holder); `kubectl get nodes` through the VIP answered"
            f" from {other} after {elapsed:.1f} s"
        )
        print(answered)
        assert answered is not None, f"the API did not answer through the VIP within 90 s after stopping {holder}"
        time.sleep(5)
        gap, ok, asked = longest_gap("w1")
        resilience(
            f"VIP holder powered off ({holder}; keepalived advert_int 1 s): longest gap between answers through the "
            f"VIP {gap:.1f} s ({ok} of {asked} requests answered)"
        )
        new_holders = [n for n in CONTROL_PLANE if n != holder and f"inet {VIP}/" in on(n, "ip -o -4 addr show").stdout]
        print("new VIP holder:", new_holders)
        assert len(new_holders) == 1
    finally:
        subprocess.run(["docker", "start", PREFIX + holder], check=False, capture_output=True)

"""Day 2 on the ha scenario's real cluster (after test_ha.py): upgrade with a workload running and the API polled
through the VIP, certificate renewal, etcd backup and restore, removing a control-plane node and a worker and adding
them back. Each step runs the collection's playbook as a user runs it, against the scenario's inventory with one
change given as an extra variable.

The upgrade goes from v1.20.2 to "v1.20.3": NOT upstream's v1.20.3 but the same v1.20.2 source built a second time
and stamped as the next patch release (lab/k8s/versions.sh). It exercises the whole upgrade machinery (package
repository, holds, images, static pod manifests, drains) with a real kubeadm; it cannot show what differs between
real releases. kubeadm 1.20 pre-pulls images through crictl, which Debian lacks: the control-plane nodes get the
lab's named stand-in (lab/k8s/crictl-standin) first.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_ha import CLUSTER_ADDRESS, CONTROL_PLANE, EPHEMERAL, NODES, PORT, PREFIX, VIP, _secrets, on, playbook

ROOT = Path(__file__).resolve().parents[3]
UPGRADE_TO = "1.20.3"
SMOKE_IMAGE = "172.30.0.2:5000/lab/nginx-smoke:bookworm"
KUBECTL = "kubectl --kubeconfig=/etc/kubernetes/admin.conf --request-timeout=10s"
CERTS = [
    "pki/apiserver.crt",
    "pki/apiserver-kubelet-client.crt",
    "pki/apiserver-etcd-client.crt",
    "pki/front-proxy-client.crt",
    "pki/etcd/server.crt",
    "pki/etcd/peer.crt",
    "pki/etcd/healthcheck-client.crt",
]
KUBECONFIGS = ["admin.conf", "controller-manager.conf", "scheduler.conf"]
DAY2_LOGS = []


def run(name: str, *args: str, log: str):
    DAY2_LOGS.append(log)
    return playbook(name, *args, log=log)


def kubectl(args: str, node: str = "cp1", check: bool = True):
    return on(node, f"{KUBECTL} {args}", check=check)


def wait_healthy(timeout: int = 300) -> None:
    """Every node Ready and every etcd member healthy (the failover test restarted a node just before)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        nodes = kubectl("get nodes -o json", check=False)
        if nodes.returncode == 0:
            ready = [
                c["status"]
                for i in json.loads(nodes.stdout)["items"]
                for c in i["status"]["conditions"]
                if c["type"] == "Ready"
            ]
            if ready and all(r == "True" for r in ready):
                members = etcd("endpoint health --cluster -w json", check=False)
                if members.returncode == 0 and all(m["health"] for m in json.loads(members.stdout)):
                    return
        time.sleep(5)
    pytest.fail("the cluster did not become healthy")


def etcd(args: str, node: str = "cp1", check: bool = True):
    return on(
        node,
        f"{KUBECTL} exec -n kube-system etcd-{node} -- etcdctl --endpoints=https://127.0.0.1:2379 "
        "--cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt "
        f"--key=/etc/kubernetes/pki/etcd/healthcheck-client.key {args}",
        check=check,
    )


def recap_changed(recap: dict) -> dict:
    return {host: r["changed"] for host, r in recap.items() if r["changed"]}


# ---------------------------------------------------------------------------------------------------------
# Upgrade
# ---------------------------------------------------------------------------------------------------------
WORKLOAD = f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: kha-day2, namespace: default}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: kha-day2}}}}
  template:
    metadata: {{labels: {{app: kha-day2}}}}
    spec:
      tolerations:
        - {{key: node-role.kubernetes.io/master, operator: Exists, effect: NoSchedule}}
        - {{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}}
      containers:
        - name: web
          image: {SMOKE_IMAGE}
          readinessProbe: {{httpGet: {{path: /, port: 80}}, periodSeconds: 2}}
---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {{name: kha-day2, namespace: default}}
spec:
  minAvailable: 1
  selector: {{matchLabels: {{app: kha-day2}}}}
"""


def versions() -> dict:
    items = json.loads(kubectl("get nodes -o json").stdout)["items"]
    kubelets = {i["metadata"]["name"]: i["status"]["nodeInfo"]["kubeletVersion"] for i in items}
    pods = json.loads(kubectl("get pods -n kube-system -l component=kube-apiserver -o json").stdout)["items"]
    apiservers = {p["spec"]["nodeName"]: p["spec"]["containers"][0]["image"].rsplit(":", 1)[1] for p in pods}
    config = kubectl("get cm -n kube-system kubeadm-config -o jsonpath='{.data.ClusterConfiguration}'").stdout
    return {
        "kubelets": kubelets,
        "apiservers": apiservers,
        "cluster": re.search(r"kubernetesVersion: (\S+)", config).group(1),
    }


def test_upgrade_with_a_workload_running_and_the_api_polled_through_the_vip():
    wait_healthy()
    for node in CONTROL_PLANE:
        subprocess.run(
            ["docker", "cp", str(ROOT / "lab/k8s/crictl-standin"), f"{PREFIX}{node}:/usr/local/bin/crictl"], check=True
        )
    on("cp1", f"cat > /tmp/kha-day2.yaml <<'EOF'\n{WORKLOAD}\nEOF\n{KUBECTL} apply -f /tmp/kha-day2.yaml")
    kubectl("rollout status deployment/kha-day2 --timeout=180s", check=True)
    before = versions()
    assert set(before["kubelets"].values()) == {"v1.20.2"} and before["cluster"] == "v1.20.2", before

    # refused before any change: a skipped minor and a downgrade
    result, recap = run("playbooks/upgrade.yml", "-e", "kha_kubernetes_version=1.22.0", log="upgrade-skip.out")
    assert result.returncode != 0 and "skips a minor release" in result.stdout, result.stdout[-3000:]
    assert not recap_changed(recap), recap

    # The API is asked through the VIP every 0.25 s from w1 (its kubelet restarts, its container does not).
    on(
        "w1",
        "rm -f /tmp/kha-poll.log; nohup sh -c 'while :; do t=$(date +%s.%N); "
        f'r=$(curl -sk -m 1 https://{VIP}:{PORT}/healthz); echo "$t $r"; sleep 0.25; done\' '
        ">/tmp/kha-poll.log 2>&1 &",
    )
    try:
        result, recap = run("playbooks/upgrade.yml", "-e", f"kha_kubernetes_version={UPGRADE_TO}", log="upgrade.out")
    finally:
        on("w1", "pkill -f 'kha-poll|curl -sk -m 1' || true; pkill -f 'while :; do t=' || true", check=False)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    after = versions()
    print("versions before:", before, "\nversions after:", after)
    assert set(after["kubelets"].values()) == {f"v{UPGRADE_TO}"}
    assert set(after["apiservers"].values()) == {f"v{UPGRADE_TO}"} and len(after["apiservers"]) == 3
    assert after["cluster"] == f"v{UPGRADE_TO}"
    for node in NODES:
        held = on(node, "apt-mark showhold").stdout.split()
        assert {"kubelet", "kubeadm", "kubectl"} <= set(held), (node, held)
        assert f"{UPGRADE_TO}-" in on(node, "dpkg-query -W -f '${Version}' kubelet").stdout
    assert not kubectl("get nodes -o jsonpath='{.items[*].spec.unschedulable}'").stdout.strip(), (
        "a node stayed cordoned"
    )
    assert kubectl("get deployment kha-day2 -o jsonpath='{.status.readyReplicas}'").stdout == "2"

    # the longest time the API did not answer through the VIP
    samples = [line.split() for line in on("w1", "cat /tmp/kha-poll.log").stdout.splitlines() if line.strip()]
    times = [float(s[0]) for s in samples]
    ok = [float(s[0]) for s in samples if len(s) > 1 and s[1] == "ok"]
    assert len(times) > 100 and ok, "the poller did not run"
    gaps = [b - a for a, b in itertools.pairwise(ok)]
    longest = max(gaps) if gaps else 0.0
    print(
        f"API through the VIP during the upgrade: {len(ok)} of {len(samples)} requests answered over "
        f"{times[-1] - times[0]:.0f} s; longest gap between answers {longest:.1f} s"
    )
    (EPHEMERAL / "upgrade-api-gap.txt").write_text(f"{longest:.1f}\n")

    # a re-run finds everything at the target: no change
    result, recap = run("playbooks/upgrade.yml", "-e", f"kha_kubernetes_version={UPGRADE_TO}", log="upgrade-2.out")
    assert result.returncode == 0 and "nothing to upgrade" in result.stdout, result.stdout[-3000:]
    assert not recap_changed(recap), recap

    # and now 1.20.2 would be a downgrade
    result, recap = run("playbooks/upgrade.yml", "-e", "kha_kubernetes_version=1.20.2", log="upgrade-down.out")
    assert result.returncode != 0 and "is a downgrade" in result.stdout
    assert not recap_changed(recap), recap


# ---------------------------------------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------------------------------------
def not_after(node: str) -> dict[str, datetime]:
    script = "; ".join(
        [f"echo {c} $(openssl x509 -enddate -noout -in /etc/kubernetes/{c} | cut -d= -f2)" for c in CERTS]
        + [
            f"echo {k} $(grep client-certificate-data /etc/kubernetes/{k} | awk '{{print $2}}' | base64 -d "
            "| openssl x509 -enddate -noout | cut -d= -f2)"
            for k in KUBECONFIGS
        ]
    )
    dates = {}
    for line in on(node, script).stdout.splitlines():
        name, text = line.split(" ", 1)
        dates[name] = datetime.strptime(" ".join(text.split()), "%b %d %H:%M:%S %Y %Z").replace(tzinfo=timezone.utc)
    return dates


def test_renew_certificates_moves_every_expiry_date():
    wait_healthy()
    before = {node: not_after(node) for node in CONTROL_PLANE}
    time.sleep(2)  # the dates have second precision: make "later" unambiguous
    result, recap = run("playbooks/renew_certs.yml", "-e", "kha_cert_renew_force=true", log="renew-certs.out")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert all(recap[n]["changed"] > 0 for n in CONTROL_PLANE), recap
    for node in CONTROL_PLANE:
        after = not_after(node)
        moved = {name: (before[node][name].isoformat(), after[name].isoformat()) for name in after}
        print(node, moved)
        assert all(after[name] > before[node][name] for name in after), moved
    assert "renewed; the certificates now expire" in result.stdout
    assert on("cp1", f"curl -sS --cacert /etc/kubernetes/pki/ca.crt https://{VIP}:{PORT}/healthz").stdout == "ok"
    # the API servers serve the renewed certificate (they were restarted)
    for node in CONTROL_PLANE:
        served = on(
            node,
            f"echo | openssl s_client -connect {CLUSTER_ADDRESS[node]}:6443 2>/dev/null "
            "| openssl x509 -noout -enddate | cut -d= -f2",
        ).stdout
        on_disk = on(node, "openssl x509 -noout -enddate -in /etc/kubernetes/pki/apiserver.crt | cut -d= -f2").stdout
        assert served.strip() == on_disk.strip(), (node, served, on_disk)
    # nothing due: a run without force renews nothing
    result, recap = run("playbooks/renew_certs.yml", log="renew-certs-2.out")
    assert result.returncode == 0 and not recap_changed(recap), recap


# ---------------------------------------------------------------------------------------------------------
# etcd backup and restore
# ---------------------------------------------------------------------------------------------------------
def test_etcd_backup_then_restore_brings_back_what_was_deleted():
    wait_healthy()
    kubectl("create configmap kha-witness --from-literal=state=before-backup")
    result, _recap = run("playbooks/etcd_backup.yml", log="etcd-backup.out")
    assert result.returncode == 0, result.stdout[-5000:]
    sums = {}
    for node in CONTROL_PLANE:
        listing = on(
            node,
            "ls -l /var/backups/kubeadm-ha/etcd/ && stat -c '%a %U' /var/backups/kubeadm-ha/etcd "
            "/var/backups/kubeadm-ha/etcd/*.db",
        ).stdout
        assert "700 root" in listing and "600 root" in listing, listing
        sums[node] = on(node, "cd /var/backups/kubeadm-ha/etcd && sha256sum -c *.sha256 && cat *.sha256").stdout
    assert len({s.splitlines()[-1] for s in sums.values()}) == 1, "every node holds the same snapshot"
    assert re.search(r"revision \d+, \d+ keys", result.stdout), result.stdout[-2000:]

    kubectl("delete configmap kha-witness")
    kubectl("create configmap kha-after-backup --from-literal=state=after")
    result, _recap = run("playbooks/etcd_restore.yml", log="etcd-restore-refused.out")
    assert result.returncode != 0 and "kha_etcd_restore_confirm=yes" in result.stdout
    result, recap = run("playbooks/etcd_restore.yml", "-e", "kha_etcd_restore_confirm=yes", log="etcd-restore.out")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert all(recap[node]["changed"] > 0 for node in CONTROL_PLANE), recap
    wait_healthy()
    assert kubectl("get configmap kha-witness -o jsonpath='{.data.state}'").stdout == "before-backup"
    assert kubectl("get configmap kha-after-backup", check=False).returncode != 0, "the restore kept later state"
    members = json.loads(etcd("member list -w json").stdout)["members"]
    assert sorted(m["name"] for m in members) == CONTROL_PLANE
    assert on("cp1", f"curl -sS --cacert /etc/kubernetes/pki/ca.crt https://{VIP}:{PORT}/healthz").stdout == "ok"


# ---------------------------------------------------------------------------------------------------------
# Remove and add back
# ---------------------------------------------------------------------------------------------------------
def test_remove_a_control_plane_node_and_a_worker_then_add_them_back():
    wait_healthy()
    result, recap = run("playbooks/remove_nodes.yml", "-e", "kha_remove_nodes=cp1,cp2,cp3", log="remove-all.out")
    assert result.returncode != 0 and "would remove every control-plane node" in result.stdout
    assert not recap_changed(recap), recap

    result, recap = run("playbooks/remove_nodes.yml", "-e", "kha_remove_nodes=cp3,w1", log="remove.out")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    members = json.loads(etcd("member list -w json").stdout)["members"]
    assert sorted(m["name"] for m in members) == ["cp1", "cp2"]
    names = kubectl("get nodes -o jsonpath='{.items[*].metadata.name}'").stdout.split()
    assert sorted(names) == ["cp1", "cp2"]
    assert on("cp1", f"curl -sS --cacert /etc/kubernetes/pki/ca.crt https://{VIP}:{PORT}/healthz").stdout == "ok"
    for node in ("cp1", "cp2"):
        assert CLUSTER_ADDRESS["cp3"] not in on(node, "cat /etc/haproxy/haproxy.cfg").stdout
    assert on("cp3", "systemctl is-active keepalived", check=False).stdout.strip() != "active"
    assert on("cp3", "test -e /etc/kubernetes/admin.conf", check=False).returncode != 0

    result, recap = run("playbooks/add_nodes.yml", log="add-back.out")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    wait_healthy()
    members = json.loads(etcd("member list -w json").stdout)["members"]
    assert sorted(m["name"] for m in members) == CONTROL_PLANE
    assert sorted(kubectl("get nodes -o jsonpath='{.items[*].metadata.name}'").stdout.split()) == NODES


def test_no_secret_in_the_vvv_logs_of_the_day2_runs():
    text = "".join((EPHEMERAL / name).read_text(errors="replace") for name in DAY2_LOGS if (EPHEMERAL / name).exists())
    assert len(text) > 100_000, "the -vvv logs are missing"
    secrets = _secrets()
    leaked = sorted(name for name, value in secrets.items() if value and value in text)
    assert not leaked, f"secrets found in the day-2 logs: {leaked}"

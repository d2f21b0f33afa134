"""Day 2 on the ha scenario's real cluster (after test_ha.py, which pytest takes first): upgrade with a workload
running and the API polled through the VIP, certificate renewal, etcd backup and restore; then the first
control-plane node is powered off for good: a worker is removed and added while it is down, the dead node is removed
(etcd member, Node) from the others, and a fresh replacement of the same name is added, its `kubeadm join` killed
right after its etcd member was added, so that the next add_nodes.yml must repair it. Each step runs the collection's
playbook as a user runs it, against the scenario's inventory with one change given as an extra variable (after the
upgrade: the new version, as the operator's inventory then says).

The upgrade goes from v1.20.2 to "v1.20.3": NOT upstream's v1.20.3 but the same v1.20.2 source built a second time
and stamped as the next patch release (lab/k8s/versions.sh). It exercises the whole upgrade machinery (package
repository, holds, images, static pod manifests, drains) with a real kubeadm; it cannot show what differs between
real releases. kubeadm 1.20 pre-pulls images through crictl, which Debian lacks: the control-plane nodes get the
lab's named stand-in (lab/k8s/crictl-standin) first.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_ha import (
    CLUSTER_ADDRESS,
    CONTROL_PLANE,
    EPHEMERAL,
    ETCD_CERTS,
    NODES,
    PORT,
    PREFIX,
    VIP,
    _secrets,
    on,
    playbook,
)

ROOT = Path(__file__).resolve().parents[3]
UPGRADE_TO = "1.20.3"
# Every run after the upgrade: the inventory's version moved with the cluster.
UPGRADED = ("-e", f"kha_kubernetes_version={UPGRADE_TO}")
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
    assert result.returncode == 0, result.stdout[-6000:]
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
    # "<time> ok" per request; an answer other than "ok" (a Status object in JSON) may span lines of its own
    samples = [
        line.split()
        for line in on("w1", "cat /tmp/kha-poll.log").stdout.splitlines()
        if re.match(r"^\d+\.\d+( |$)", line)
    ]
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
    result, recap = run(
        "playbooks/renew_certs.yml", *UPGRADED, "-e", "kha_cert_renew_force=true", log="renew-certs.out"
    )
    assert result.returncode == 0, result.stdout[-6000:]
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
    result, recap = run("playbooks/renew_certs.yml", *UPGRADED, log="renew-certs-2.out")
    assert result.returncode == 0 and not recap_changed(recap), recap


# ---------------------------------------------------------------------------------------------------------
# etcd backup and restore
# ---------------------------------------------------------------------------------------------------------
def test_etcd_backup_then_restore_brings_back_what_was_deleted():
    wait_healthy()
    kubectl("create configmap kha-witness --from-literal=state=before-backup")
    result, _recap = run("playbooks/etcd_backup.yml", *UPGRADED, log="etcd-backup.out")
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
    result, _recap = run("playbooks/etcd_restore.yml", *UPGRADED, log="etcd-restore-refused.out")
    assert result.returncode != 0 and "kha_etcd_restore_confirm=yes" in result.stdout
    result, recap = run(
        "playbooks/etcd_restore.yml", *UPGRADED, "-e", "kha_etcd_restore_confirm=yes", log="etcd-restore.out"
    )
    assert result.returncode == 0, result.stdout[-6000:]
    assert all(recap[node]["changed"] > 0 for node in CONTROL_PLANE), recap
    wait_healthy()
    assert kubectl("get configmap kha-witness -o jsonpath='{.data.state}'").stdout == "before-backup"
    assert kubectl("get configmap kha-after-backup", check=False).returncode != 0, "the restore kept later state"
    members = json.loads(etcd("member list -w json").stdout)["members"]
    assert sorted(m["name"] for m in members) == CONTROL_PLANE
    assert on("cp1", f"curl -sS --cacert /etc/kubernetes/pki/ca.crt https://{VIP}:{PORT}/healthz").stdout == "ok"


# ---------------------------------------------------------------------------------------------------------
# The first control-plane node dies: remove and add a worker meanwhile, remove the dead node, add a replacement
# ---------------------------------------------------------------------------------------------------------
def run_as_awx(playbook: str, extravars: dict, log: str) -> tuple[int, str, dict]:
    """The playbook as AWX runs a job template: through ansible-runner (what AWX uses underneath), from the
    collection built into a tarball and installed (no checkout: ANSIBLE_COLLECTIONS_PATH holds only the installed
    copy and the `ansible` package's collections, where AWX would have installed collections/requirements.yml from
    Galaxy, which this lab cannot reach), a project whose playbook imports the collection's by FQCN, the scenario's
    inventory file, and the extra variables a survey passes. Returns rc, the job's output and its PLAY RECAP."""
    import ansible_runner  # noqa: PLC0415 - only this test needs it

    work = EPHEMERAL / "awx"
    shutil.rmtree(work, ignore_errors=True)
    (work / "project").mkdir(parents=True)
    built = subprocess.run(
        ["ansible-galaxy", "collection", "build", "--force", "--output-path", str(work), str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    )
    tarball = next(work.glob("kubeadm_ha-cluster-*.tar.gz"))
    # --force: without it ansible-galaxy sees the checkout's own copy on the configured collections path (Molecule's
    # ANSIBLE_COLLECTIONS_PATH) and installs nothing ("Nothing to do"): the job would find no collection.
    subprocess.run(
        ["ansible-galaxy", "collection", "install", "--force", "-p", str(work / "collections"), str(tarball)],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = work / "collections/ansible_collections/kubeadm_ha/cluster/playbooks/site.yml"
    assert installed.is_file(), f"the built collection was not installed into {work / 'collections'}"
    print(built.stdout.strip())
    (work / "project" / "job.yml").write_text(
        f"---\n- name: The job template's playbook\n  ansible.builtin.import_playbook: {playbook}\n"
    )
    inventory = Path(os.environ["MOLECULE_INVENTORY_FILE"]).parent
    venv = ROOT / ".venv/lib/python3.11/site-packages"
    runner = ansible_runner.run(
        private_data_dir=str(work),
        project_dir=str(work / "project"),
        playbook="job.yml",
        inventory=str(inventory),
        extravars=extravars,
        envvars={
            "ANSIBLE_COLLECTIONS_PATH": f"{work / 'collections'}:{venv}",
            "ANSIBLE_CONFIG": os.environ.get("ANSIBLE_CONFIG", ""),
            "ANSIBLE_VERBOSITY": "3",
            "ANSIBLE_NOCOLOR": "1",
        },
        quiet=True,
    )
    output = runner.stdout.read()
    (EPHEMERAL / log).write_text(output)
    DAY2_LOGS.append(log)
    recap = {
        host: {"ok": int(ok), "changed": int(changed), "failed": int(failed)}
        for host, ok, changed, failed in re.findall(
            r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", output, re.M
        )
    }
    print(f"ansible-runner: status {runner.status}, rc {runner.rc}")
    return runner.rc, output, recap


def members() -> list[str]:
    return sorted(m["name"] for m in json.loads(etcd("member list -w json", node="cp2").stdout)["members"])


def node_names() -> list[str]:
    return sorted(kubectl("get nodes -o jsonpath='{.items[*].metadata.name}'", node="cp2").stdout.split())


def vip_healthz(node: str = "cp2") -> str:
    return on(node, f"curl -sS --max-time 5 --cacert /etc/kubernetes/pki/ca.crt https://{VIP}:{PORT}/healthz").stdout


def test_with_the_first_control_plane_node_powered_off_the_others_serve():
    wait_healthy()
    result, recap = run(
        "playbooks/remove_nodes.yml", *UPGRADED, "-e", "kha_remove_nodes=cp1,cp2,cp3", log="remove-all.out"
    )
    assert result.returncode != 0 and "would remove every control-plane node" in result.stdout
    assert not recap_changed(recap), recap

    subprocess.run(["docker", "stop", "-t", "5", PREFIX + "cp1"], check=True, capture_output=True)
    # remove_nodes.yml takes a worker out while cp1 is down (cp2 serves); add_nodes.yml adds it back
    result, recap = run("playbooks/remove_nodes.yml", *UPGRADED, "-e", "kha_remove_nodes=w1", log="remove-w1.out")
    assert result.returncode == 0, result.stdout[-6000:]
    assert "cp1: does not answer: left out of this run" in result.stdout
    assert "control-plane node serving this run: cp2" in result.stdout
    assert "unreachable=1" not in result.stdout, "a member that does not answer is left out, not failed"
    assert "w1" not in node_names()
    # site.yml joins it back, run as AWX runs a job template, with the version as a survey gives it
    rc, output, recap = run_as_awx(
        "kubeadm_ha.cluster.site", {"kha_kubernetes_version": UPGRADE_TO}, log="awx-site.out"
    )
    assert rc == 0, output[-6000:]
    assert "cp1: does not answer: left out of this run" in output
    assert recap["w1"]["changed"] > 0, recap
    assert recap.get("cp1", {"changed": 0})["changed"] == 0, recap
    assert "w1" in node_names()
    ready = kubectl("get node w1 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}'", node="cp2")
    assert ready.stdout.strip() == "True"
    assert vip_healthz() == "ok"


def test_the_dead_first_node_is_removed_and_a_replacement_joins_after_an_interrupted_join():
    assert on("cp2", "true").returncode == 0
    down = subprocess.run(["docker", "exec", PREFIX + "cp1", "true"], check=False, capture_output=True)
    assert down.returncode != 0, "cp1 must still be powered off (previous test)"
    # the dead node leaves etcd and the cluster, from a healthy member: 2 etcd members, the API still answers
    result, recap = run("playbooks/remove_nodes.yml", *UPGRADED, "-e", "kha_remove_nodes=cp1", log="remove-cp1.out")
    assert result.returncode == 0, result.stdout[-6000:]
    assert "cp1 does not answer: it left the cluster" in " ".join(result.stdout.split())
    assert members() == ["cp2", "cp3"]
    assert "cp1" not in node_names()
    assert vip_healthz() == "ok" and vip_healthz("cp3") == "ok"
    for node in ("cp2", "cp3"):
        assert CLUSTER_ADDRESS["cp1"] not in on(node, "cat /etc/haproxy/haproxy.cfg").stdout

    # a replacement of the same name: a new, empty host
    labctl = str(ROOT / "lab/labctl")
    subprocess.run([labctl, "node-down", PREFIX + "cp1"], check=True, capture_output=True)
    subprocess.run([labctl, "node-up", PREFIX + "cp1", "172.30.6.11"], check=True, capture_output=True)
    subprocess.run(
        [labctl, "node-net", PREFIX + "cp1", "kha-ha-cluster", "172.31.6.0/24", CLUSTER_ADDRESS["cp1"]],
        check=True,
        capture_output=True,
    )
    # add_nodes.yml, with `kubeadm join` on cp1 killed once its etcd member was added (kubeadm writes the etcd static
    # pod manifest right after adding the member)
    watch = (
        "for _ in $(seq 12000); do if [ -e /etc/kubernetes/manifests/etcd.yaml ] && pkill -KILL -x kubeadm; "
        "then echo killed; exit 0; fi; sleep 0.05; done; exit 1"
    )
    killer = subprocess.Popen(
        ["docker", "exec", PREFIX + "cp1", "bash", "-c", watch], stdout=subprocess.PIPE, text=True
    )
    try:
        result, recap = run("playbooks/add_nodes.yml", *UPGRADED, log="add-cp1-killed.out")
    finally:
        killer.terminate()
    killed = killer.communicate(timeout=30)[0]
    assert "killed" in killed, "kubeadm join was not killed on cp1"
    assert result.returncode != 0, "the join was killed: the run must fail"
    peers = [u for m in json.loads(etcd("member list -w json", node="cp2").stdout)["members"] for u in m["peerURLs"]]
    assert any(CLUSTER_ADDRESS["cp1"] in u for u in peers), f"the killed join had added cp1's etcd member: {peers}"

    # the next run finds cp1 half joined, says so, removes its etcd member, resets it and joins it again
    result, recap = run("playbooks/add_nodes.yml", *UPGRADED, log="add-cp1.out")
    assert result.returncode == 0, result.stdout[-6000:]
    text = " ".join(result.stdout.split())
    # the reason may hold parentheses itself: "(an etcd member that never started (added, but its etcd did not join))"
    assert re.search(r"cp1 is half joined \(.*?\): removing what the cluster holds of it", text), text[-3000:]
    wait_healthy()
    assert members() == CONTROL_PLANE
    assert node_names() == NODES
    assert vip_healthz() == "ok"
    for node in CONTROL_PLANE:
        health = json.loads(on(node, f"curl -sS {ETCD_CERTS} https://127.0.0.1:2379/health").stdout)
        assert health["health"] in (True, "true"), (node, health)

    # and a run after that changes nothing
    result, recap = run("playbooks/add_nodes.yml", *UPGRADED, log="add-after-repair.out")
    assert result.returncode == 0 and not recap_changed(recap), recap


def test_no_secret_in_the_vvv_logs_of_the_day2_runs():
    text = "".join((EPHEMERAL / name).read_text(errors="replace") for name in DAY2_LOGS if (EPHEMERAL / name).exists())
    assert len(text) > 100_000, "the -vvv logs are missing"
    secrets = _secrets()
    leaked = sorted(name for name, value in secrets.items() if value and value in text)
    assert not leaked, f"secrets found in the day-2 logs: {leaked}"

"""site.yml, as a user runs it, against the scenario's real lab nodes: the front door stops every bad input before
any host changes.

The inventory is the user's: inventories/prod/group_vars/all/cluster.yml copied verbatim, the shared lab settings
(inventories/lab/group_vars/all/lab-environment.yml) and this scenario's addresses (VIP, a throwaway VRRP secret),
with the scenario's three nodes (cp1 as the one control-plane node, w1 and w2 as workers). Each bad input is ONE
change to it. Every run must fail with a message naming the variable (and the host where it is per host), report
changed=0 for every host in the PLAY RECAP, and leave the nodes without any package the playbook would install.
The unchanged inventory passes the front door (check.yml) on the same nodes.

Runs after test_converged.py and test_runs.py (pytest takes the files in name order); needs nothing they leave.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
NODES = ["cp1", "w1", "w2"]
PARALLEL_RUNS = 3
SECRET = "kha-pf31"  # noqa: S105 - a throwaway lab value, checked never to reach the output


def container(node: str) -> str:
    return f"kha-mol-preflight-{node}"


def write_inventory(path: Path, hosts: dict | None = None) -> Path:
    """The user's inventory for the scenario's nodes; ``hosts`` replaces the groups (all.children)."""
    group_vars = path / "group_vars" / "all"
    group_vars.mkdir(parents=True)
    shutil.copy(ROOT / "inventories/prod/group_vars/all/cluster.yml", group_vars / "cluster.yml")
    shutil.copy(ROOT / "inventories/lab/group_vars/all/lab-environment.yml", group_vars / "lab-environment.yml")
    addresses = {
        # lab-only: a free address in the scenario's slice of kha-lab, and a throwaway secret
        "kha_api_vip": "172.30.3.10",
        "vault_kha_vrrp_password": SECRET,
    }
    (group_vars / "lab-addresses.yml").write_text(yaml.safe_dump(addresses))
    children = hosts or {
        "k8s_cluster": {"children": {"kube_control_plane": members("cp1"), "kube_node": members("w1", "w2")}},
        "kube_lb": {"hosts": {}},
    }
    inventory = {
        "all": {
            "vars": {"ansible_connection": "community.docker.docker", "ansible_user": "root"},
            "children": children,
        }
    }
    (path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    return path


def members(*names: str) -> dict:
    """A group's hosts: each inventory host is the scenario's lab container of that (lower-cased) name."""
    return {"hosts": {name: {"ansible_host": container(name.lower())} for name in names}}


def run(playbook: str, inventory: Path, extra: dict | None = None) -> tuple[int, str, dict[str, dict[str, int]]]:
    argv = ["ansible-playbook", "-i", str(inventory), str(ROOT / playbook)]
    if extra:
        argv += ["-e", json.dumps(extra)]
    env = {
        **os.environ,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_COLLECTIONS_PATH": f"{ROOT}/.collections:{ROOT}/.venv/lib/python3.11/site-packages",
    }
    env.pop("ANSIBLE_FORCE_COLOR", None)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False, env=env)
    output = out.stdout + out.stderr
    recap = {
        m[1]: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m[2])}
        for m in re.finditer(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", output, re.MULTILINE)
    }
    return out.returncode, output, recap


def two_control_plane_nodes():
    return {"k8s_cluster": {"children": {"kube_control_plane": members("cp1", "w1"), "kube_node": members("w2")}}}


def upper_case_host_name():
    return {"k8s_cluster": {"children": {"kube_control_plane": members("cp1"), "kube_node": members("W1", "w2")}}}


def workers_outside_k8s_cluster():
    return {"k8s_cluster": {"children": {"kube_control_plane": members("cp1")}}, "kube_node": members("w1", "w2")}


# (case, extra variables, hosts, the patterns that must be in the output)
CASES = [
    (
        "pod-subnet-overlaps-service",
        {"kha_pod_subnet": "10.96.0.0/16"},
        None,
        [r"kha_pod_subnet \(every host\): 10\.96\.0\.0/16 overlaps kha_service_subnet 10\.96\.0\.0/12"],
    ),
    (
        "service-subnet-slash-8",
        {"kha_service_subnet": "10.0.0.0/8"},
        None,
        [r"kha_service_subnet \(every host\): 10\.0\.0\.0/8 is too large"],
    ),
    (
        "vip-outside-the-subnet",
        {"kha_api_vip": "192.168.99.10"},
        None,
        [
            r"kha_api_vip \(every host\): 192\.168\.99\.10 is outside the network of the node address of cp1 "
            r"\(172\.30\.0\.0/16\)"
        ],
    ),
    (
        "version-without-patch",
        {"kha_kubernetes_version": "1.30"},
        None,
        [r"kha_kubernetes_version \(every host\): '1\.30' is not a Kubernetes release"],
    ),
    (
        "vrrp-password-too-long",
        {"vault_kha_vrrp_password": "averylongsecret"},
        None,
        [r"kha_vrrp_password \(every host\): \(value not shown\) must be 1 to 8 characters"],
    ),
    (
        "ignore-preflight-all",
        {"kha_kubeadm_ignore_preflight_errors": "all"},
        None,
        [r"kha_kubeadm_ignore_preflight_errors \(every host\): \"all\" would hide every failing kubeadm check"],
    ),
    (
        "dedicated-without-load-balancers",
        {"kha_lb_mode": "dedicated"},
        None,
        [r"group kube_lb \(inventory\): is empty but kha_lb_mode is dedicated"],
    ),
    (
        "image-repository-with-scheme",
        {"kha_image_repository": "https://172.30.0.2:5000/k8s"},
        None,
        [r"kha_image_repository \(every host\): 'https://172\.30\.0\.2:5000/k8s' has a URL scheme"],
    ),
    (
        "node-ip-not-on-the-hosts",
        {"kha_node_ip": "10.20.0.99"},
        None,
        [rf"kha_node_ip \({n}\): 10\.20\.0\.99 is not an address of this host" for n in NODES],
    ),
    (
        "retired-worker-batch",
        {"kha_join_worker_batch": 0},
        None,
        [r"kha_join_worker_batch \(every host\): is no longer used"],
    ),
    (
        "typo-in-a-name",
        {"kha_pod_subnett": "10.244.0.0/16"},
        None,
        [r"kha_pod_subnett \(every host\): is unknown: did you mean kha_pod_subnet\?"],
    ),
    (
        "cni-unknown",
        {"kha_cni": "cilium"},
        None,
        [r"kha_cni \(every host\): \"cilium\" is not one of calico, flannel, bridge"],
    ),
    (
        "two-control-plane-nodes",
        None,
        two_control_plane_nodes(),
        [r"group kube_control_plane \(inventory\): has 2 hosts \(cp1, w1\)"],
    ),
    (
        "upper-case-host-name",
        None,
        upper_case_host_name(),
        [r"inventory host name \(W1\): is not a valid Kubernetes node name"],
    ),
    (
        "workers-outside-k8s-cluster",
        None,
        workers_outside_k8s_cluster(),
        [r"group k8s_cluster \(w1, w2\): does not contain these nodes"],
    ),
]


def installed(node: str) -> str:
    return subprocess.run(
        [
            "docker",
            "exec",
            container(node),
            "sh",
            "-c",
            "dpkg-query -W -f '${Package} ${Status}\\n' containerd kubelet kubeadm haproxy keepalived 2>/dev/null"
            " | grep ' installed' || true",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    if "MOLECULE_INVENTORY_FILE" not in os.environ:
        pytest.skip("needs Molecule's environment (molecule verify -s preflight)")
    before = {node: installed(node) for node in NODES}

    def one(case):
        name, extra, hosts, _patterns = case
        inventory = write_inventory(tmp_path_factory.mktemp(name), hosts)
        return name, run("site.yml", inventory, extra)

    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        results = dict(pool.map(one, CASES))
    return results, before


def test_the_users_inventory_passes_the_front_door(tmp_path):
    if "MOLECULE_INVENTORY_FILE" not in os.environ:
        pytest.skip("needs Molecule's environment (molecule verify -s preflight)")
    rc, output, recap = run("playbooks/check.yml", write_inventory(tmp_path))
    assert rc == 0, output[-4000:]
    assert sorted(recap) == NODES and all(r["changed"] == 0 for r in recap.values()), recap


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_site_yml_stops_a_bad_input_before_any_change(runs, case):
    results, _before = runs
    name, _extra, _hosts, patterns = case
    rc, output, recap = results[name]
    text = " ".join(output.split())
    print(f"{name}: rc={rc}, recap={recap}")
    assert rc != 0, output[-4000:]
    assert "no host was changed" in text, output[-4000:]
    for pattern in patterns:
        assert re.search(pattern, text), f"{pattern!r} not in:\n{output[-4000:]}"
    assert recap and all(r["changed"] == 0 for r in recap.values()), recap
    assert "averylongsecret" not in output and SECRET not in output, "a VRRP secret reached the output"


def test_no_bad_run_installed_anything(runs):
    _results, before = runs
    assert {node: installed(node) for node in NODES} == before
    assert all(not v for v in before.values()), f"the preflight nodes should carry no cluster package: {before}"

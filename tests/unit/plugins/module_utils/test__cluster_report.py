"""The acceptance check's reading of kubectl's JSON (module_utils/_cluster_report.py, role verify)."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.filter import node_report as node_report_filter
from ansible_collections.kubeadm_ha.cluster.plugins.filter import pod_report as pod_report_filter
from ansible_collections.kubeadm_ha.cluster.plugins.filter import smoke_pairs as smoke_pairs_filter
from ansible_collections.kubeadm_ha.cluster.plugins.filter import worker_nodes as worker_nodes_filter
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._cluster_report import (
    ReportInputError,
    node_report,
    pod_report,
    smoke_pairs,
    worker_nodes,
)


def node(name, ready="True", message="kubelet is posting ready status", control_plane=False):
    labels = {"kubernetes.io/hostname": name}
    if control_plane:
        labels["node-role.kubernetes.io/control-plane"] = ""
    return {
        "metadata": {"name": name, "labels": labels},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": ready, "message": message},
            ]
        },
    }


def pod(
    name,
    phase="Running",
    ready=True,
    containers=None,
    node_name="w1",
    ip="10.244.1.5",
    namespace="kube-system",
    scheduled=True,
):
    return {
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"nodeName": node_name} if node_name else {},
        "status": {
            "phase": phase,
            "podIP": ip,
            "conditions": [
                {"type": "Ready", "status": "True" if ready else "False"},
                {
                    "type": "PodScheduled",
                    "status": "True" if scheduled else "False",
                    "message": "0/2 nodes are available: 2 node(s) had taint",
                },
            ],
            "containerStatuses": containers
            if containers is not None
            else [{"name": "main", "ready": ready, "restartCount": 0, "state": {"running": {}}, "image": "img"}],
        },
    }


def items(*objs):
    return {"apiVersion": "v1", "kind": "List", "items": list(objs)}


def test_every_node_ready():
    assert node_report(items(node("cp1"), node("w1")), ["cp1", "w1"]) == []


def test_missing_and_not_ready_nodes_are_named():
    report = node_report(
        items(node("cp1"), node("w1", "False", "container runtime network not ready")), ["cp1", "w1", "w2"]
    )
    assert report == [
        "node w2: not registered in the cluster",
        "node w1: not Ready (container runtime network not ready)",
    ]


def test_the_text_of_kubectl_is_accepted():
    assert node_report(json.dumps(items(node("cp1", "Unknown", ""))), []) == [
        "node cp1: not Ready (no Ready condition)"
    ]


def test_ready_and_succeeded_pods_pass():
    assert pod_report(items(pod("etcd-cp1"), pod("job", phase="Succeeded", ready=False))) == []


def test_image_pull_back_off_names_the_image():
    waiting = {
        "name": "coredns",
        "ready": False,
        "restartCount": 0,
        "image": "registry.k8s.io/coredns:1.7.0",
        "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}},
    }
    report = pod_report(items(pod("coredns-1", phase="Pending", ready=False, containers=[waiting], node_name="cp1")))
    assert report == [
        "pod kube-system/coredns-1 on cp1: Pending; container coredns: ImagePullBackOff, image "
        "registry.k8s.io/coredns:1.7.0 cannot be pulled"
    ]


def test_crash_loop_and_not_ready_and_unschedulable():
    crash = {
        "name": "proxy",
        "ready": False,
        "restartCount": 7,
        "image": "x",
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s\nmore"}},
    }
    unready = {"name": "web", "ready": False, "restartCount": 1, "image": "x", "state": {"running": {}}}
    report = pod_report(
        items(
            pod("a", containers=[crash], ready=False),
            pod("b", containers=[unready], ready=False),
            pod("c", phase="Pending", ready=False, containers=[], node_name=None, scheduled=False),
        )
    )
    assert report == [
        "pod kube-system/a on w1: Running; container proxy: CrashLoopBackOff (back-off 5m0s)",
        "pod kube-system/b on w1: Running; container web: running but not ready (1 restarts)",
        "pod kube-system/c (not scheduled): Pending; unschedulable: 0/2 nodes are available: 2 node(s) had taint",
    ]


def test_terminated_container():
    done = {
        "name": "m",
        "ready": False,
        "restartCount": 2,
        "image": "x",
        "state": {"terminated": {"reason": "Error", "exitCode": 1}},
    }
    assert pod_report(items(pod("p", phase="Failed", ready=False, containers=[done]))) == [
        "pod kube-system/p on w1: Failed; container m: terminated (Error, exit code 1, 2 restarts)"
    ]


def test_workers_are_the_nodes_without_a_control_plane_label():
    nodes = items(node("cp1", control_plane=True), node("w2"), node("w1"))
    nodes["items"][0]["metadata"]["labels"] = {"node-role.kubernetes.io/master": ""}
    assert worker_nodes(nodes) == ["w1", "w2"]


def test_smoke_pairs_cross_nodes_once_per_pod():
    pods = items(
        pod("s-a", node_name="w1", ip="10.244.1.2"),
        pod("s-b", node_name="w2", ip="10.244.2.2"),
        pod("s-c", node_name="w1", ip="10.244.1.3"),
        pod("s-d", phase="Pending", node_name="w2", ip=""),
    )
    pairs = smoke_pairs(pods)
    assert [(p["client"], p["server"], p["server_ip"]) for p in pairs] == [
        ("s-a", "s-b", "10.244.2.2"),
        ("s-b", "s-c", "10.244.1.3"),
        ("s-c", "s-b", "10.244.2.2"),
    ]
    assert all(p["client_node"] != p["server_node"] for p in pairs)


def test_smoke_pairs_on_one_node_is_empty():
    assert smoke_pairs(items(pod("a"), pod("b"))) == []


@pytest.mark.parametrize("bad", ["not json", {"kind": "Pod"}, [1, 2], None])
def test_input_that_is_not_a_kubectl_list(bad):
    with pytest.raises(ReportInputError):
        pod_report(bad)


@pytest.mark.parametrize("plugin", [node_report_filter, pod_report_filter, smoke_pairs_filter, worker_nodes_filter])
def test_each_filter_file_registers_its_filter(plugin):
    name = plugin.__name__.rpartition(".")[2]
    assert list(plugin.FilterModule().filters()) == [name]


@pytest.mark.parametrize("plugin", [node_report_filter, pod_report_filter, smoke_pairs_filter, worker_nodes_filter])
def test_a_filter_fails_naming_itself_on_bad_input(plugin):
    name = plugin.__name__.rpartition(".")[2]
    with pytest.raises(AnsibleFilterError, match=f"^{name}: "):
        plugin.FilterModule().filters()[name]("not json")

"""The node states a run works out from the hosts: which control-plane node serves, and which nodes are joined,
fresh or half joined. The half-joined cases are the ones `kubeadm join` leaves when it is killed at each of its
phases (kubeadm 1.20: control-plane-prepare, kubelet-start, control-plane-join: etcd member add, etcd manifest,
mark-control-plane)."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._node_state import (
    CONTROL_PLANE_MANIFESTS,
    cluster_state,
    node_state,
    serving_control_plane,
)

CP = ["cp1", "cp2", "cp3"]
WORKERS = ["w1"]
IPS = {"cp1": "10.0.0.11", "cp2": "10.0.0.12", "cp3": "10.0.0.13", "w1": "10.0.0.21"}
NAMES = {h: h for h in IPS}
ALL_FILES = {"kubelet.conf": True, "pki/ca.crt": True, **{"manifests/" + m: True for m in CONTROL_PLANE_MANIFESTS}}


def member(host: str, started: bool = True, mid: str | None = None) -> dict:
    return {
        "ID": mid or str(1000 + int(host[-1])),
        "name": host if started else "",
        "peerURLs": [f"https://{IPS[host]}:2380"],
        "clientURLs": [f"https://{IPS[host]}:2379"] if started else [],
    }


def node(host: str, control_plane: bool) -> dict:
    labels = {"node-role.kubernetes.io/master": ""} if control_plane else {}
    return {"name": host, "ready": True, "labels": labels, "addresses": [IPS[host]]}


def healthy_cluster() -> dict[str, dict]:
    """Every node a full member; each control-plane node sees the same members and nodes."""
    members = [member(h) for h in CP]
    nodes = [node(h, True) for h in CP] + [node("w1", False)]
    probes = {
        h: {
            "files": {**ALL_FILES, "admin.conf": True},
            "kubelet_active": True,
            "api_healthy": True,
            "etcd_members": copy.deepcopy(members),
            "nodes": copy.deepcopy(nodes),
        }
        for h in CP
    }
    probes["w1"] = {"files": {"kubelet.conf": True, "pki/ca.crt": True}, "kubelet_active": True}
    return probes


def fresh(control_plane: bool = False) -> dict:
    return {"files": {}, "kubelet_active": False}


def state(probes: dict) -> dict:
    return cluster_state(CP, WORKERS, probes, NAMES, IPS)


# --- which control-plane node serves -------------------------------------------------------------------------
def test_a_healthy_cluster_is_served_by_the_first_control_plane_node_and_every_node_is_joined():
    result = state(healthy_cluster())
    assert result["serving_control_plane"] == "cp1"
    assert result["init_host"] == "cp1"
    assert result["passed_over"] == {}
    assert result["problems"] == []
    assert {h: s["state"] for h, s in result["node_states"].items()} == dict.fromkeys(CP + WORKERS, "joined")
    # healthy: said of control-plane nodes only (a worker has no API server or etcd member of its own)
    assert {h: s["healthy"] for h, s in result["node_states"].items()} == {**dict.fromkeys(CP, True), "w1": False}


@pytest.mark.parametrize(
    "change",
    [{"api_healthy": False, "api_error": "connection refused"}, {"etcd_members": None, "etcd_error": "timed out"}],
)
def test_a_joined_control_plane_node_whose_api_server_or_etcd_does_not_answer_is_not_healthy(change):
    probes = healthy_cluster()
    probes["cp2"].update(change)
    s = state(probes)["node_states"]
    assert s["cp2"]["state"] == "joined" and s["cp2"]["healthy"] is False
    assert s["cp1"]["healthy"] is True and s["cp3"]["healthy"] is True


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"unreachable": True, "msg": "Failed to connect to the host via ssh: timed out\nmore"}, "unreachable: Failed"),
        ({"api_healthy": False, "api_error": "connection refused"}, "does not answer /healthz: connection refused"),
        ({"etcd_members": None, "etcd_error": "timed out"}, "its etcd member does not answer: timed out"),
        ({"nodes": None, "nodes_error": "Unauthorized"}, "could not list the nodes: Unauthorized"),
    ],
    ids=["unreachable", "api-down", "etcd-down", "kubectl-fails"],
)
def test_a_first_control_plane_node_that_cannot_serve_is_passed_over_with_the_reason(change, reason):
    probes = healthy_cluster()
    if change.get("unreachable"):
        probes["cp1"] = change
    else:
        probes["cp1"].update(change)
    result = state(probes)
    assert result["serving_control_plane"] == "cp2"
    assert reason in result["passed_over"]["cp1"]
    assert "\n" not in result["passed_over"]["cp1"]
    assert result["problems"] == []


def test_a_control_plane_node_whose_etcd_does_not_list_it_does_not_serve():
    probes = healthy_cluster()
    probes["cp1"]["etcd_members"] = [member("cp2"), member("cp3")]  # cp1 was removed from etcd
    assert serving_control_plane(CP, probes, NAMES).host == "cp2"


def test_nodes_behind_the_serving_one_are_not_reported_as_passed_over():
    probes = healthy_cluster()
    probes["cp3"] = {"unreachable": True, "msg": "gone"}
    result = state(probes)
    assert result["serving_control_plane"] == "cp1" and result["passed_over"] == {}
    assert result["node_states"]["cp3"]["state"] == "unreachable"
    assert result["unreachable"] == ["cp3"]


def test_no_cluster_yet_the_first_control_plane_node_initialises_and_serves():
    probes = {h: fresh() for h in CP + WORKERS}
    result = state(probes)
    assert result["cluster_exists"] is False
    assert result["serving_control_plane"] == "cp1" and result["init_host"] == "cp1"
    assert result["passed_over"] == {}, "nobody is passed over while no cluster exists"
    assert {s["state"] for s in result["node_states"].values()} == {"fresh"}
    assert result["problems"] == []


def test_no_cluster_yet_and_the_first_control_plane_node_unreachable_is_a_problem():
    probes = {h: fresh() for h in CP + WORKERS}
    probes["cp1"] = {"unreachable": True, "msg": "no route to host"}
    result = state(probes)
    assert result["init_host"] is None and result["serving_control_plane"] is None
    assert result["problems"] == [
        "group kube_control_plane (cp1): the first control-plane node runs kubeadm init, and it is unreachable"
    ]


def test_a_cluster_that_no_control_plane_node_can_serve_is_a_problem_naming_each_reason():
    probes = healthy_cluster()
    probes["cp1"] = {"unreachable": True, "msg": "timed out"}
    probes["cp2"]["api_healthy"] = False
    probes["cp3"]["etcd_members"] = None
    result = state(probes)
    assert result["serving_control_plane"] is None
    (problem,) = result["problems"]
    assert problem.startswith("group kube_control_plane: a cluster exists but no control-plane node can serve it")
    for host in CP:
        assert f"{host}: " in problem
    # nothing is decided without a serving node: no node is called half joined
    assert {s["state"] for h, s in result["node_states"].items() if h != "cp1"} == {"unknown"}


# --- the first node gone: its replacement joins ---------------------------------------------------------------
def test_a_fresh_replacement_of_the_first_node_joins_instead_of_initialising():
    probes = healthy_cluster()
    for h in ("cp2", "cp3"):
        probes[h]["etcd_members"] = [member("cp2"), member("cp3")]
        probes[h]["nodes"] = [n for n in probes[h]["nodes"] if n["name"] != "cp1"]
    probes["cp1"] = fresh()
    result = state(probes)
    assert result["serving_control_plane"] == "cp2"
    assert result["init_host"] is None
    assert result["node_states"]["cp1"]["state"] == "fresh"


def test_a_dead_first_node_still_in_etcd_is_reported_unreachable_and_cp2_serves():
    probes = healthy_cluster()
    probes["cp1"] = {"unreachable": True, "msg": "container not running"}
    result = state(probes)
    assert result["serving_control_plane"] == "cp2" and result["init_host"] is None
    assert result["node_states"]["cp1"] == {
        "state": "unreachable",
        "reasons": ["unreachable: container not running"],
        "stale_etcd_members": [],
        "registered": True,  # the serving node lists it: a member that does not answer, left out of the run
        "healthy": False,
    }


def test_a_host_to_add_that_does_not_answer_is_not_registered():
    probes = healthy_cluster()
    for h in CP:
        probes[h]["nodes"] = [n for n in probes[h]["nodes"] if n["name"] != WORKERS[0]]
    probes[WORKERS[0]] = {"unreachable": True, "msg": "no route to host"}
    result = state(probes)
    assert result["node_states"][WORKERS[0]]["state"] == "unreachable"
    assert result["node_states"][WORKERS[0]]["registered"] is False


# --- half-joined control-plane nodes: kubeadm join killed at each phase ----------------------------------------
def with_cp3(probes: dict, files: dict, members: list, registered: bool, labelled: bool = True) -> dict:
    for h in ("cp1", "cp2"):
        probes[h]["etcd_members"] = [member("cp1"), member("cp2"), *members]
        probes[h]["nodes"] = [n for n in probes[h]["nodes"] if n["name"] != "cp3"]
        if registered:
            probes[h]["nodes"].append(node("cp3", labelled))
    probes["cp3"] = {"files": files, "kubelet_active": True}
    return probes


def test_killed_after_the_control_plane_manifests_before_the_kubelet_bootstrap():
    files = {"pki/ca.crt": True, **{"manifests/" + m: True for m in CONTROL_PLANE_MANIFESTS if m != "etcd.yaml"}}
    s = state(with_cp3(healthy_cluster(), files, [], registered=False))["node_states"]["cp3"]
    assert s["state"] == "partial"
    assert s["reasons"] == [
        "no /etc/kubernetes/kubelet.conf",
        "no Node object cp3 in the cluster",
        "static pod manifests missing: etcd.yaml",
        "no etcd member",
    ]
    assert s["stale_etcd_members"] == []


def test_killed_after_the_kubelet_bootstrap_before_etcd():
    files = {"kubelet.conf": True, "pki/ca.crt": True}
    files.update({"manifests/" + m: True for m in CONTROL_PLANE_MANIFESTS if m != "etcd.yaml"})
    s = state(with_cp3(healthy_cluster(), files, [], registered=True, labelled=False))["node_states"]["cp3"]
    assert s["state"] == "partial" and s["registered"] is True
    assert "static pod manifests missing: etcd.yaml" in s["reasons"] and "no etcd member" in s["reasons"]


def test_killed_after_the_etcd_member_was_added_before_it_started():
    files = {"kubelet.conf": True, "pki/ca.crt": True}
    files.update({"manifests/" + m: True for m in CONTROL_PLANE_MANIFESTS if m != "etcd.yaml"})
    s = state(with_cp3(healthy_cluster(), files, [member("cp3", started=False, mid="777")], registered=True))
    cp3 = s["node_states"]["cp3"]
    assert cp3["state"] == "partial"
    assert "an etcd member that never started (added, but its etcd did not join)" in cp3["reasons"]
    assert cp3["stale_etcd_members"] == ["777"]
    # the other nodes stay joined: an unstarted member of cp3 is not theirs
    assert s["node_states"]["cp1"]["state"] == s["node_states"]["cp2"]["state"] == "joined"


def test_killed_after_etcd_joined_before_mark_control_plane():
    s = state(with_cp3(healthy_cluster(), dict(ALL_FILES), [member("cp3", mid="999")], registered=True, labelled=False))
    cp3 = s["node_states"]["cp3"]
    assert cp3["state"] == "partial"
    assert cp3["reasons"][0] == "not marked as a control-plane node (kubeadm stopped before mark-control-plane)"
    assert cp3["stale_etcd_members"] == ["999"]


def test_a_reset_control_plane_node_whose_etcd_member_was_left_behind():
    s = state(with_cp3(healthy_cluster(), {}, [member("cp3", mid="555")], registered=False))["node_states"]["cp3"]
    assert s["state"] == "partial" and s["stale_etcd_members"] == ["555"]


def test_an_unstarted_member_is_matched_by_its_ipv6_peer_address():
    ips = dict(IPS, cp3="fd00::13")
    probes = healthy_cluster()
    stale = {"ID": "42", "name": "", "peerURLs": ["https://[fd00::13]:2380"], "clientURLs": []}
    for h in ("cp1", "cp2"):
        probes[h]["etcd_members"] = [member("cp1"), member("cp2"), stale]
        probes[h]["nodes"] = [n for n in probes[h]["nodes"] if n["name"] != "cp3"]
    probes["cp3"] = fresh()
    s = cluster_state(CP, WORKERS, probes, NAMES, ips)["node_states"]["cp3"]
    assert s["state"] == "partial" and s["stale_etcd_members"] == ["42"]


# --- workers ----------------------------------------------------------------------------------------------------
def test_a_worker_with_a_kubelet_kubeconfig_but_no_node_object_is_half_joined():
    probes = healthy_cluster()
    for h in CP:
        probes[h]["nodes"] = [n for n in probes[h]["nodes"] if n["name"] != "w1"]
    s = state(probes)["node_states"]["w1"]
    assert s == {
        "state": "partial",
        "reasons": ["no Node object w1 in the cluster"],
        "stale_etcd_members": [],
        "registered": False,
        "healthy": False,
    }


def test_a_reset_worker_whose_node_object_is_still_there_is_half_joined():
    probes = healthy_cluster()
    probes["w1"] = fresh()
    s = state(probes)["node_states"]["w1"]
    assert s["state"] == "partial" and s["registered"] is True
    assert s["reasons"] == ["no /etc/kubernetes/kubelet.conf"]


def test_a_new_worker_is_fresh():
    probes = healthy_cluster()
    probes["w2"] = fresh()
    result = cluster_state(CP, ["w1", "w2"], probes, dict(NAMES, w2="w2"), dict(IPS, w2="10.0.0.22"))
    assert result["node_states"]["w2"]["state"] == "fresh"


def test_leftovers_while_no_cluster_exists_are_unknown_not_partial():
    probes = {h: fresh() for h in CP + WORKERS}
    probes["w1"] = {"files": {"kubelet.conf": True}}
    assert state(probes)["node_states"]["w1"]["state"] == "unknown"


def test_node_names_differ_from_inventory_names():
    probes = healthy_cluster()
    names = dict(NAMES, w1="worker-one")
    for h in CP:
        for n in probes[h]["nodes"]:
            if n["name"] == "w1":
                n["name"] = "worker-one"
    assert cluster_state(CP, WORKERS, probes, names, IPS)["node_states"]["w1"]["state"] == "joined"
    assert node_state("w1", IPS["w1"], False, probes["w1"], probes["cp1"]).state == "partial"


def test_a_host_not_read_in_this_run_is_unknown_and_does_not_serve():
    probes = healthy_cluster()
    probes["cp1"] = None
    probes["w1"] = None
    result = state(probes)
    assert result["serving_control_plane"] == "cp2" and result["passed_over"] == {"cp1": "not read in this run"}
    assert result["node_states"]["w1"]["state"] == result["node_states"]["cp1"]["state"] == "unknown"
    assert result["init_host"] is None

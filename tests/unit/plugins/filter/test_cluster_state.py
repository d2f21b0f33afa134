"""The cluster_state filter as the front door calls it: registered results of node_state, skipped ones, failed ones
and hosts that did not answer."""

from __future__ import annotations

from ansible_collections.kubeadm_ha.cluster.plugins.filter.cluster_state import FilterModule, cluster_state


def test_the_filter_is_registered_under_its_own_name_only():
    assert list(FilterModule().filters()) == ["cluster_state"]


def test_skipped_failed_and_missing_results_count_as_not_read_never_as_fresh():
    probes = {
        "cp1": {"changed": False, "files": {}, "kubelet_active": False},
        "w1": {"skipped": True, "skip_reason": "Conditional result was False"},
        "w2": {"failed": False, "failed_when_result": False, "msg": "MODULE FAILURE"},
        "w3": None,
    }
    result = cluster_state(probes, ["cp1"], ["w1", "w2", "w3"])
    assert result["node_states"]["cp1"]["state"] == "fresh"
    for host in ("w1", "w2", "w3"):
        assert result["node_states"][host] == {
            "state": "unknown",
            "reasons": ["not read in this run"],
            "stale_etcd_members": [],
            "registered": False,
            "healthy": False,
        }, host


def test_hosts_that_did_not_answer_are_unreachable_with_the_first_line_of_why():
    probes = {"cp1": {"skipped": True}, "w1": {"files": {}}}
    result = cluster_state(probes, ["cp1"], ["w1"], unreachable={"cp1": "Failed to connect\nsecond line"})
    assert result["unreachable"] == ["cp1"]
    assert result["node_states"]["cp1"]["reasons"] == ["unreachable: Failed to connect"]
    assert result["problems"] == [
        "group kube_control_plane (cp1): the first control-plane node runs kubeadm init, and it is unreachable"
    ]

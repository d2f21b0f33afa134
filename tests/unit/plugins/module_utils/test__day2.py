"""Day-2 decisions (module_utils/_day2.py): upgrade plans and refusals, the per-version `kubeadm upgrade apply`,
and the node removals etcd survives."""

from __future__ import annotations

import pytest
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._day2 import (
    etcd_member_health,
    removal_problems,
    upgrade_apply,
    upgrade_plan,
)

CP = ["cp1", "cp2", "cp3"]
ALL = {"cp1": "v1.20.2", "cp2": "v1.20.2", "cp3": "v1.20.2", "w1": "v1.20.2"}
STATIC = {"cp1": "v1.20.2", "cp2": "v1.20.2", "cp3": "v1.20.2"}


def test_a_patch_upgrade_plans_every_step():
    plan = upgrade_plan("v1.20.2", "1.20.3", ALL, STATIC)
    assert plan.refusals == []
    assert plan.apply and not plan.done
    assert plan.upgrade_node == CP  # the play skips the first node, which `upgrade apply` did
    assert plan.kubelets == sorted(ALL)


def test_the_next_minor_is_allowed():
    assert upgrade_plan("v1.29.10", "1.30.6", {"cp1": "v1.29.10"}, {"cp1": "v1.29.10"}).refusals == []


@pytest.mark.parametrize(
    ("current", "target", "expected"),
    [
        (
            "v1.20.2",
            "1.22.0",
            "skips a minor release: kubeadm upgrades one minor at a time, so upgrade to the newest 1.21.x first",
        ),
        ("v1.20.3", "1.20.2", "1.20.3 -> 1.20.2 is a downgrade"),
        ("v1.30.6", "1.29.10", "is a downgrade"),
        ("v1.30.6", "2.0.0", "changes the major version"),
        ("v1.30.6", "1.31", "is not a version MAJOR.MINOR.PATCH"),
        ("", "1.31.0", "the cluster's version '' (kubeadm-config) could not be read"),
    ],
)
def test_refusals_of_the_version_policy(current, target, expected):
    plan = upgrade_plan(current, target, {}, {})
    assert any(expected in r for r in plan.refusals), plan.refusals
    assert not plan.apply and not plan.kubelets


def test_a_node_on_a_third_version_is_refused():
    plan = upgrade_plan("v1.20.2", "1.20.3", {**ALL, "w1": "v1.19.16"}, STATIC)
    assert plan.refusals == [
        "node w1: kubelet 1.19.16 is not the cluster's version 1.20.2: bring every node to one version first"
    ]


def test_a_kubelet_newer_than_the_target_is_refused():
    plan = upgrade_plan("v1.20.2", "1.20.3", {**ALL, "w1": "v1.20.4"}, STATIC)
    assert "newer than the control plane will be" in plan.refusals[0]


def test_an_interrupted_upgrade_resumes_with_what_is_left():
    # apply done on cp1, cp2 upgraded, cp3 not; cp1's kubelet upgraded
    plan = upgrade_plan(
        "v1.20.3", "1.20.3", {**ALL, "cp1": "v1.20.3"}, {"cp1": "v1.20.3", "cp2": "v1.20.3", "cp3": "v1.20.2"}
    )
    assert plan.refusals == [] and not plan.apply
    assert plan.upgrade_node == ["cp3"]
    assert plan.kubelets == ["cp2", "cp3", "w1"]


def test_a_finished_upgrade_is_done():
    done = {n: "v1.20.3" for n in ALL}
    plan = upgrade_plan("v1.20.3", "v1.20.3", done, {n: "v1.20.3" for n in CP})
    assert plan.done and plan.refusals == [] and plan.to_dict()["done"] is True


def test_upgrade_apply_before_v1beta4_uses_flags():
    apply = upgrade_apply("1.20.3", ignore_preflight_errors=["CoreDNSUnsupportedPlugins"])
    assert apply["config"] is None and apply["api"] == "v1beta2"
    assert apply["argv"] == [
        "kubeadm",
        "upgrade",
        "apply",
        "v1.20.3",
        "--yes",
        "--certificate-renewal=true",
        "--etcd-upgrade=true",
        "--ignore-preflight-errors=CoreDNSUnsupportedPlugins",
    ]
    assert upgrade_apply("1.30.6")["api"] == "v1beta3"


def test_upgrade_apply_from_v1beta4_uses_an_upgrade_configuration():
    apply = upgrade_apply("v1.31.2", certificate_renewal=False)
    assert apply["api"] == "v1beta4"
    assert apply["argv"] == ["kubeadm", "upgrade", "apply", "--config", "{config}"]
    assert apply["config"] == {
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "UpgradeConfiguration",
        "apply": {
            "kubernetesVersion": "v1.31.2",
            "certificateRenewal": False,
            "etcdUpgrade": True,
            "forceUpgrade": True,
        },
    }
    with pytest.raises(ValueError, match="not a version"):
        upgrade_apply("latest")


HEALTHY = {"cp1": True, "cp2": True, "cp3": True}


def test_removing_one_control_plane_node_and_a_worker_is_fine():
    assert removal_problems(CP, ["w1", "w2"], ["cp3", "w1"], HEALTHY) == []


def test_removing_two_of_three_healthy_members_is_fine():
    assert removal_problems(CP, [], ["cp2", "cp3"], HEALTHY) == []


def test_removing_the_last_control_plane_node_is_refused():
    assert "would remove every control-plane node" in removal_problems(CP, [], CP, HEALTHY)[0]
    assert "would remove every control-plane node" in removal_problems(["cp1"], ["w1"], ["cp1"], {"cp1": True})[0]


def test_removing_a_healthy_member_beside_an_unhealthy_one_is_refused():
    problems = removal_problems(CP, [], ["cp2"], {"cp1": True, "cp2": True, "cp3": False})
    assert problems == [
        "removing cp2 would leave etcd without quorum: 1 healthy of 2 members (needs 2); repair or "
        "replace the unhealthy members first"
    ]


def test_removing_the_unhealthy_member_is_the_way_out():
    assert removal_problems(CP, [], ["cp3"], {"cp1": True, "cp2": True, "cp3": False}) == []


def test_no_quorum_now_refuses_everything():
    problems = removal_problems(CP, [], ["cp3"], {"cp1": True, "cp2": False, "cp3": False})
    assert "etcd has no quorum now (1 of 3 members healthy)" in problems[0]


def test_unknown_nodes_and_an_empty_list():
    assert "w9: not a node of this inventory" in removal_problems(CP, ["w1"], ["w9"], HEALTHY)[0]
    assert "no node to remove" in removal_problems(CP, ["w1"], [], HEALTHY)[0]


def test_after_apply_a_node_two_minors_behind_is_refused():
    plan = upgrade_plan("v1.21.14", "1.21.14", {"cp1": "v1.21.14", "w1": "v1.19.16"}, {"cp1": "v1.21.14"})
    assert plan.refusals == [
        "node w1: kubelet 1.19.16 is not 1.21.14 or one minor older: bring every node to one version first"
    ]


def test_after_a_minor_apply_the_previous_minor_is_resumed():
    plan = upgrade_plan(
        "v1.21.14", "1.21.14", {"cp1": "v1.21.14", "w1": "v1.20.15"}, {"cp1": "v1.21.14", "cp2": "v1.20.15"}
    )
    assert plan.refusals == [] and plan.kubelets == ["w1"] and plan.upgrade_node == ["cp2"]


def test_an_apply_interrupted_before_recording_the_version_is_run_again():
    plan = upgrade_plan("v1.20.2", "1.20.3", ALL, {**STATIC, "cp1": "v1.20.3"})
    assert plan.refusals == [] and plan.apply and plan.upgrade_node == ["cp2", "cp3"]


def test_etcd_member_health_from_etcdctl_json():
    members = {
        "members": [
            {"ID": 1, "name": "cp1", "clientURLs": ["https://172.31.6.11:2379"]},
            {"ID": 2, "name": "cp2", "clientURLs": ["https://172.31.6.12:2379"]},
            {"ID": 3, "name": "", "clientURLs": []},
        ]
    }
    health = (
        '[{"endpoint":"https://172.31.6.11:2379","health":true},{"endpoint":"https://172.31.6.12:2379","health":false}]'
    )
    assert etcd_member_health(members, health) == {"cp1": True, "cp2": False, "unstarted member 3": False}
    assert etcd_member_health('{"members": []}', "") == {}


def test_removing_the_last_etcd_members_is_refused_even_with_a_control_plane_node_left():
    # cp1 was removed from etcd already (a half-done removal); cp2 and cp3 are the last members
    problems = removal_problems(CP, [], ["cp2", "cp3"], {"cp2": True, "cp3": True})
    assert problems == ["removing cp3 would remove the last etcd member: the control-plane nodes that stay (cp1) are "
                        "not etcd members; add or repair them first"]

"""kubeadm_ha.cluster.kubeadm_join against the fake kubeadm (test double)."""

from __future__ import annotations

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeadm_ha.cluster.plugins.modules import kubeadm_join
from conftest import HASH, KEY, TOKEN, assert_secret_free

MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # what Ansible puts in place of a whole no_log value


def args(fake, **extra):
    base = {
        "kubeadm": fake.binary,
        "api_endpoint": "10.0.0.10:6443",
        "token": TOKEN,
        "ca_cert_hashes": [HASH],
        "kubernetes_dir": str(fake.etc),
    }
    return {**base, **extra}


def test_check_mode_runs_nothing_and_masks_the_token(fake_kubeadm, run_module):
    run = run_module(kubeadm_join, args(fake_kubeadm), check_mode=True)
    assert run.rc == 0, run.result
    assert run.result["changed"] is True
    assert run.result["joined_as"] == "none"
    assert run.result["cmd"] == [fake_kubeadm.binary, "join", "10.0.0.10:6443", "--token", MASK,
                                 "--discovery-token-ca-cert-hash", HASH]  # fmt: skip
    assert run.result["diff"] == {"before": {"state": "absent"}, "after": {"state": "worker"}}
    assert fake_kubeadm.calls() == []
    assert_secret_free(run.printed)


def test_worker_join_then_nothing(fake_kubeadm, run_module):
    run = run_module(
        kubeadm_join, args(fake_kubeadm, node_name="w1", cri_socket="unix:///run/containerd/containerd.sock")
    )
    assert run.rc == 0, run.result
    assert run.result["changed"] is True and run.result["joined_as"] == "worker"
    assert fake_kubeadm.calls()[-1] == [
        "join", "10.0.0.10:6443", "--token", TOKEN, "--discovery-token-ca-cert-hash", HASH,
        "--cri-socket", "unix:///run/containerd/containerd.sock", "--node-name", "w1",
    ]  # fmt: skip
    assert_secret_free(run.printed)  # cmd, invocation and stdout are masked
    assert MASK in run.result["cmd"]
    again = run_module(kubeadm_join, args(fake_kubeadm))
    assert again.result == {"changed": False, "joined_as": "worker", "invocation": again.result["invocation"]}
    assert [c[0] for c in fake_kubeadm.calls()] == ["version", "join"]


def test_control_plane_join(fake_kubeadm, run_module):
    run = run_module(
        kubeadm_join,
        args(fake_kubeadm, control_plane=True, certificate_key=KEY.upper(), apiserver_advertise_address="10.0.0.12"),
    )
    assert run.rc == 0, run.result
    assert run.result["joined_as"] == "control-plane"
    assert fake_kubeadm.calls()[-1][6:] == [
        "--control-plane", "--certificate-key", KEY, "--apiserver-advertise-address", "10.0.0.12",
    ]  # fmt: skip
    assert_secret_free(run.printed, TOKEN, KEY, KEY.upper())
    again = run_module(kubeadm_join, args(fake_kubeadm, control_plane=True, certificate_key=KEY))
    assert again.result["changed"] is False and again.result["joined_as"] == "control-plane"


def test_kubeadm_114_flag(fake_kubeadm, run_module, monkeypatch):
    monkeypatch.setenv("FAKE_KUBEADM_VERSION", "v1.14.10")
    run_module(kubeadm_join, args(fake_kubeadm, control_plane=True, certificate_key=KEY))
    assert "--experimental-control-plane" in fake_kubeadm.calls()[-1]


def test_explicit_flag_skips_version_detection(fake_kubeadm, run_module):
    run_module(kubeadm_join, args(fake_kubeadm, control_plane=True, control_plane_flag="--experimental-control-plane"))
    assert "--experimental-control-plane" in fake_kubeadm.calls()[-1]


def test_worker_is_not_turned_into_control_plane(fake_kubeadm, run_module):
    fake_kubeadm.etc.mkdir(parents=True)
    (fake_kubeadm.etc / "kubelet.conf").write_text("x")
    run = run_module(kubeadm_join, args(fake_kubeadm, control_plane=True))
    assert run.rc == 1 and "kubeadm reset" in run.result["msg"]
    assert fake_kubeadm.calls() == []


def test_config_file(fake_kubeadm, run_module):
    run = run_module(
        kubeadm_join,
        {"kubeadm": fake_kubeadm.binary, "config": "/etc/kubernetes/join.yaml", "kubernetes_dir": str(fake_kubeadm.etc),
         "ignore_preflight_errors": ["Swap"], "node_name": "w2"},
    )  # fmt: skip
    assert run.rc == 0, run.result
    assert fake_kubeadm.calls()[-1] == [
        "join", "--config", "/etc/kubernetes/join.yaml", "--node-name", "w2", "--ignore-preflight-errors=Swap",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"token": "ABCDEF.0123456789ABCDEF"}, "upper-case letters"),
        ({"token": "abcdef.0123"}, "found a value of 11 characters"),
        ({"ca_cert_hashes": ["md5:1234"]}, "'sha256:' followed by 64"),
        ({"ca_cert_hashes": []}, "at least one CA certificate hash"),
        ({"api_endpoint": "fd00::1:6443"}, "in brackets"),
        ({"certificate_key": KEY}, "control_plane=true with certificate_key"),
        ({"control_plane": True, "certificate_key": KEY[:63]}, "64 hexadecimal digits"),
        ({"apiserver_advertise_address": "10.0.0.1"}, "control_plane=true with apiserver_advertise_address"),
        ({"config": "/x.yaml"}, "mutually exclusive"),
        ({"token": None}, "token"),
    ],
)
def test_invalid_arguments(fake_kubeadm, run_module, extra, message):
    run = run_module(kubeadm_join, {k: v for k, v in args(fake_kubeadm, **extra).items() if v is not None})
    assert run.rc == 1
    assert message in run.result["msg"]
    assert fake_kubeadm.calls() == []
    assert_secret_free(run.printed, "0123456789abcdef", "0123456789ABCDEF", KEY[:40])


def test_failed_join_leaks_no_secret(fake_kubeadm, run_module, monkeypatch):
    monkeypatch.setenv("FAKE_KUBEADM_FAIL", "join")
    run = run_module(kubeadm_join, args(fake_kubeadm, control_plane=True, certificate_key=KEY))
    assert run.rc == 1
    assert run.result["changed"] is True
    assert "error execution phase join" in run.result["stderr"]
    assert_secret_free(run.printed)


def test_ignoring_all_preflight_errors_warns(fake_kubeadm, run_module, monkeypatch):
    # recorded at the source: how warnings reach the result depends on what else this process imported
    seen = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, warning: seen.append(warning))
    run_module(kubeadm_join, args(fake_kubeadm, ignore_preflight_errors=["all"]), check_mode=True)
    assert any("'all'" in warning for warning in seen)

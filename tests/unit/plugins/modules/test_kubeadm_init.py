"""kubeadm_ha.cluster.kubeadm_init against the fake kubeadm (test double)."""

from __future__ import annotations

import datetime

from ansible_collections.kubeadm_ha.cluster.plugins.modules import kubeadm_init
from conftest import HASH, KEY, TOKEN, assert_secret_free
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def args(fake, **extra):
    base = {"kubeadm": fake.binary, "config": "/etc/kubernetes/kubeadm-config.yaml", "kubernetes_dir": str(fake.etc)}
    return {**base, **extra}


def test_check_mode_runs_nothing(fake_kubeadm, run_module):
    run = run_module(kubeadm_init, args(fake_kubeadm, upload_certs=True), check_mode=True)
    assert run.rc == 0
    assert run.result["changed"] is True
    assert run.result["initialised"] is False
    assert run.result["cmd"] == [
        fake_kubeadm.binary,
        "init",
        "--config",
        "/etc/kubernetes/kubeadm-config.yaml",
        "--upload-certs",
    ]
    assert run.result["diff"] == {"before": {"state": "absent"}, "after": {"state": "initialised"}}
    assert fake_kubeadm.calls() == []
    assert not fake_kubeadm.etc.exists()


def test_init_returns_join_material(fake_kubeadm, run_module):
    run = run_module(
        kubeadm_init,
        args(
            fake_kubeadm, upload_certs=True, ignore_preflight_errors=["NumCPU", "Mem"], skip_phases=["addon/kube-proxy"]
        ),
    )
    result = run.result
    assert run.rc == 0, result
    assert result["changed"] is True
    assert fake_kubeadm.calls() == [
        ["version", "-o", "short"],
        [
            "init",
            "--config",
            "/etc/kubernetes/kubeadm-config.yaml",
            "--upload-certs",
            "--ignore-preflight-errors=NumCPU,Mem",
            "--skip-phases=addon/kube-proxy",
        ],
    ]
    assert result["api_endpoint"] == "10.0.0.10:6443"
    assert result["token"] == TOKEN and result["tokens"] == [TOKEN]
    assert result["ca_cert_hashes"] == [HASH]
    assert result["certificate_key"] == KEY
    assert result["certificates_uploaded"] is True
    assert result["control_plane_flag"] == "--control-plane"
    assert result["kubeadm_version"] == "v1.20.2"
    worker = [fake_kubeadm.binary, "join", "10.0.0.10:6443", "--token", TOKEN, "--discovery-token-ca-cert-hash", HASH]
    assert result["worker_join"] == worker
    assert result["control_plane_join"] == [*worker, "--control-plane", "--certificate-key", KEY]
    assert "stdout" not in result  # kubeadm's output (full of secrets) is not returned on success


def test_initialised_node_is_not_reinitialised(fake_kubeadm, run_module):
    fake_kubeadm.make_cluster()
    for check_mode in (True, False):
        run = run_module(kubeadm_init, args(fake_kubeadm), check_mode=check_mode)
        assert run.rc == 0
        assert run.result["changed"] is False
        assert run.result["initialised"] is True
        assert run.result["api_endpoint"] == "10.0.0.10:6443"
        assert run.result["ca_cert_hashes"] == [HASH]
        assert "token" not in run.result
    assert fake_kubeadm.calls() == []


def test_second_run_changes_nothing(fake_kubeadm, run_module):
    first = run_module(kubeadm_init, args(fake_kubeadm))
    assert first.result["changed"] is True
    second = run_module(kubeadm_init, args(fake_kubeadm))
    assert second.result["changed"] is False
    assert [c[0] for c in fake_kubeadm.calls()] == ["version", "init"]


def test_no_upload_gives_control_plane_command_without_key(fake_kubeadm, run_module):
    result = run_module(kubeadm_init, args(fake_kubeadm)).result
    assert result["certificate_key"] is None
    assert result["control_plane_join"][-1] == "--control-plane"


def test_kubeadm_114_spellings(fake_kubeadm, run_module, monkeypatch):
    monkeypatch.setenv("FAKE_KUBEADM_VERSION", "v1.14.10")
    result = run_module(kubeadm_init, args(fake_kubeadm, upload_certs=True)).result
    assert "--experimental-upload-certs" in fake_kubeadm.calls()[1]
    assert result["control_plane_flag"] == "--experimental-control-plane"
    assert result["control_plane_join"][-3:] == ["--experimental-control-plane", "--certificate-key", KEY]


def test_skipped_show_join_command_reads_the_node(fake_kubeadm, run_module):
    result = run_module(kubeadm_init, args(fake_kubeadm, upload_certs=True, skip_phases=["show-join-command"])).result
    assert result["api_endpoint"] == "10.0.0.10:6443"  # from admin.conf
    assert result["ca_cert_hashes"] == [HASH]  # from pki/ca.crt
    assert result["token"] == TOKEN and result["certificate_key"] == KEY  # from the log lines
    assert result["control_plane_join"][-3:] == ["--control-plane", "--certificate-key", KEY]


def test_partial_and_joined_nodes_are_refused(fake_kubeadm, run_module):
    fake_kubeadm.etc.mkdir(parents=True)
    (fake_kubeadm.etc / "admin.conf").write_text("x")
    run = run_module(kubeadm_init, args(fake_kubeadm))
    assert run.rc == 1 and "partially initialised" in run.result["msg"] and "kubeadm reset" in run.result["msg"]
    (fake_kubeadm.etc / "admin.conf").unlink()
    (fake_kubeadm.etc / "kubelet.conf").write_text("x")
    run = run_module(kubeadm_init, args(fake_kubeadm))
    assert run.rc == 1 and "already joined a cluster" in run.result["msg"]
    assert fake_kubeadm.calls() == []


def test_failed_init_leaks_no_secret(fake_kubeadm, run_module, monkeypatch):
    monkeypatch.setenv("FAKE_KUBEADM_FAIL", "init")
    run = run_module(kubeadm_init, args(fake_kubeadm, upload_certs=True))
    assert run.rc == 1
    assert run.result["failed"] is True
    assert run.result["changed"] is True  # kubeadm may have written files before failing
    assert "exit code 1" in run.result["msg"]
    assert "error execution phase init" in run.result["stderr"]
    assert_secret_free(run.printed)


def test_ca_hash_mismatch_is_reported_without_secrets(fake_kubeadm, run_module, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    other_ca = tmp_path / "other-ca.crt"
    other_ca.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    run = run_module(kubeadm_init, args(fake_kubeadm, ca_cert=str(other_ca)))
    assert run.rc == 1
    assert "kubeadm init succeeded but its join material could not be read" in run.result["msg"]
    assert "to match" in run.result["msg"]
    assert run.result["changed"] is True and run.result["initialised"] is True
    assert_secret_free(run.printed)


def test_unreadable_ca_after_init(fake_kubeadm, run_module, tmp_path):
    bad = tmp_path / "bad.crt"
    bad.write_text("not a certificate")
    run = run_module(kubeadm_init, args(fake_kubeadm, ca_cert=str(bad)))
    assert run.rc == 1 and "BEGIN CERTIFICATE" in run.result["msg"]
    assert_secret_free(run.printed)


def test_missing_kubeadm(fake_kubeadm, run_module):
    run = run_module(kubeadm_init, args(fake_kubeadm, kubeadm="/nonexistent/kubeadm"))
    assert run.rc == 1 and "kubeadm" in run.result["msg"]

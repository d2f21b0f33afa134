"""kubeadm_ha.cluster.kubeadm_join_info against the fake kubeadm (test double)."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_output import BootstrapToken
from ansible_collections.kubeadm_ha.cluster.plugins.modules import kubeadm_join_info
from conftest import HASH, JOIN_GROUP, KEY, TOKEN, assert_secret_free

NEW_TOKEN = "newtok.abcdefghij012345"
NEW_KEY = "0f" * 32


@pytest.fixture
def cluster(fake_kubeadm, monkeypatch):
    fake_kubeadm.make_cluster()
    monkeypatch.setenv("FAKE_KUBEADM_TOKEN", NEW_TOKEN)
    monkeypatch.setenv("FAKE_KUBEADM_KEY", NEW_KEY)
    return fake_kubeadm


def args(fake, **extra):
    base = {
        "kubeadm": fake.binary,
        "kubeconfig": str(fake.etc / "admin.conf"),
        "ca_cert": str(fake.etc / "pki" / "ca.crt"),
    }
    return {**base, **extra}


def in_hours(hours: float) -> str:
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def join_token(token=TOKEN, hours=20.0, **extra):
    item = {"token": token, "usages": ["authentication", "signing"], "groups": [JOIN_GROUP], "expires": in_hours(hours)}
    item.update(extra)
    return {k: v for k, v in item.items() if v is not None}


def test_reuses_a_valid_token(cluster, run_module):
    cluster.seed_tokens([join_token()])
    run = run_module(kubeadm_join_info, args(cluster))
    result = run.result
    assert run.rc == 0, result
    assert result["changed"] is False
    assert result["token"] == TOKEN and result["token_created"] is False
    assert result["api_endpoint"] == "10.0.0.10:6443"
    assert result["ca_cert_hashes"] == [HASH]
    assert result["worker_join"] == [cluster.binary, "join", "10.0.0.10:6443", "--token", TOKEN,
                                     "--discovery-token-ca-cert-hash", HASH]  # fmt: skip
    assert result["control_plane_join"] is None and result["certificate_key"] is None
    assert cluster.commands() == ["version", "token list"]


def test_creates_a_token_then_reuses_it(cluster, run_module):
    first = run_module(kubeadm_join_info, args(cluster, token_ttl="2h", min_ttl="30m")).result
    assert first["changed"] is True and first["token_created"] is True and first["token"] == NEW_TOKEN
    assert ["token", "create", "--kubeconfig", str(cluster.etc / "admin.conf"), "--ttl", "7200s",
            "--description", "Created by kubeadm_ha.cluster.kubeadm_join_info"] in cluster.calls()  # fmt: skip
    second = run_module(kubeadm_join_info, args(cluster, token_ttl="2h", min_ttl="30m")).result
    assert second["changed"] is False and second["token"] == NEW_TOKEN
    assert cluster.commands().count("token create") == 1


@pytest.mark.parametrize(
    "unusable",
    [
        join_token(hours=0.5),  # less than min_ttl (1h) left
        join_token(hours=-1),  # expired
        join_token(usages=["signing"]),  # cannot authenticate (TLS bootstrap)
        join_token(groups=["system:bootstrappers:other"]),  # not bound to the join RBAC rules
    ],
    ids=["short-ttl", "expired", "signing-only", "other-group"],
)
def test_does_not_reuse_unusable_tokens(cluster, run_module, unusable):
    cluster.seed_tokens([unusable])
    result = run_module(kubeadm_join_info, args(cluster)).result
    assert result["token_created"] is True and result["token"] == NEW_TOKEN


def test_prefers_the_longest_lived_token(cluster, run_module):
    forever = join_token(token="forevr.0123456789abcdef", expires=None)
    forever.pop("expires", None)
    cluster.seed_tokens([join_token(hours=5), forever, join_token(token="later0.0123456789abcdef", hours=10)])
    assert run_module(kubeadm_join_info, args(cluster)).result["token"] == "forevr.0123456789abcdef"


def test_reusable_token_choice_unit():
    now = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
    usages, groups = ("authentication", "signing"), (JOIN_GROUP,)
    short = BootstrapToken(TOKEN, now + datetime.timedelta(minutes=30), usages, groups)
    long_ = BootstrapToken("long00.0123456789abcdef", now + datetime.timedelta(hours=5), usages, groups)
    assert kubeadm_join_info.reusable_token([short, long_], now, 3600) == long_
    assert kubeadm_join_info.reusable_token([short], now, 3600) is None
    assert kubeadm_join_info.reusable_token([short], now, 60) == short


def test_check_mode_creates_nothing(cluster, run_module):
    run = run_module(kubeadm_join_info, args(cluster, control_plane=True), check_mode=True)
    result = run.result
    assert run.rc == 0, result
    assert result["changed"] is True
    assert result["token"] is None and result["token_created"] is True
    assert result["certificate_key"] is None and result["certificates_uploaded"] is True
    assert result["worker_join"] is None and result["control_plane_join"] is None
    assert cluster.commands() == ["version", "token list"]  # read-only commands only
    assert not (cluster.state / "tokens.json").exists()


def test_check_mode_with_a_reusable_token(cluster, run_module):
    cluster.seed_tokens([join_token()])
    result = run_module(kubeadm_join_info, args(cluster), check_mode=True).result
    assert result["changed"] is False and result["token"] == TOKEN


@pytest.mark.parametrize(
    ("version", "commands", "flag"),
    [
        ("v1.28.4", ["certs certificate-key", "init phase upload-certs"], "--control-plane"),
        ("v1.20.2", ["certs certificate-key", "init phase upload-certs"], "--control-plane"),
        ("v1.17.17", ["alpha certs certificate-key", "init phase upload-certs"], "--control-plane"),
        ("v1.15.12", ["alpha certs certificate-key", "init phase upload-certs"], "--control-plane"),
        ("v1.14.10", ["init phase upload-certs"], "--experimental-control-plane"),
    ],
)
def test_control_plane_uploads_certificates(cluster, run_module, monkeypatch, version, commands, flag):
    monkeypatch.setenv("FAKE_KUBEADM_VERSION", version)
    cluster.seed_tokens([join_token()])
    run = run_module(kubeadm_join_info, args(cluster, control_plane=True))
    result = run.result
    assert run.rc == 0, result
    assert result["changed"] is True
    assert result["certificate_key"] == NEW_KEY and result["certificates_uploaded"] is True
    assert result["control_plane_flag"] == flag
    assert result["control_plane_join"][-3:] == [flag, "--certificate-key", NEW_KEY]
    assert cluster.commands()[2:] == commands
    upload = cluster.calls()[-1]
    expected_flag = "--experimental-upload-certs" if version == "v1.14.10" else "--upload-certs"
    assert expected_flag in upload
    assert ("--certificate-key" in upload) == (version != "v1.14.10")
    list_call = cluster.calls()[1]
    assert ("-o" in list_call) == (version >= "v1.17")


def test_upload_certs_config_lets_kubeadm_choose_the_key(cluster, run_module):
    cluster.seed_tokens([join_token()])
    result = run_module(kubeadm_join_info, args(cluster, control_plane=True, upload_certs_config="/etc/k.yaml")).result
    assert result["certificate_key"] == NEW_KEY
    upload = cluster.calls()[-1]
    assert upload[:4] == ["init", "phase", "upload-certs", "--upload-certs"]
    assert "--config" in upload and "--certificate-key" not in upload


def test_kubeadm_113_cannot_upload(cluster, run_module, monkeypatch):
    monkeypatch.setenv("FAKE_KUBEADM_VERSION", "v1.13.12")
    cluster.seed_tokens([join_token()])
    run = run_module(kubeadm_join_info, args(cluster, control_plane=True))
    assert run.rc == 1 and "1.14 or later" in run.result["msg"]


def test_endpoint_option_wins_and_is_validated(cluster, run_module):
    cluster.seed_tokens([join_token()])
    result = run_module(kubeadm_join_info, args(cluster, api_endpoint="[FD00::10]:6443")).result
    assert result["api_endpoint"] == "[fd00::10]:6443"
    assert result["worker_join"][2] == "[fd00::10]:6443"
    run = run_module(kubeadm_join_info, args(cluster, api_endpoint="fd00::10:6443"))
    assert run.rc == 1 and "brackets" in run.result["msg"]


def test_token_ttl_must_exceed_min_ttl(cluster, run_module):
    run = run_module(kubeadm_join_info, args(cluster, token_ttl="1h", min_ttl="2h"))
    assert run.rc == 1 and "token_ttl to be longer than min_ttl" in run.result["msg"]
    assert cluster.calls() == []


@pytest.mark.parametrize("failing", ["token", "certs", "init"])
def test_failures_leak_no_secret(cluster, run_module, monkeypatch, failing):
    # the fake prints the token and key it knows on failure, like a real failure might
    monkeypatch.setenv("FAKE_KUBEADM_TOKEN", TOKEN)
    monkeypatch.setenv("FAKE_KUBEADM_KEY", KEY)
    monkeypatch.setenv("FAKE_KUBEADM_FAIL", failing)
    cluster.seed_tokens([join_token()] if failing != "token" else [])
    run = run_module(kubeadm_join_info, args(cluster, control_plane=True))
    assert run.rc == 1
    assert "failed with exit code 1" in run.result["msg"]
    assert_secret_free(run.printed)


def test_missing_ca_file(cluster, run_module):
    run = run_module(kubeadm_join_info, args(cluster, ca_cert=str(cluster.etc / "nope.crt")))
    assert run.rc == 1 and "readable CA certificate file" in run.result["msg"]

"""Rendering tests of roles/join/templates/kubeadm-join.yaml.j2 for each kubeadm config API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible_collections.kubeadm_ha.cluster.plugins.filter import kubeadm_config_api, kubeadm_cri_socket

ROLE = Path(__file__).resolve().parents[2] / "roles" / "join"
TOKEN = "abcdef.0123456789abcdef"
HASH = "sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3"
KEY = "e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204"


def render(**overrides) -> dict:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(ROLE / "templates")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["to_json"] = json.dumps
    env.filters["regex_replace"] = lambda value, pattern, repl="": re.sub(pattern, repl, str(value))
    for plugin in (kubeadm_config_api, kubeadm_cri_socket):
        env.filters.update({f"kubeadm_ha.cluster.{k}": v for k, v in plugin.FilterModule().filters().items()})
    variables = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    variables.update(
        join_kubernetes_version="1.30.6",
        join_api_endpoint="10.20.0.10:8443",
        join_first_control_plane_host="cp1",
        join_node_name="w1",
        join_advertise_address="10.20.0.21",
        __join_api_endpoint="10.20.0.10:8443",
        __join_token=TOKEN,
        __join_ca_cert_hashes=[HASH],
        __join_certificate_key=KEY,
    )
    variables.update(overrides)
    docs = [d for d in yaml.safe_load_all(env.get_template("kubeadm-join.yaml.j2").render(**variables)) if d]
    assert len(docs) == 1
    return docs[0]


@pytest.mark.parametrize(
    ("version", "api", "socket"),
    [
        ("1.20.2", "v1beta2", "/run/containerd/containerd.sock"),
        ("1.22.1", "v1beta3", "/run/containerd/containerd.sock"),
        ("1.24.0", "v1beta3", "unix:///run/containerd/containerd.sock"),
        ("1.31.0", "v1beta4", "unix:///run/containerd/containerd.sock"),
    ],
)
def test_worker_join_per_version(version, api, socket):
    doc = render(join_kubernetes_version=version)
    assert doc["apiVersion"] == f"kubeadm.k8s.io/{api}"
    assert doc["kind"] == "JoinConfiguration"
    assert doc["discovery"]["bootstrapToken"] == {
        "apiServerEndpoint": "10.20.0.10:8443",
        "token": TOKEN,
        "caCertHashes": [HASH],
    }
    assert doc["nodeRegistration"]["criSocket"] == socket
    assert doc["nodeRegistration"]["name"] == "w1"
    assert "controlPlane" not in doc
    assert "unsafeSkipCAVerification" not in json.dumps(doc)
    if api == "v1beta4":
        assert doc["timeouts"] == {"discovery": "5m0s"}
        assert "timeout" not in doc["discovery"]
    else:
        assert doc["discovery"]["timeout"] == "5m0s"


@pytest.mark.parametrize("version", ["1.20.2", "1.28.4", "1.31.0"])
def test_control_plane_join_carries_key_and_endpoint(version):
    doc = render(join_kubernetes_version=version, join_control_plane=True, join_advertise_address="10.20.0.12")
    assert doc["controlPlane"] == {
        "localAPIEndpoint": {"advertiseAddress": "10.20.0.12", "bindPort": 6443},
        "certificateKey": KEY,
    }


def test_lab_kubelet_args_map_then_list():
    lab = {
        "join_kubelet_cgroup_root": "/lab-kha-w1",
        "join_ignore_preflight_errors": ["FileExisting-crictl"],
        "join_kubelet_extra_args": {"max-pods": 50},
    }
    old = render(join_kubernetes_version="1.20.2", **lab)
    assert old["nodeRegistration"]["kubeletExtraArgs"] == {"cgroup-root": "/lab-kha-w1", "max-pods": "50"}
    assert old["nodeRegistration"]["ignorePreflightErrors"] == ["FileExisting-crictl"]
    new = render(join_kubernetes_version="1.32.0", **lab)
    assert new["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "cgroup-root", "value": "/lab-kha-w1"},
        {"name": "max-pods", "value": "50"},
    ]


def test_skip_phases_only_where_the_api_has_them():
    assert "skipPhases" not in render(join_kubernetes_version="1.20.2", join_skip_phases=["preflight"])
    assert render(join_kubernetes_version="1.25.0", join_skip_phases=["preflight"])["skipPhases"] == ["preflight"]


def test_several_ca_hashes():
    doc = render(__join_ca_cert_hashes=[HASH, "sha256:" + "0" * 64])
    assert doc["discovery"]["bootstrapToken"]["caCertHashes"] == [HASH, "sha256:" + "0" * 64]

"""Rendering tests of roles/kubeadm_init/templates/kubeadm-config.yaml.j2 for each kubeadm config API.

The same role inputs must give kubeadm.k8s.io/v1beta2 (1.20-1.21), v1beta3 (1.22-1.30) and v1beta4 (1.31+),
each in its own shape. Rendered with plain Jinja2 and the two Ansible filters the template uses.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
import pytest
import yaml
from ansible.plugins.filter.core import combine, to_nice_yaml
from ansible_collections.kubeadm_ha.cluster.plugins.filter import kubeadm_config_api, kubeadm_cri_socket

ROLE = Path(__file__).resolve().parents[2] / "roles" / "kubeadm_init"


def _regex_replace(value, pattern, replacement=""):
    return re.sub(pattern, replacement, str(value))


def render(**overrides) -> list[dict]:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(ROLE / "templates")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["to_json"] = json.dumps
    env.filters["regex_replace"] = _regex_replace
    for plugin in (kubeadm_config_api, kubeadm_cri_socket):
        env.filters.update({f"kubeadm_ha.cluster.{k}": v for k, v in plugin.FilterModule().filters().items()})
    env.filters["combine"] = combine  # Ansible's own, as the role uses them
    env.filters["to_nice_yaml"] = to_nice_yaml
    variables = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    variables.update(
        kubeadm_init_node_name="cp1",
        kubeadm_init_advertise_address="10.20.0.11",
        kubeadm_init_kubernetes_version="1.30.6",
        kubeadm_init_control_plane_endpoint="10.20.0.10:8443",
    )
    variables.update(overrides)
    text = env.get_template("kubeadm-config.yaml.j2").render(**variables)
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def by_kind(docs: list[dict]) -> dict[str, dict]:
    return {doc["kind"]: doc for doc in docs}


@pytest.mark.parametrize(
    ("version", "api"),
    [
        ("1.20.2", "v1beta2"),
        ("1.21.14", "v1beta2"),
        ("1.22.0", "v1beta3"),
        ("1.30.6", "v1beta3"),
        ("v1.31.0", "v1beta4"),
        ("1.33.1", "v1beta4"),
    ],
)
def test_api_version_follows_kubernetes_version(version, api):
    docs = by_kind(render(kubeadm_init_kubernetes_version=version))
    assert docs["InitConfiguration"]["apiVersion"] == f"kubeadm.k8s.io/{api}"
    assert docs["ClusterConfiguration"]["apiVersion"] == f"kubeadm.k8s.io/{api}"
    assert docs["ClusterConfiguration"]["kubernetesVersion"] == "v" + version.lstrip("v")
    assert docs["KubeletConfiguration"]["apiVersion"] == "kubelet.config.k8s.io/v1beta1"
    assert "KubeProxyConfiguration" not in docs


@pytest.mark.parametrize(
    ("version", "socket"),
    [
        ("1.20.2", "/run/containerd/containerd.sock"),
        ("1.23.17", "/run/containerd/containerd.sock"),
        ("1.24.0", "unix:///run/containerd/containerd.sock"),
        ("1.31.2", "unix:///run/containerd/containerd.sock"),
    ],
)
def test_cri_socket_scheme_from_1_24(version, socket):
    init = by_kind(render(kubeadm_init_kubernetes_version=version))["InitConfiguration"]
    assert init["nodeRegistration"]["criSocket"] == socket
    # a socket given with the scheme is not doubled nor kept on old versions
    init = by_kind(render(kubeadm_init_kubernetes_version=version, kubeadm_init_cri_socket="unix://" + "/x.sock"))[
        "InitConfiguration"
    ]
    assert init["nodeRegistration"]["criSocket"] in {"/x.sock", "unix:///x.sock"}


def test_lab_inputs_v1beta2_shape():
    """The lab's inputs (lab/k8s/prove.sh) on 1.20.2: extraArgs maps, timeoutForControlPlane, no skipPhases."""
    docs = by_kind(
        render(
            kubeadm_init_kubernetes_version="1.20.2",
            kubeadm_init_image_repository="172.30.0.2:5000/k8s",
            kubeadm_init_cgroup_driver="cgroupfs",
            kubeadm_init_kubelet_cgroup_root="/lab-kha-cp1",
            kubeadm_init_skip_phases=["preflight", "addon/kube-proxy"],
            kubeadm_init_ignore_preflight_errors=["FileExisting-crictl"],
            kubeadm_init_apiserver_extra_args={"audit-log-maxage": 30},
            kubeadm_init_control_plane_endpoint="172.30.0.10:8443",
        )
    )
    init, cluster, kubelet = docs["InitConfiguration"], docs["ClusterConfiguration"], docs["KubeletConfiguration"]
    assert init["nodeRegistration"]["kubeletExtraArgs"] == {"cgroup-root": "/lab-kha-cp1"}
    assert init["nodeRegistration"]["ignorePreflightErrors"] == ["FileExisting-crictl"]
    assert "skipPhases" not in init  # v1beta2 has none: the role passes --skip-phases
    assert "timeouts" not in init
    assert cluster["apiServer"]["extraArgs"] == {"audit-log-maxage": "30"}
    assert cluster["apiServer"]["timeoutForControlPlane"] == "4m0s"
    assert cluster["apiServer"]["certSANs"] == ["172.30.0.10"]
    assert cluster["controlPlaneEndpoint"] == "172.30.0.10:8443"
    assert cluster["imageRepository"] == "172.30.0.2:5000/k8s"
    assert cluster["networking"] == {
        "dnsDomain": "cluster.local",
        "podSubnet": "10.244.0.0/16",
        "serviceSubnet": "10.96.0.0/12",
    }
    assert init["localAPIEndpoint"] == {"advertiseAddress": "10.20.0.11", "bindPort": 6443}
    assert init["nodeRegistration"]["name"] == "cp1"
    assert kubelet == {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "cgroupDriver": "cgroupfs",
    }


def test_v1beta3_shape():
    docs = by_kind(
        render(
            kubeadm_init_kubernetes_version="1.28.4",
            kubeadm_init_skip_phases=["addon/kube-proxy"],
            kubeadm_init_kubelet_extra_args={"max-pods": 200},
            kubeadm_init_controller_manager_extra_args={"bind-address": "0.0.0.0"},
        )
    )
    init, cluster = docs["InitConfiguration"], docs["ClusterConfiguration"]
    assert init["skipPhases"] == ["addon/kube-proxy"]
    assert init["nodeRegistration"]["kubeletExtraArgs"] == {"max-pods": "200"}
    assert cluster["controllerManager"]["extraArgs"] == {"bind-address": "0.0.0.0"}
    assert cluster["apiServer"]["timeoutForControlPlane"] == "4m0s"
    assert "scheduler" not in cluster


def test_v1beta4_shape_lists_and_timeouts():
    docs = by_kind(
        render(
            kubeadm_init_kubernetes_version="1.31.2",
            kubeadm_init_kubelet_cgroup_root="/lab-x",
            kubeadm_init_node_ip="10.20.0.11",
            kubeadm_init_apiserver_extra_args={"audit-log-maxage": "30", "anonymous-auth": "false"},
            kubeadm_init_scheduler_extra_args={"bind-address": "0.0.0.0"},
            kubeadm_init_control_plane_timeout="5m0s",
        )
    )
    init, cluster = docs["InitConfiguration"], docs["ClusterConfiguration"]
    assert init["nodeRegistration"]["kubeletExtraArgs"] == [
        {"name": "cgroup-root", "value": "/lab-x"},
        {"name": "node-ip", "value": "10.20.0.11"},
    ]
    assert cluster["apiServer"]["extraArgs"] == [
        {"name": "anonymous-auth", "value": "false"},
        {"name": "audit-log-maxage", "value": "30"},
    ]
    assert cluster["scheduler"]["extraArgs"] == [{"name": "bind-address", "value": "0.0.0.0"}]
    assert init["timeouts"] == {"controlPlaneComponentHealthCheck": "5m0s"}
    assert "timeoutForControlPlane" not in cluster["apiServer"]


@pytest.mark.parametrize("version", ["1.20.2", "1.28.4", "1.32.0"])
def test_ipvs_adds_kube_proxy_configuration(version):
    docs = by_kind(render(kubeadm_init_kubernetes_version=version, kubeadm_init_kube_proxy_mode="ipvs"))
    proxy = docs["KubeProxyConfiguration"]
    assert proxy["apiVersion"] == "kubeproxy.config.k8s.io/v1alpha1"
    assert proxy["mode"] == "ipvs"
    assert proxy["ipvs"]["strictARP"] is True


@pytest.mark.parametrize("version", ["1.20.2", "1.28.4", "1.32.0"])
def test_kube_proxy_config_is_merged_over_the_mode(version):
    docs = by_kind(
        render(
            kubeadm_init_kubernetes_version=version,
            kubeadm_init_kube_proxy_mode="ipvs",
            kubeadm_init_kube_proxy_config={"conntrack": {"maxPerCore": 0}, "ipvs": {"scheduler": "wrr"}},
        )
    )
    assert docs["KubeProxyConfiguration"] == {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "ipvs",
        "ipvs": {"strictARP": True, "scheduler": "wrr"},  # recursive: the mode's strictARP stays
        "conntrack": {"maxPerCore": 0},
    }


def test_kube_proxy_config_alone_keeps_iptables_mode_implicit():
    docs = by_kind(render(kubeadm_init_kube_proxy_config={"conntrack": {"maxPerCore": 0}}))
    assert docs["KubeProxyConfiguration"]["conntrack"] == {"maxPerCore": 0}
    assert "mode" not in docs["KubeProxyConfiguration"]


def test_kubelet_config_is_merged_and_the_cgroup_driver_kept_unless_overridden():
    kubelet = by_kind(render(kubeadm_init_cgroup_driver="cgroupfs", kubeadm_init_kubelet_config={"maxPods": 200}))[
        "KubeletConfiguration"
    ]
    assert kubelet == {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "cgroupDriver": "cgroupfs",
        "maxPods": 200,
    }


def test_extra_sans_keep_endpoint_first_and_unique():
    cluster = by_kind(
        render(
            kubeadm_init_control_plane_endpoint="api.example.internal:8443",
            kubeadm_init_apiserver_cert_extra_sans=["10.20.0.10", "api.example.internal"],
        )
    )["ClusterConfiguration"]
    assert cluster["apiServer"]["certSANs"] == ["api.example.internal", "10.20.0.10"]


def test_taints_only_when_given():
    init = by_kind(render())["InitConfiguration"]
    assert "taints" not in init["nodeRegistration"]
    init = by_kind(render(kubeadm_init_node_taints=[]))["InitConfiguration"]
    assert init["nodeRegistration"]["taints"] == []


def test_values_are_quoted_against_yaml_injection():
    cluster = by_kind(render(kubeadm_init_cluster_name="a: b\nkind: Evil"))["ClusterConfiguration"]
    assert cluster["clusterName"] == "a: b\nkind: Evil"
    assert cluster["kind"] == "ClusterConfiguration"

"""The filters kubeadm_config_api and kubeadm_cri_socket (one plugin file each) over module_utils._cluster_inputs."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.filter import kubeadm_config_api, kubeadm_cri_socket

config_api = kubeadm_config_api.FilterModule().filters()["kubeadm_config_api"]
cri_socket = kubeadm_cri_socket.FilterModule().filters()["kubeadm_cri_socket"]


@pytest.mark.parametrize(("version", "api"), [("1.20.2", "v1beta2"), ("v1.30.6", "v1beta3"), ("1.31.0", "v1beta4")])
def test_kubeadm_config_api(version, api):
    assert config_api(version) == api


def test_kubeadm_cri_socket():
    assert cri_socket("unix:///run/containerd/containerd.sock", "1.23.17") == "/run/containerd/containerd.sock"
    assert cri_socket("/run/containerd/containerd.sock", "v1.24.0") == "unix:///run/containerd/containerd.sock"


def test_a_bad_version_fails_naming_the_filter():
    with pytest.raises(AnsibleFilterError, match=r"^kubeadm_config_api: '1\.30' is not a Kubernetes version"):
        config_api("1.30")
    with pytest.raises(AnsibleFilterError, match=r"^kubeadm_cri_socket: 'latest' is not a Kubernetes version"):
        cri_socket("/run/containerd/containerd.sock", "latest")


@pytest.mark.parametrize("plugin", [kubeadm_config_api, kubeadm_cri_socket])
def test_each_filter_file_registers_its_filter(plugin):
    name = plugin.__name__.rpartition(".")[2]
    assert list(plugin.FilterModule().filters()) == [name]

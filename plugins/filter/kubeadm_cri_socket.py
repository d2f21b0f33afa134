# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.kubeadm_cri_socket: a thin adapter over module_utils._cluster_inputs."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kubeadm_cri_socket
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: A CRI socket in the form kubeadm of a Kubernetes release wants
description:
  - kubeadm takes C(nodeRegistration.criSocket) as a C(unix://) URL from Kubernetes 1.24 and as a plain path before;
    this filter gives either form from either input.
positional: _input, version
options:
  _input:
    description: The CRI socket, a path or a C(unix://) URL.
    type: str
    required: true
  version:
    description: The Kubernetes version, V(1.30.6) or V(v1.30.6).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The containerd socket for kubeadm 1.20
  ansible.builtin.debug:
    msg: "{{ 'unix:///run/containerd/containerd.sock' | kubeadm_ha.cluster.kubeadm_cri_socket('1.20.2') }}"
"""

RETURN = r"""
_value:
  description: V(/run/containerd/containerd.sock) before 1.24, V(unix:///run/containerd/containerd.sock) from 1.24.
  type: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._cluster_inputs import kubeadm_cri_socket
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._kubeadm_config_filter import minor


def kubeadm_cri_socket_filter(socket, version):
    """The CRI socket in the form kubeadm of this version wants (unix:// URL from 1.24, plain path before)."""
    return kubeadm_cri_socket(socket, minor(version, "kubeadm_cri_socket"))


class FilterModule:
    """The filter kubeadm_ha.cluster.kubeadm_cri_socket."""

    def filters(self):
        return {"kubeadm_cri_socket": kubeadm_cri_socket_filter}

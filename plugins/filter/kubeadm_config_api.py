# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.kubeadm_config_api: a thin adapter over module_utils._cluster_inputs."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kubeadm_config_api
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: The kubeadm configuration API version a Kubernetes release speaks
description:
  - Returns V(v1beta2) for Kubernetes 1.20-1.21, V(v1beta3) for 1.22-1.30 and V(v1beta4) from 1.31, the
    C(kubeadm.k8s.io) API version of the InitConfiguration, ClusterConfiguration and JoinConfiguration the roles write.
  - The same rule the front door (M(kubeadm_ha.cluster.cluster_facts)) returns as C(kubeadm_api_version).
positional: _input
options:
  _input:
    description: A Kubernetes version, V(1.30.6) or V(v1.30.6).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Pick the configuration API
  ansible.builtin.debug:
    msg: "{{ '1.30.6' | kubeadm_ha.cluster.kubeadm_config_api }}"  # v1beta3
"""

RETURN = r"""
_value:
  description: V(v1beta2), V(v1beta3) or V(v1beta4).
  type: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._cluster_inputs import kubeadm_api_version
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._kubeadm_config_filter import minor


def kubeadm_config_api(version):
    """The kubeadm configuration API version (v1beta2/3/4) that kubeadm of this Kubernetes version speaks."""
    return kubeadm_api_version(minor(version, "kubeadm_config_api"))


class FilterModule:
    """The filter kubeadm_ha.cluster.kubeadm_config_api."""

    def filters(self):
        return {"kubeadm_config_api": kubeadm_config_api}

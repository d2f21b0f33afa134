# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.worker_nodes: a thin adapter over module_utils._cluster_report."""

from __future__ import annotations

DOCUMENTATION = r"""
name: worker_nodes
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: The nodes that are not control-plane nodes
description:
  - Reads C(kubectl get nodes -o json) and returns the names of the nodes without a
    C(node-role.kubernetes.io/control-plane) or C(node-role.kubernetes.io/master) label, sorted.
  - Used by the P(kubeadm_ha.cluster.verify#role) role.
positional: _input
options:
  _input:
    description: The output of C(kubectl get nodes -o json), parsed or as text.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Count the workers
  ansible.builtin.debug:
    msg: "{{ __nodes.stdout | kubeadm_ha.cluster.worker_nodes | length }}"
"""

RETURN = r"""
_value:
  description: Node names.
  type: list
  elements: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _cluster_report
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._cluster_report_filter import as_filter

worker_nodes = as_filter(_cluster_report.worker_nodes)


class FilterModule:
    """The filter kubeadm_ha.cluster.worker_nodes."""

    def filters(self):
        return {"worker_nodes": worker_nodes}

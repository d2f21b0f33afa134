# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.smoke_pairs: a thin adapter over module_utils._cluster_report."""

from __future__ import annotations

DOCUMENTATION = r"""
name: smoke_pairs
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: Every pair of running pods on different nodes, to test pod-to-pod traffic across nodes
description:
  - Reads C(kubectl get pods -o json) of the smoke workload and returns, for each running pod in name order, a pair
    with the next pod (cyclically) that runs on another node, with that pod's IP. Every pod is a client once and a
    server too when the pods are on at least two nodes; n pods give at most n pairs.
  - Used by the P(kubeadm_ha.cluster.verify#role) role.
positional: _input
options:
  _input:
    description: The output of C(kubectl get pods -o json), parsed or as text.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Show the pairs
  ansible.builtin.debug:
    msg: "{{ __smoke_pods.stdout | kubeadm_ha.cluster.smoke_pairs }}"
"""

RETURN = r"""
_value:
  description: Dicts with C(client), C(client_node), C(server), C(server_node), C(server_ip).
  type: list
  elements: dict
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _cluster_report
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._cluster_report_filter import as_filter

smoke_pairs = as_filter(_cluster_report.smoke_pairs)


class FilterModule:
    """The filter kubeadm_ha.cluster.smoke_pairs."""

    def filters(self):
        return {"smoke_pairs": smoke_pairs}

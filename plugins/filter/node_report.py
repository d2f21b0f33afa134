# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.node_report: a thin adapter over module_utils._cluster_report."""

from __future__ import annotations

DOCUMENTATION = r"""
name: node_report
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: The nodes that are missing or not Ready, one line each
description:
  - Reads C(kubectl get nodes -o json) and returns one line per expected node that is not registered and per node
    whose Ready condition is not True, with the condition's message. Empty when every node is Ready.
  - Used by the P(kubeadm_ha.cluster.verify#role) role.
positional: _input, expected
options:
  _input:
    description: The output of C(kubectl get nodes -o json), parsed or as text.
    type: raw
    required: true
  expected:
    description: Node names that must be registered.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Fail unless every node is Ready
  ansible.builtin.assert:
    that: (__nodes.stdout | kubeadm_ha.cluster.node_report(['cp1', 'w1'])) | length == 0
"""

RETURN = r"""
_value:
  description: "One line per problem, e.g. C(node w1: not Ready (container runtime network not ready ...))."
  type: list
  elements: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _cluster_report
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._cluster_report_filter import as_filter

node_report = as_filter(_cluster_report.node_report)


class FilterModule:
    """The filter kubeadm_ha.cluster.node_report."""

    def filters(self):
        return {"node_report": node_report}

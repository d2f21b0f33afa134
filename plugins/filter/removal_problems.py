# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.removal_problems: a thin adapter over module_utils._day2."""

from __future__ import annotations

DOCUMENTATION = r"""
name: removal_problems
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: Why removing nodes from a kubeadm cluster must be refused
description:
  - Refuses unknown nodes, removing every control-plane node, and any step that would leave etcd without a healthy
    majority when the members of the control-plane nodes are removed one at a time. Empty when the removal may go
    ahead.
  - Used by C(playbooks/remove_nodes.yml).
positional: _input, control_plane, workers, etcd_members
options:
  _input:
    description: The nodes to remove.
    type: list
    elements: str
    required: true
  control_plane:
    description: The control-plane nodes.
    type: list
    elements: str
    required: true
  workers:
    description: The workers.
    type: list
    elements: str
    required: true
  etcd_members:
    description: etcd member name (the node name) -> healthy.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse to remove the last control-plane node
  ansible.builtin.debug:
    msg: "{{ ['cp1'] | kubeadm_ha.cluster.removal_problems(['cp1'], ['w1'], {'cp1': true}) }}"
"""

RETURN = r"""
_value:
  description: One line per refusal.
  type: list
  elements: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _day2


def removal_problems(remove, control_plane, workers, etcd_members):
    """Why removing these nodes must be refused (empty: go ahead)."""
    return _day2.removal_problems(
        list(control_plane or []), list(workers or []), list(remove or []), dict(etcd_members or {})
    )


class FilterModule:
    """The filter kubeadm_ha.cluster.removal_problems."""

    def filters(self):
        return {"removal_problems": removal_problems}

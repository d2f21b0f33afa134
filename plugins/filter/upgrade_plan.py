# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.upgrade_plan: a thin adapter over module_utils._day2."""

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_plan
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: What upgrading a kubeadm cluster to a version takes, or why it must be refused
description:
  - From the cluster's version (C(kubernetesVersion) of the kubeadm-config ConfigMap), the target, each node's
    kubelet version and each control-plane node's kube-apiserver version, returns whether C(kubeadm upgrade apply)
    must run, which control-plane nodes need C(kubeadm upgrade node), which kubelets move, and the refusals.
  - Refused, before any change, are a skipped minor release, a downgrade, a major change and nodes on versions the
    version skew policy forbids. A run interrupted anywhere is planned again from what the cluster reports, so the
    next run finishes it.
  - Used by the P(kubeadm_ha.cluster.upgrade#role) role.
positional: _input, target, kubelets, control_plane_versions
options:
  _input:
    description: The cluster's version, e.g. V(v1.20.2).
    type: str
    required: true
  target:
    description: The version to upgrade to, e.g. V(1.20.3).
    type: str
    required: true
  kubelets:
    description: Node name -> kubelet version.
    type: dict
    required: true
  control_plane_versions:
    description: Control-plane node name -> version of its kube-apiserver static pod.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Plan
  ansible.builtin.debug:
    msg: "{{ 'v1.20.2' | kubeadm_ha.cluster.upgrade_plan('1.20.3', {'cp1': 'v1.20.2'}, {'cp1': 'v1.20.2'}) }}"
"""

RETURN = r"""
_value:
  description: C(target), C(cluster_version), C(apply), C(upgrade_node), C(kubelets), C(refusals), C(done).
  type: dict
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _day2


def upgrade_plan(cluster_version, target, kubelets, control_plane_versions):
    """The upgrade plan (apply, upgrade_node, kubelets, refusals, done) as a dict."""
    return _day2.upgrade_plan(
        cluster_version, target, dict(kubelets or {}), dict(control_plane_versions or {})
    ).to_dict()


class FilterModule:
    """The filter kubeadm_ha.cluster.upgrade_plan."""

    def filters(self):
        return {"upgrade_plan": upgrade_plan}

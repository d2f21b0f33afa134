# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.etcd_member_health: a thin adapter over module_utils._day2."""

from __future__ import annotations

DOCUMENTATION = r"""
name: etcd_member_health
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: Each etcd member's health, from etcdctl's JSON
description:
  - Combines C(etcdctl member list -w json) and C(etcdctl endpoint health --cluster -w json) into member name ->
    healthy. A member is healthy when one of its client URLs reported healthy; a member that never started is
    listed under its ID, unhealthy.
positional: _input, endpoint_health
options:
  _input:
    description: The output of C(etcdctl member list -w json), parsed or as text.
    type: raw
    required: true
  endpoint_health:
    description: The output of C(etcdctl endpoint health --cluster -w json), parsed or as text.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Health per member
  ansible.builtin.debug:
    msg: "{{ __members.stdout | kubeadm_ha.cluster.etcd_member_health(__health.stdout) }}"
"""

RETURN = r"""
_value:
  description: Member name -> healthy.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _day2


def etcd_member_health(member_list, endpoint_health):
    """etcd member name -> healthy, from etcdctl's member list and endpoint health (JSON)."""
    try:
        return _day2.etcd_member_health(member_list, endpoint_health)
    except ValueError as exc:
        raise AnsibleFilterError(f"etcd_member_health: {exc}") from None


class FilterModule:
    """The filter kubeadm_ha.cluster.etcd_member_health."""

    def filters(self):
        return {"etcd_member_health": etcd_member_health}

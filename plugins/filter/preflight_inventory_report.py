# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.preflight_inventory_report: a thin adapter over module_utils._preflight."""

from __future__ import annotations

DOCUMENTATION = r"""
name: preflight_inventory_report
version_added: 0.1.0
short_description: Inventory-wide preflight checks of a kubeadm cluster
description:
  - Takes the P(kubeadm_ha.cluster.preflight_host_summary#filter) of every node and the cluster inputs, and
    returns the errors and warnings found; every message names the hosts and values involved.
  - Errors are duplicate node names, MAC addresses or product_uuids; pod and service networks that are malformed
    or overlap each other or a node network; an API VIP that is not an address, is a node's address, lies in the
    pod or service network or outside a control-plane node's network; a Kubernetes version that is malformed or
    whose release series is not supported.
  - Warnings are an even number of control-plane nodes, nodes without a product_uuid (containers, some VMs) and
    nodes whose facts could not be read.
  - Empty string inputs skip their checks.
positional: _input
options:
  _input:
    description: Inventory host name to its summary.
    type: dict
    required: true
  control_plane:
    description: The control-plane nodes (inventory host names).
    type: list
    elements: str
    default: []
  pod_subnet:
    description: The pod network; dual stack as V(IPv4CIDR,IPv6CIDR).
    type: str
    default: ""
  service_subnet:
    description: The service network; dual stack as V(IPv4CIDR,IPv6CIDR).
    type: str
    default: ""
  api_vip:
    description: The API virtual IP.
    type: str
    default: ""
  kubernetes_version:
    description: The Kubernetes version to install (V(1.30.6) or V(v1.30.6)).
    type: str
    default: ""
  supported_versions:
    description: The supported release series (V(MAJOR.MINOR)).
    type: list
    elements: str
    default: []
  unchecked:
    description: Nodes whose facts could not be read.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Check the inventory as a whole
  ansible.builtin.set_fact:
    report: >-
      {{ summaries | kubeadm_ha.cluster.preflight_inventory_report(
           control_plane=groups['kube_control_plane'], pod_subnet='10.244.0.0/16',
           service_subnet='10.96.0.0/12', api_vip='10.20.0.10', kubernetes_version='1.30.6',
           supported_versions=['1.29', '1.30']) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: The findings.
  type: dict
  contains:
    errors:
      description: Failed checks; the role stops before changing any host when there is one.
      type: list
      elements: str
    warnings:
      description: Findings that do not stop the run.
      type: list
      elements: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _preflight
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._preflight_filter import as_filter

preflight_inventory_report = as_filter(_preflight.inventory_report)


class FilterModule:
    """The filter kubeadm_ha.cluster.preflight_inventory_report."""

    def filters(self):
        return {"preflight_inventory_report": preflight_inventory_report}

# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.preflight_host_summary: a thin adapter over module_utils._preflight."""

from __future__ import annotations

DOCUMENTATION = r"""
name: preflight_host_summary
version_added: 0.1.0
short_description: What the inventory-wide preflight checks compare, taken from one host's facts
description:
  - Reads one host's gathered facts (subsets C(min), C(hardware), C(network)) and returns its Kubernetes node name,
    node address, the networks holding that address, the MAC addresses and networks of its interfaces, and its
    product_uuid.
  - Interfaces of container runtimes, CNI plugins and kube-proxy are left out (O(ignore_interfaces)), so a node that
    already runs Kubernetes does not clash with its own pod and service networks.
  - Pure logic; used by the P(kubeadm_ha.cluster.preflight#role) role.
positional: _input, node_name, node_ip, ignore_interfaces
options:
  _input:
    description: The host's C(ansible_facts).
    type: dict
    required: true
  node_name:
    description: The Kubernetes node name; empty means the kernel host name, lower-cased, as kubelet does.
    type: str
    default: ""
  node_ip:
    description: The node address; empty means the address of the default IPv4 route.
    type: str
    default: ""
  ignore_interfaces:
    description: A regular expression; interfaces whose whole name matches are left out.
    type: str
    default: "^(lo|veth.*|cni.*|flannel.*|cali.*|tunl.*|vxlan.*|kube-ipvs.*|...)$"
"""

EXAMPLES = r"""
- name: Summarise this host for the inventory-wide checks
  ansible.builtin.set_fact:
    summary: "{{ ansible_facts | kubeadm_ha.cluster.preflight_host_summary(node_ip='10.20.0.11') }}"
"""

RETURN = r"""
_value:
  description: The summary.
  type: dict
  contains:
    name:
      description: The Kubernetes node name.
      type: str
    node_ip:
      description: The node address (empty if unknown).
      type: str
    node_networks:
      description: The networks (CIDR) of the interfaces that hold O(node_ip).
      type: list
      elements: str
    addresses:
      description: Every address of the interfaces considered.
      type: list
      elements: str
    macs:
      description: Interface name to MAC address.
      type: dict
    networks:
      description: Interface name to its addresses with prefix length (CIDR).
      type: dict
    product_uuid:
      description: The lower-cased product_uuid, or V(None) when the host does not expose one.
      type: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _preflight
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._preflight_filter import as_filter

preflight_host_summary = as_filter(_preflight.host_summary)


class FilterModule:
    """The filter kubeadm_ha.cluster.preflight_host_summary."""

    def filters(self):
        return {"preflight_host_summary": preflight_host_summary}

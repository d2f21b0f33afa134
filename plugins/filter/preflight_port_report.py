# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.preflight_port_report: a thin adapter over module_utils._preflight."""

from __future__ import annotations

DOCUMENTATION = r"""
name: preflight_port_report
version_added: 0.1.0
short_description: Are the TCP ports a Kubernetes node needs free?
description:
  - Compares the listening sockets of a host (C(tcp_listen) from M(community.general.listen_ports_facts), or the
    lines of C(ss -Htlnp)) with the ports its node role needs.
  - A port held by a Kubernetes process (O(kubernetes_processes); the name Linux truncates to 15 characters counts)
    is fine, the node runs Kubernetes already. On an O(installed) node a port held by any other process is a
    warning; on a new node it is an error naming the process.
  - Anything listening inside O(nodeport_range) is a warning.
positional: _input, required
options:
  _input:
    description:
      - Listening TCP sockets, dicts with C(port), C(address), C(name), C(pid).
      - Or lines of C(ss -Htlnp) (lines that are not a listening socket are skipped).
    type: list
    elements: raw
    required: true
  required:
    description: Ports and ranges the node needs, such as V(6443) or V(2379-2380).
    type: list
    elements: str
    required: true
  nodeport_range:
    description: The NodePort range (V(30000-32767)); empty skips that check.
    type: str
    default: ""
  kubernetes_processes:
    description: Process names of Kubernetes components.
    type: list
    elements: str
    default: []
  installed:
    description: Whether the node already runs Kubernetes (for example C(/etc/kubernetes/kubelet.conf) exists).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Read the listening ports
  community.general.listen_ports_facts:
    include_non_listening: false

- name: The same from the lines of ss -Htlnp (one shell command can read them with other things)
  ansible.builtin.set_fact:
    ports: "{{ ss_output.stdout_lines | kubeadm_ha.cluster.preflight_port_report(['6443', '2379-2380']) }}"
- name: Check the control-plane ports are free
  ansible.builtin.set_fact:
    ports: >-
      {{ ansible_facts.tcp_listen | kubeadm_ha.cluster.preflight_port_report(
           ['6443', '2379-2380', '10250', '10257', '10259'], nodeport_range='30000-32767',
           kubernetes_processes=['kube-apiserver', 'etcd', 'kubelet']) }}
"""

RETURN = r"""
_value:
  description: The findings.
  type: dict
  contains:
    errors:
      description: Ports the node needs that another process holds.
      type: list
      elements: str
    warnings:
      description: Ports held on an installed node by a process that is not a known Kubernetes component, and
        listeners inside the NodePort range.
      type: list
      elements: str
    kubernetes:
      description: Needed ports already served by Kubernetes components (V(10250/tcp (kubelet))).
      type: list
      elements: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _preflight
from ansible_collections.kubeadm_ha.cluster.plugins.plugin_utils._preflight_filter import as_filter

preflight_port_report = as_filter(_preflight.port_report)


class FilterModule:
    """The filter kubeadm_ha.cluster.preflight_port_report."""

    def filters(self):
        return {"preflight_port_report": preflight_port_report}

#!/usr/bin/python
# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_facts
short_description: Check every kha_* input of the whole inventory at once and derive the cluster facts
version_added: 0.1.0
description:
  - The front door of the collection's playbooks. Reads the inventory groups (C(kube_control_plane), C(kube_node),
    C(k8s_cluster), C(kube_lb)), every C(kha_*) variable of every host in them, and their gathered facts; checks
    them all; returns every problem at once, each naming the variable (or group) and the hosts, and the derived
    cluster facts the playbooks hand to the roles.
  - Checks the type, range and format of every input, the rules between them (the load balancer mode against the
    groups, docker against cri-dockerd, IPv4/IPv6 consistency), the groups and their sizes (an even control plane
    needs C(kha_allow_even_control_plane)), host names as Kubernetes node names, node addresses against the hosts'
    own addresses, pod and service networks against each other, kubeadm's size limits, the node count and every
    network the hosts are on, and the VIP against the subnet of the hosts that carry it. Unknown C(kha_*)
    variables are reported with the closest known name; cluster-wide inputs must have one value on every host.
  - A value that cannot be templated (an undefined vault variable) is reported as a problem of its variable, not
    raised in a later play.
  - Every default lives here (module_utils C(_cluster_inputs.INPUTS)); C(inventories/prod/group_vars/all/cluster.yml)
    documents them. The node address of each host is C(kha_node_ip), else its address inside C(kha_node_networks),
    else the address of its default route (IPv4, else IPv6).
  - Runs on the controller only, reads nothing from the hosts beyond the facts already gathered, and changes
    nothing. Run it once (C(run_once)) after gathering facts (subsets C(min), C(hardware), C(network)) on every host.
  - Never returns a secret (the VRRP password is checked, not returned).
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
extends_documentation_fragment:
  - kubeadm_ha.cluster.attributes
attributes:
  action:
    description: Has a corresponding action plugin, which runs on the controller.
    support: full
    details:
      - An action plugin only; it runs on the controller.
  check_mode:
    support: full
    details:
      - Reads variables and facts only; the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  fail_on_problems:
    description:
      - Fail with one message listing every problem. V(false) returns the problems in RV(problems) and succeeds, so a
        later gate (the preflight role's) can report them together with the host checks.
    type: bool
    default: true
  require_facts:
    description:
      - A host without gathered facts is a problem (its addresses cannot be checked). V(false) makes it a warning.
    type: bool
    default: true
  unreachable:
    description:
      - Hosts that did not answer. Their missing facts are a warning whatever O(require_facts) says; what their absence
        means is the caller's decision (the front door leaves members that do not answer out of the run).
    type: list
    elements: str
    default: []
notes:
  - The inputs, their types and defaults are listed in the collection's C(inventories/prod/group_vars/all/cluster.yml).
"""

EXAMPLES = r"""
- name: Check the whole inventory and derive the cluster facts
  kubeadm_ha.cluster.cluster_facts:
  run_once: true
  register: __kha_front_door

- name: Hand the cluster facts to every host of the play
  ansible.builtin.set_fact:
    kha_cluster: "{{ __kha_front_door.cluster }}"
  run_once: true
"""

RETURN = r"""
problems:
  description: Every problem found, each naming the variable or group and the hosts; empty when the inventory is good.
  returned: always
  type: list
  elements: str
  sample: ['kha_pod_subnet (every host): 10.96.0.0/16 overlaps kha_service_subnet 10.96.0.0/12: use disjoint networks']
cluster:
  description:
    - The derived cluster facts. Every cluster-wide input under its name without C(kha_) (defaults applied,
      normalised; the VRRP password left out), and C(kubernetes_minor), C(kubeadm_api_version), C(cri_socket),
      C(cri_dockerd_needed), C(control_plane), C(first_control_plane), C(workers), C(nodes), C(api_endpoint),
      C(lb_hosts), C(lb_backends) and C(hosts) (per host C(node_ip), C(node_ip_source), C(kubelet_cgroup_root)).
    - Values that failed their checks are null.
  returned: always
  type: dict
  sample:
    kubernetes_version: 1.32.8
    kubernetes_minor: "1.32"
    kubeadm_api_version: v1beta4
    api_endpoint: 10.20.0.10:8443
    cri_socket: unix:///run/containerd/containerd.sock
    lb_hosts: [cp1.example.internal, cp2.example.internal, cp3.example.internal]
    lb_backends: [{name: cp1.example.internal, address: 10.20.0.11, port: 6443}]
    hosts: {cp1.example.internal: {node_ip: 10.20.0.11, node_ip_source: default route, kubelet_cgroup_root: ""}}
notes:
  description: Warnings (also shown as Ansible warnings), e.g. a single control-plane node.
  returned: when there are warnings
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec={"fail_on_problems": {"type": "bool", "default": True},
                                          "require_facts": {"type": "bool", "default": True},
                                          "unreachable": {"type": "list", "elements": "str", "default": []}},
                           supports_check_mode=True)
    module.fail_json(msg="kubeadm_ha.cluster.cluster_facts runs on the controller (its action plugin) only")


if __name__ == "__main__":
    main()

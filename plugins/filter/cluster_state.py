# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.cluster_state: a thin adapter over module_utils._node_state."""

from __future__ import annotations

DOCUMENTATION = r"""
name: cluster_state
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: Which control-plane node serves a run, and which nodes are joined, fresh or half joined
description:
  - Takes what M(kubeadm_ha.cluster.node_state) read on every node (an unreachable host's registered result, with
    C(ignore_unreachable), counts as unreachable) and decides, for the whole cluster at once.
  - B(Serving node.) The first control-plane node, in inventory order, that is reachable, holds an admin kubeconfig,
    whose API server answers, that is a started etcd member and could list the nodes. While no cluster exists, the
    first control-plane node, which is to run C(kubeadm init).
  - B(States.) C(joined), C(fresh), C(partial) (something of a join is there, not all of it, for example an interrupted
    C(kubeadm join), or a node that was reset while the cluster still holds its Node object or etcd member),
    C(unreachable), C(unknown) (no serving node to compare with). C(partial) is only ever decided on what a serving
    node reported, never from a missing answer.
  - Used by the front door (C(kubeadm_ha.cluster.check)).
positional: _input, control_plane, workers
options:
  _input:
    description:
      - Inventory host -> the node_state module's registered result. A skipped or missing result means the host was
        not read in this run.
    type: dict
    required: true
  control_plane:
    description: The control-plane hosts, the first one first.
    type: list
    elements: str
    required: true
  workers:
    description: The worker hosts.
    type: list
    elements: str
    required: true
  node_names:
    description: Inventory host -> its Kubernetes node name (default the host name).
    type: dict
  node_ips:
    description: Inventory host -> its node address (to match etcd members that never started, which have no name).
    type: dict
  unreachable:
    description: Inventory host -> why it could not be reached (the hosts whose results say nothing else).
    type: dict
"""

EXAMPLES = r"""
- name: Read every node
  kubeadm_ha.cluster.node_state:
    control_plane: "{{ inventory_hostname in groups['kube_control_plane'] }}"
    api_address: "{{ ansible_default_ipv4.address }}"
  register: node_probe
  ignore_unreachable: true

- name: Decide which control-plane node serves
  ansible.builtin.set_fact:
    cluster_state: >-
      {{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'node_probe')))
         | kubeadm_ha.cluster.cluster_state(groups['kube_control_plane'], groups['kube_node'] | default([])) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: The decision.
  type: dict
  contains:
    serving_control_plane:
      description: The control-plane host that serves the run; null when none can.
      type: str
    init_host:
      description: The host of the init play (the first control-plane node while no cluster exists, or while it is a
        full member); null when the first node must join instead (gone, fresh or half joined).
      type: str
    passed_over:
      description: Control-plane hosts ahead of the serving one, with the reason each could not serve.
      type: dict
    cluster_exists:
      description: Whether any control-plane node holds an admin kubeconfig or an etcd manifest.
      type: bool
    node_states:
      description: Host -> C(state), C(reasons), C(stale_etcd_members) (ids, as etcd's JSON gateway gives them),
        C(registered) (a Node object exists), C(healthy) (a joined control-plane node whose own API server answered
        C(/healthz) and whose own etcd member listed itself as started).
      type: dict
    unreachable:
      description: The hosts that could not be reached.
      type: list
      elements: str
    problems:
      description: Why the run cannot go on (a cluster no node can serve; a first node that cannot run kubeadm init).
      type: list
      elements: str
"""

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _node_state


def _reading(result):
    """A node_state result, or None: skipped, missing, or a failure that read nothing."""
    if not isinstance(result, dict) or result.get("skipped"):
        return None
    return dict(result) if "files" in result or result.get("unreachable") else None


def cluster_state(probes, control_plane, workers, *, node_names=None, node_ips=None, unreachable=None):
    """The serving control-plane node and every node's state."""
    # A host without a reading (not in this run, skipped, the module failed) stays None: "not read", never "fresh".
    probes = {host: _reading(result) for host, result in (probes or {}).items()}
    for host, msg in (unreachable or {}).items():
        probes[host] = {"unreachable": True, "msg": str(msg or "no connection")}
    names = dict(node_names or {})
    for host in probes:
        names.setdefault(host, host)
    return _node_state.cluster_state(
        list(control_plane or []), list(workers or []), probes, names, dict(node_ips or {})
    )


class FilterModule:
    """The filter kubeadm_ha.cluster.cluster_state."""

    def filters(self):
        return {"cluster_state": cluster_state}

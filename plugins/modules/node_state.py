#!/usr/bin/python
# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: node_state
short_description: Read what kubeadm left on a node, and on a control-plane node what its API server and etcd say
version_added: 0.1.0
description:
  - Read only. Reports which of kubeadm's files are on the node (kubelet and admin kubeconfigs, the cluster CA, the
    control-plane static pod manifests), whether the kubelet runs, and with O(control_plane=true), from this node's
    own API server and etcd member, whether they answer, the etcd members and the cluster's nodes.
  - The front door of this collection (C(kubeadm_ha.cluster.check)) runs it on every node and decides from the
    results which control-plane node serves the run and which nodes are joined, fresh or half joined (an interrupted
    C(kubeadm join)).
  - Every request has a timeout (O(timeout)); a part that does not answer is reported with its error, never waited
    for longer.
  - Returns no secret (node names, addresses, labels and etcd member ids only).
requirements:
  - The Python standard library on the target; C(kubectl) on control-plane nodes for the node list.
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
extends_documentation_fragment:
  - kubeadm_ha.cluster.attributes
attributes:
  check_mode:
    support: full
    details:
      - Read only, so it runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  control_plane:
    description:
      - Also ask this node's API server (C(/healthz)), its etcd member (the member list, over the health-check client
        certificate) and, through its own API server, the cluster's nodes. Only where O(kubeconfig) exists.
    type: bool
    default: false
  api_address:
    description:
      - The address this node's API server serves on (its advertise address); required with O(control_plane=true).
    type: str
  api_port:
    description:
      - The port of this node's API server.
    type: int
    default: 6443
  kubeconfig:
    description:
      - The admin kubeconfig of a control-plane node.
    type: path
    default: /etc/kubernetes/admin.conf
  kubectl:
    description:
      - The kubectl binary, a name looked up in E(PATH) or an absolute path.
    type: str
    default: kubectl
  etcd_endpoint:
    description:
      - This node's etcd member (kubeadm's stacked etcd listens on the loopback address too).
    type: str
    default: https://127.0.0.1:2379
  timeout:
    description:
      - Seconds any one request may take.
    type: int
    default: 10
seealso:
  - module: kubeadm_ha.cluster.kubeadm_join
"""

EXAMPLES = r"""
- name: Read the state of every node
  kubeadm_ha.cluster.node_state:
    control_plane: "{{ inventory_hostname in groups['kube_control_plane'] }}"
    api_address: "{{ ansible_default_ipv4.address }}"
  register: node_state
"""

RETURN = r"""
files:
  description: Which of kubeadm's files exist, by path below C(/etc/kubernetes).
  returned: always
  type: dict
  sample: {"kubelet.conf": true, "admin.conf": true, "manifests/etcd.yaml": true}
kubelet_active:
  description: Whether the kubelet service runs (C(systemctl is-active kubelet)).
  returned: always
  type: bool
api_healthy:
  description: Whether this node's API server answered C(ok) on C(/healthz).
  returned: with O(control_plane=true) and an admin kubeconfig
  type: bool
api_error:
  description: Why the API server did not answer.
  returned: when it did not
  type: str
etcd_members:
  description: The etcd members as this node's member reports them (C(ID) as a decimal string, C(name), empty until
    a member started, C(peerURLs), C(clientURLs)); null when etcd did not answer.
  returned: with O(control_plane=true) and the etcd health-check client certificate
  type: list
  elements: dict
etcd_error:
  description: Why etcd did not answer.
  returned: when it did not
  type: str
nodes:
  description: The cluster's nodes (C(name), C(ready), C(labels) of the C(node-role.kubernetes.io/) kind,
    C(addresses), C(kubelet_version)), read through this node's own API server; null when it could not be read.
  returned: with O(control_plane=true) and an admin kubeconfig
  type: list
  elements: dict
nodes_error:
  description: Why the nodes could not be read.
  returned: when they could not
  type: str
"""

import json
import os
import ssl
import subprocess
import urllib.error

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import ConnectionError as UrlConnectionError
from ansible.module_utils.urls import SSLValidationError, open_url

ROOT = "/etc/kubernetes"
FILES = (
    "kubelet.conf",
    "bootstrap-kubelet.conf",
    "admin.conf",
    "pki/ca.crt",
    "pki/etcd/ca.crt",
    "manifests/etcd.yaml",
    "manifests/kube-apiserver.yaml",
    "manifests/kube-controller-manager.yaml",
    "manifests/kube-scheduler.yaml",
)
ETCD_PKI = ROOT + "/pki/etcd"


# What a refused, timed-out, untrusted or garbled answer raises (urllib's, ssl's and Ansible's own classes).
URL_ERRORS = (OSError, ssl.SSLError, urllib.error.URLError, UrlConnectionError, SSLValidationError, ValueError)


def _wrap(address: str) -> str:
    return "[%s]" % address if ":" in address and not address.startswith("[") else address


def api_health(address: str, port: int, timeout: int) -> tuple[bool, str]:
    url = "https://%s:%d/healthz" % (_wrap(address), port)
    try:
        with open_url(url, ca_path=ROOT + "/pki/ca.crt", timeout=timeout, use_proxy=False) as response:
            body = response.read().decode("utf-8", "replace").strip()
    except URL_ERRORS as exc:
        return False, "%s: %s" % (url, exc)
    return body == "ok", "" if body == "ok" else "%s answered %r" % (url, body[:200])


def etcd_members(endpoint: str, timeout: int) -> tuple[list | None, str]:
    url = endpoint.rstrip("/") + "/v3/cluster/member/list"
    try:
        with open_url(
            url,
            data=b"{}",
            headers={"Content-Type": "application/json"},
            method="POST",
            ca_path=ETCD_PKI + "/ca.crt",
            client_cert=ETCD_PKI + "/healthcheck-client.crt",
            client_key=ETCD_PKI + "/healthcheck-client.key",
            timeout=timeout,
            use_proxy=False,
        ) as response:
            data = json.loads(response.read().decode("utf-8", "replace"))
    except URL_ERRORS as exc:
        return None, "%s: %s" % (url, exc)
    members = [
        {
            "ID": str(m.get("ID", "")),
            "name": m.get("name", ""),
            "peerURLs": list(m.get("peerURLs") or []),
            "clientURLs": list(m.get("clientURLs") or []),
        }
        for m in data.get("members") or []
    ]
    return members, ""


def cluster_nodes(module: AnsibleModule, kubectl: str, kubeconfig: str, server: str, timeout: int):
    argv = [
        kubectl,
        "--kubeconfig=" + kubeconfig,
        "--server=" + server,
        "--request-timeout=%ds" % timeout,
        "get",
        "nodes",
        "-o",
        "json",
    ]
    try:
        rc, out, err = module.run_command(argv)
    except OSError as exc:
        return None, str(exc)
    if rc != 0:
        return None, ((err or out).strip() or "kubectl exited %d" % rc)[:500]
    try:
        items = json.loads(out).get("items") or []
    except ValueError as exc:
        return None, "kubectl gave no JSON: %s" % exc
    nodes = []
    for item in items:
        meta = item.get("metadata") or {}
        status = item.get("status") or {}
        conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
        labels = meta.get("labels") or {}
        nodes.append(
            {
                "name": meta.get("name"),
                "ready": conditions.get("Ready") == "True",
                "labels": {k: v for k, v in labels.items() if k.startswith("node-role.kubernetes.io/")},
                "addresses": [a.get("address") for a in status.get("addresses") or [] if a.get("type") == "InternalIP"],
                "kubelet_version": (status.get("nodeInfo") or {}).get("kubeletVersion"),
            }
        )
    return nodes, ""


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "control_plane": {"type": "bool", "default": False},
            "api_address": {"type": "str"},
            "api_port": {"type": "int", "default": 6443},
            "kubeconfig": {"type": "path", "default": ROOT + "/admin.conf"},
            "kubectl": {"type": "str", "default": "kubectl"},
            "etcd_endpoint": {"type": "str", "default": "https://127.0.0.1:2379"},
            "timeout": {"type": "int", "default": 10},
        },
        required_if=[("control_plane", True, ("api_address",))],
        supports_check_mode=True,
    )
    p = module.params
    result = {"changed": False, "files": {name: os.path.exists(os.path.join(ROOT, name)) for name in FILES}}
    result["files"]["admin.conf"] = os.path.exists(p["kubeconfig"])
    try:
        active = subprocess.run(
            ["systemctl", "is-active", "--quiet", "kubelet"],
            check=False,
            timeout=p["timeout"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ).returncode
    except (OSError, subprocess.TimeoutExpired):
        active = 1
    result["kubelet_active"] = active == 0
    if p["control_plane"]:
        if result["files"]["admin.conf"] and result["files"]["pki/ca.crt"]:
            result["api_healthy"], error = api_health(p["api_address"], p["api_port"], p["timeout"])
            if error:
                result["api_error"] = error
            kubectl = module.get_bin_path(p["kubectl"]) if not os.path.isabs(p["kubectl"]) else p["kubectl"]
            if kubectl:
                server = "https://%s:%d" % (_wrap(p["api_address"]), p["api_port"])
                result["nodes"], error = cluster_nodes(module, kubectl, p["kubeconfig"], server, p["timeout"])
            else:
                result["nodes"], error = None, "no %s on this node" % p["kubectl"]
            if error:
                result["nodes_error"] = error
        if os.path.exists(ETCD_PKI + "/healthcheck-client.crt"):
            result["etcd_members"], error = etcd_members(p["etcd_endpoint"], p["timeout"])
            if error:
                result["etcd_error"] = error
    module.exit_json(**result)


if __name__ == "__main__":
    main()

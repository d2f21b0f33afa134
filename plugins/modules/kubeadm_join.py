#!/usr/bin/python
# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: kubeadm_join
short_description: Join a node to a Kubernetes cluster with kubeadm join
version_added: 0.1.0
description:
  - Runs C(kubeadm join) on a node that has not joined a cluster yet (C(<kubernetes_dir>/kubelet.conf) does not exist),
    as a worker or, with O(control_plane=true), as a control-plane node.
  - The command is built from O(api_endpoint), O(token), O(ca_cert_hashes) and friends (every value validated first),
    or it takes a kubeadm configuration file (O(config)) with a C(JoinConfiguration).
  - A node that joined as a worker is not turned into a control-plane node (that needs C(kubeadm reset)); the module
    fails with a message instead.
  - The token and the certificate key are C(no_log) options; they never appear in the result or in a failure message.
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
extends_documentation_fragment:
  - kubeadm_ha.cluster.attributes
attributes:
  check_mode:
    support: full
    details:
      - Nothing is run in check mode, not even C(kubeadm version); RV(cmd) shows the command for kubeadm 1.15 or later
        when O(control_plane_flag=auto).
  diff_mode:
    support: full
    details:
      - The diff shows the node state (C(absent), C(worker) or C(control-plane)) before and after.
  idempotent:
    support: full
options:
  kubeadm:
    description:
      - The kubeadm binary, a name looked up in E(PATH) (and the usual sbin directories) or an absolute path.
    type: str
    default: kubeadm
  api_endpoint:
    description:
      - The API server endpoint to join, C(host:port) (C([v6]:port) for IPv6).
      - Required unless O(config) is given; then O(token) and O(ca_cert_hashes) are required too.
    type: str
  token:
    description:
      - The bootstrap token, C([a-z0-9]{6}.[a-z0-9]{16}).
    type: str
  ca_cert_hashes:
    description:
      - Discovery hashes of the cluster CA certificates, C(sha256:<64 hex>) (C(SHA256:) and upper case accepted).
      - Joining without CA verification is not offered.
    type: list
    elements: str
  control_plane:
    description:
      - Join as a control-plane node.
      - With O(config), the file decides; this option is then only used to check the node's state.
    type: bool
    default: false
  control_plane_flag:
    description:
      - The flag that makes a control-plane join; C(auto) asks C(kubeadm version) (C(--experimental-control-plane)
        before 1.15).
    type: str
    choices: [auto, --control-plane, --experimental-control-plane]
    default: auto
  certificate_key:
    description:
      - The key to download the control-plane certificates uploaded by C(kubeadm init --upload-certs) or
        M(kubeadm_ha.cluster.kubeadm_join_info). Without it, the certificates must already be on the node.
      - Only with O(control_plane=true).
    type: str
  apiserver_advertise_address:
    description:
      - The address this control-plane node's API server advertises (C(--apiserver-advertise-address)).
      - Only with O(control_plane=true).
    type: str
  node_name:
    description:
      - The node name (C(--node-name)); kubeadm uses the host name by default.
    type: str
  cri_socket:
    description:
      - The CRI socket (C(--cri-socket)), for example C(unix:///run/containerd/containerd.sock).
    type: str
  config:
    description:
      - A kubeadm configuration file with a C(JoinConfiguration) (C(--config)), instead of the options above; kubeadm
        refuses most flags together with it (O(node_name) and O(ignore_preflight_errors) are allowed).
    type: path
  ignore_preflight_errors:
    description:
      - Names of preflight checks whose errors become warnings (C(--ignore-preflight-errors)).
    type: list
    elements: str
    default: []
  extra_args:
    description:
      - More arguments for C(kubeadm join), appended as they are.
    type: list
    elements: str
    default: []
  kubernetes_dir:
    description:
      - kubeadm's configuration directory, used to tell whether the node has joined.
    type: path
    default: /etc/kubernetes
seealso:
  - module: kubeadm_ha.cluster.kubeadm_join_info
"""

EXAMPLES = r"""
- name: Get join material from the first control-plane node
  kubeadm_ha.cluster.kubeadm_join_info:
    control_plane: "{{ __is_control_plane }}"
  register: __kubeadm_join_info
  delegate_to: "{{ groups['kube_control_plane'][0] }}"
  vars:
    __is_control_plane: "{{ inventory_hostname in groups['kube_control_plane'] }}"

- name: Join the node
  kubeadm_ha.cluster.kubeadm_join:
    api_endpoint: "{{ __kubeadm_join_info.api_endpoint }}"
    token: "{{ __kubeadm_join_info.token }}"
    ca_cert_hashes: "{{ __kubeadm_join_info.ca_cert_hashes }}"
    control_plane: "{{ inventory_hostname in groups['kube_control_plane'] }}"
    certificate_key: "{{ __kubeadm_join_info.certificate_key if __is_control_plane else omit }}"
    apiserver_advertise_address: "{{ ansible_default_ipv4.address if __is_control_plane else omit }}"
    cri_socket: unix:///run/containerd/containerd.sock
  vars:
    __is_control_plane: "{{ inventory_hostname in groups['kube_control_plane'] }}"

- name: Join with a JoinConfiguration file
  kubeadm_ha.cluster.kubeadm_join:
    config: /etc/kubernetes/kubeadm-join.yaml
"""

RETURN = r"""
cmd:
  description: The command run (or, in check mode, that would run), with the token and key masked.
  returned: when the node had not joined
  type: list
  elements: str
  sample: [kubeadm, join, 172.30.0.10:6443, --token, "********", --discovery-token-ca-cert-hash,
           "sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3"]
joined_as:
  description: What the node is after the task, C(worker) or C(control-plane); C(none) in check mode before a join.
  returned: always
  type: str
  sample: worker
kubeadm_version:
  description: The kubeadm release, from C(kubeadm version -o short).
  returned: when kubeadm ran
  type: str
  sample: v1.20.2
stdout:
  description: kubeadm's output (secrets masked).
  returned: when kubeadm ran
  type: str
stderr:
  description: kubeadm's error output (secrets masked).
  returned: when kubeadm ran
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import (
    KubeadmOutputError,
    normalize_certificate_key,
    redact,
)
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_output import build_join_argv
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_runner import (
    Kubeadm,
    KubeadmCommandError,
    NodeFiles,
    control_plane_flag,
    scrub,
)


def _state(files):
    if not files.kubelet_conf:
        return "none"
    return "control-plane" if files.apiserver_manifest else "worker"


def build_argv(params, flag):
    """The join argv, every value validated (KubeadmOutputError otherwise)."""
    if params["config"]:
        argv = [params["kubeadm"], "join", "--config", params["config"]]
    else:
        argv = build_join_argv(
            params["api_endpoint"],
            params["token"],
            params["ca_cert_hashes"] or [],
            control_plane_flag=flag if params["control_plane"] else None,
            certificate_key=params["certificate_key"],
            kubeadm=params["kubeadm"],
        )
        if params["apiserver_advertise_address"]:
            argv += ["--apiserver-advertise-address", params["apiserver_advertise_address"]]
        if params["cri_socket"]:
            argv += ["--cri-socket", params["cri_socket"]]
    if params["node_name"]:
        argv += ["--node-name", params["node_name"]]
    if params["ignore_preflight_errors"]:
        argv.append("--ignore-preflight-errors=" + ",".join(params["ignore_preflight_errors"]))
    return argv + list(params["extra_args"])


def run_module(module):
    params = module.params
    if "all" in [name.lower() for name in params["ignore_preflight_errors"]]:
        module.warn("ignore_preflight_errors contains 'all': kubeadm will not stop for any failed preflight check")
    if params["certificate_key"] is not None:
        # normalised (upper case accepted); the normalised form is a secret too
        params["certificate_key"] = normalize_certificate_key(params["certificate_key"])
        module.no_log_values.add(params["certificate_key"])
    for option in ("certificate_key", "apiserver_advertise_address"):
        if params[option] and not params["control_plane"]:
            raise KubeadmOutputError("expected control_plane=true with %s, found control_plane=false" % option)
    flag = params["control_plane_flag"]
    # validates every value before anything runs; check mode shows this command
    planned = build_argv(params, "--control-plane" if flag == "auto" else flag)

    files = NodeFiles.read(params["kubernetes_dir"])
    state = _state(files)
    if state == "control-plane" or (state == "worker" and not params["control_plane"]):
        return {"changed": False, "joined_as": state}
    if state == "worker":
        raise KubeadmOutputError(
            "expected a node that has not joined, or a control-plane node, for control_plane=true; found a worker "
            "(%s exists, %s does not): turning a worker into a control-plane node needs 'kubeadm reset' first"
            % ("kubelet.conf", os.path.join("manifests", "kube-apiserver.yaml"))
        )

    after = "control-plane" if params["control_plane"] else "worker"
    result = {"changed": True, "joined_as": "none", "diff": {"before": {"state": "absent"}, "after": {"state": after}}}
    if module.check_mode:
        result["cmd"] = planned
        return result

    kubeadm = Kubeadm(module.run_command, params["kubeadm"], set(module.no_log_values))
    version = kubeadm.version()
    result["kubeadm_version"] = "v%d.%d.%d" % version
    argv = build_argv(params, control_plane_flag(version) if flag == "auto" else flag)
    result["cmd"] = argv
    try:
        stdout, stderr = kubeadm.run(argv[1:])
    except KubeadmCommandError as exc:
        # kubeadm may have written files before failing: the node changed
        exc.result = result
        raise
    result.update(joined_as=after, stdout=scrub(stdout, kubeadm.secrets), stderr=scrub(stderr, kubeadm.secrets))
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "kubeadm": {"type": "str", "default": "kubeadm"},
            "api_endpoint": {"type": "str"},
            "token": {"type": "str", "no_log": True},
            "ca_cert_hashes": {"type": "list", "elements": "str"},
            "control_plane": {"type": "bool", "default": False},
            "control_plane_flag": {
                "type": "str",
                "default": "auto",
                "choices": ["auto", "--control-plane", "--experimental-control-plane"],
            },
            "certificate_key": {"type": "str", "no_log": True},
            "apiserver_advertise_address": {"type": "str"},
            "node_name": {"type": "str"},
            "cri_socket": {"type": "str"},
            "config": {"type": "path"},
            "ignore_preflight_errors": {"type": "list", "elements": "str", "default": []},
            "extra_args": {"type": "list", "elements": "str", "default": []},
            "kubernetes_dir": {"type": "path", "default": "/etc/kubernetes"},
        },
        required_one_of=[("api_endpoint", "config")],
        mutually_exclusive=[
            ("config", "api_endpoint"),
            ("config", "token"),
            ("config", "ca_cert_hashes"),
            ("config", "certificate_key"),
            ("config", "apiserver_advertise_address"),
            ("config", "cri_socket"),
        ],
        required_by={"api_endpoint": ("token", "ca_cert_hashes")},
        supports_check_mode=True,
    )
    try:
        if not module.check_mode:
            module.params["kubeadm"] = module.get_bin_path(module.params["kubeadm"], required=True)
        result = run_module(module)
    except KubeadmCommandError as exc:
        result = getattr(exc, "result", {"changed": False})
        module.fail_json(msg=exc.msg, rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr, **result)
    except (KubeadmOutputError, OSError) as exc:
        module.fail_json(msg=redact(str(exc)), changed=False)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: kubeadm_init
short_description: Initialise the first Kubernetes control-plane node with kubeadm init
version_added: 0.1.0
description:
  - Runs C(kubeadm init --config <config>) on a node that kubeadm has not initialised yet, and returns the join
    material kubeadm printed (API endpoint, bootstrap tokens, CA certificate hashes, certificate key) and ready-made
    C(kubeadm join) argument lists for workers and control-plane nodes.
  - A node is initialised when C(<kubernetes_dir>/admin.conf) and C(<kubernetes_dir>/manifests/kube-apiserver.yaml)
    exist; then nothing is run and the module reports no change (the endpoint and CA hashes are still returned,
    read from the node's files; use M(kubeadm_ha.cluster.kubeadm_join_info) for fresh tokens).
  - A node with only one of those files (an interrupted init) or with C(kubelet.conf) alone (a node that joined a
    cluster) is refused with a message; C(kubeadm reset) is the way out, and is left to a human.
  - The output is parsed by the collection's kubeadm output parser (every kubeadm release from 1.13); with
    O(skip_phases) containing C(show-join-command) the endpoint and CA hashes are read from the node's files instead.
requirements:
  - Nothing beyond the Python standard library on the target. When the C(cryptography) Python package is importable
    there, it is also used to validate the CA certificate whose hash is computed.
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
extends_documentation_fragment:
  - kubeadm_ha.cluster.attributes
  - kubeadm_ha.cluster.attributes.SECRETS
attributes:
  check_mode:
    support: full
    details:
      - Nothing is run in check mode, not even C(kubeadm version); RV(cmd) shows the command for kubeadm 1.15 or later.
  diff_mode:
    support: full
    details:
      - The diff shows the node state (C(absent) or C(initialised)) before and after.
  idempotent:
    support: full
options:
  kubeadm:
    description:
      - The kubeadm binary, a name looked up in E(PATH) (and the usual sbin directories) or an absolute path.
    type: str
    default: kubeadm
  config:
    description:
      - Path on the node of the kubeadm configuration file (C(InitConfiguration) and C(ClusterConfiguration)).
    type: path
    required: true
  upload_certs:
    description:
      - Upload the control-plane certificates to the C(kubeadm-certs) Secret (C(--upload-certs), or
        C(--experimental-upload-certs) on kubeadm 1.14), so that control-plane nodes can join with the certificate key.
    type: bool
    default: false
  ignore_preflight_errors:
    description:
      - Names of preflight checks whose errors become warnings (C(--ignore-preflight-errors)). Keep this empty unless
        a check is known not to apply; C(all) is accepted but hides real problems.
    type: list
    elements: str
    default: []
  skip_phases:
    description:
      - Phases to skip (C(--skip-phases)).
    type: list
    elements: str
    default: []
  extra_args:
    description:
      - More arguments for C(kubeadm init), appended as they are. kubeadm refuses most flags together with C(--config).
    type: list
    elements: str
    default: []
  kubernetes_dir:
    description:
      - kubeadm's configuration directory, used to tell whether the node is initialised.
    type: path
    default: /etc/kubernetes
  ca_cert:
    description:
      - The cluster CA certificate, to compute the CA hashes when kubeadm does not print them (node already
        initialised, or C(show-join-command) skipped) and to cross-check them when it does.
      - Defaults to C(<kubernetes_dir>/pki/ca.crt).
    type: path
seealso:
  - module: kubeadm_ha.cluster.kubeadm_join_info
  - module: kubeadm_ha.cluster.kubeadm_join
  - plugin: kubeadm_ha.cluster.parse_kubeadm_output
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Initialise the first control-plane node
  kubeadm_ha.cluster.kubeadm_init:
    config: /etc/kubernetes/kubeadm-config.yaml
    upload_certs: true
  register: __kubeadm_init_result
  # the result is hidden by the module's action plugin; no_log keeps the invocation out of logs too
  no_log: true

- name: Join a worker with what init printed
  kubeadm_ha.cluster.kubeadm_join:
    api_endpoint: "{{ hostvars[groups['kube_control_plane'][0]].__kubeadm_init_result.api_endpoint }}"
    token: "{{ hostvars[groups['kube_control_plane'][0]].__kubeadm_init_result.token }}"
    ca_cert_hashes: "{{ hostvars[groups['kube_control_plane'][0]].__kubeadm_init_result.ca_cert_hashes }}"
  when: inventory_hostname in groups['kube_node']
"""

RETURN = r"""
cmd:
  description: The command run (or, in check mode, that would run).
  returned: when the node was not initialised
  type: list
  elements: str
  sample: [kubeadm, init, --config, /etc/kubernetes/kubeadm-config.yaml, --upload-certs]
initialised:
  description: Whether the node is initialised after the task (false only in check mode).
  returned: always
  type: bool
  sample: true
api_endpoint:
  description: The API server endpoint the join commands use, C(host:port) (IPv6 in brackets).
  returned: success, except in check mode on a node that is not initialised
  type: str
  sample: 172.30.0.10:6443
ca_cert_hashes:
  description: The discovery hashes of the cluster CA certificates (C(sha256:<hex>)).
  returned: success, except in check mode on a node that is not initialised
  type: list
  elements: str
  sample: [sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3]
token:
  description: The first bootstrap token kubeadm created. Secret.
  returned: when kubeadm ran and printed it
  type: str
  sample: abcdef.0123456789abcdef
tokens:
  description: Every bootstrap token kubeadm created. Secret.
  returned: always (empty when kubeadm did not run or withheld them)
  type: list
  elements: str
certificate_key:
  description: The key that decrypts the uploaded certificates (valid for two hours). Secret.
  returned: when kubeadm ran with O(upload_certs) and printed the key
  type: str
  sample: e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204
certificates_uploaded:
  description: Whether kubeadm uploaded the certificates (null when its output does not say).
  returned: when kubeadm ran
  type: bool
control_plane_flag:
  description: The control-plane join flag this kubeadm release uses.
  returned: when kubeadm printed a control-plane join command
  type: str
  sample: --control-plane
worker_join:
  description: C(kubeadm join) argv for a worker node. Contains the token.
  returned: when kubeadm ran and printed the token
  type: list
  elements: str
  sample: [kubeadm, join, 172.30.0.10:6443, --token, abcdef.0123456789abcdef,
           --discovery-token-ca-cert-hash, "sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3"]
control_plane_join:
  description:
    - C(kubeadm join) argv for a control-plane node, with C(--certificate-key) when the certificates were uploaded.
    - Null when the cluster has no C(controlPlaneEndpoint) (kubeadm then prints no control-plane command).
  returned: when kubeadm ran
  type: list
  elements: str
kubeadm_version:
  description: The kubeadm release, from C(kubeadm version -o short).
  returned: when kubeadm ran
  type: str
  sample: v1.20.2
stdout:
  description: kubeadm's output, with tokens and keys masked.
  returned: failure
  type: str
stderr:
  description: kubeadm's error output, with tokens and keys masked.
  returned: failure
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import (
    KubeadmOutputError,
    endpoint_from_kubeconfig,
    redact,
)
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_output import (
    JoinMaterial,
    parse_init_log,
    parse_init_output,
)
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_pki import ca_cert_hashes_from_file
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_runner import (
    Kubeadm,
    KubeadmCommandError,
    NodeFiles,
    control_plane_flag,
    scrub,
    upload_certs_flag,
)


def _argv(params, version=None):
    argv = [params["kubeadm"], "init", "--config", params["config"]]
    if params["upload_certs"]:
        argv.append(upload_certs_flag(version) if version else "--upload-certs")
    if params["ignore_preflight_errors"]:
        argv.append("--ignore-preflight-errors=" + ",".join(params["ignore_preflight_errors"]))
    if params["skip_phases"]:
        argv.append("--skip-phases=" + ",".join(params["skip_phases"]))
    return argv + list(params["extra_args"])


def _from_files(params):
    """Endpoint and CA hashes of an initialised node, from admin.conf and the CA certificate."""
    with open(os.path.join(params["kubernetes_dir"], "admin.conf")) as handle:
        endpoint = endpoint_from_kubeconfig(handle.read())
    return endpoint, ca_cert_hashes_from_file(params["ca_cert"])


def _material(params, stdout, version):
    """The join material of a successful init."""
    if "show-join-command" in params["skip_phases"]:
        log = parse_init_log(stdout)
        endpoint, hashes = _from_files(params)
        return JoinMaterial(
            kind="init",
            api_endpoint=endpoint,
            tokens=log.tokens,
            ca_cert_hashes=tuple(hashes),
            certificate_key=log.certificate_key,
            control_plane_flag=control_plane_flag(version),
            certificates_uploaded=log.certificates_uploaded,
        )
    init = parse_init_output(stdout)
    if os.path.exists(params["ca_cert"]):
        # a cut exactly between two hash flags cannot be seen in the text; the CA file can tell
        if set(init.ca_cert_hashes) != set(ca_cert_hashes_from_file(params["ca_cert"])):
            raise KubeadmOutputError(
                "expected the CA certificate hashes kubeadm printed to match %s, found different ones"
                % params["ca_cert"]
            )
    return JoinMaterial.from_init(init)


def _secrets_in(stdout):
    """Every token and key the init log names, to mask them in failure messages."""
    try:
        log = parse_init_log(stdout)
    except KubeadmOutputError:
        return set()
    return set(log.tokens) | ({log.certificate_key} if log.certificate_key else set())


def run_module(module):
    params = dict(module.params)
    params["ca_cert"] = params["ca_cert"] or os.path.join(params["kubernetes_dir"], "pki", "ca.crt")
    if "all" in [name.lower() for name in params["ignore_preflight_errors"]]:
        module.warn("ignore_preflight_errors contains 'all': kubeadm will not stop for any failed preflight check")
    files = NodeFiles.read(params["kubernetes_dir"])
    result = {"changed": False, "initialised": False, "tokens": []}

    if files.admin_conf and files.apiserver_manifest:
        endpoint, hashes = _from_files(params)
        result.update(initialised=True, api_endpoint=str(endpoint), ca_cert_hashes=hashes)
        return result
    if files.admin_conf or files.apiserver_manifest:
        module.fail_json(
            msg="the node is partially initialised (%s exists, %s does not); run 'kubeadm reset' before retrying"
            % (
                ("admin.conf", "manifests/kube-apiserver.yaml")
                if files.admin_conf
                else ("manifests/kube-apiserver.yaml", "admin.conf")
            ),
            node_files=files.as_dict(),
        )
    if files.kubelet_conf:
        module.fail_json(
            msg="the node has already joined a cluster (%s exists); it cannot be initialised"
            % os.path.join(params["kubernetes_dir"], "kubelet.conf"),
            node_files=files.as_dict(),
        )

    result.update(changed=True, diff={"before": {"state": "absent"}, "after": {"state": "initialised"}})
    if module.check_mode:
        result["cmd"] = _argv(params)
        return result

    secrets = set()
    kubeadm = Kubeadm(module.run_command, params["kubeadm"], secrets)
    version = kubeadm.version()
    argv = _argv(params, version)
    result.update(cmd=argv, kubeadm_version="v%d.%d.%d" % version)
    try:
        stdout, _stderr = kubeadm.run(argv[1:])
    except KubeadmCommandError as exc:
        # kubeadm may have written files before failing: the node changed
        module.fail_json(msg=exc.msg, rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr, **result)
    result["initialised"] = True
    # whatever happens next, the secrets in this output must not leak through a failure
    secrets.update(_secrets_in(stdout))
    module.no_log_values.update(secrets)
    try:
        material = _material(params, stdout, version)
    except (KubeadmOutputError, OSError) as exc:
        module.fail_json(
            msg="kubeadm init succeeded but its join material could not be read: %s; "
            "use kubeadm_ha.cluster.kubeadm_join_info to get it" % redact(str(exc)),
            stdout=redact(scrub(stdout, secrets)),
            **result,
        )
    # from here on the result carries the secrets on purpose: the caller needs them
    module.no_log_values.difference_update(secrets)
    result.update(
        api_endpoint=str(material.api_endpoint),
        tokens=list(material.tokens),
        token=material.tokens[0] if material.tokens else None,
        ca_cert_hashes=list(material.ca_cert_hashes),
        certificate_key=material.certificate_key,
        certificates_uploaded=material.certificates_uploaded,
        control_plane_flag=material.control_plane_flag,
        worker_join=material.worker_join(params["kubeadm"]),
        control_plane_join=material.control_plane_join(params["kubeadm"]),
    )
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "kubeadm": {"type": "str", "default": "kubeadm"},
            "config": {"type": "path", "required": True},
            "upload_certs": {"type": "bool", "default": False},
            "ignore_preflight_errors": {"type": "list", "elements": "str", "default": []},
            "skip_phases": {"type": "list", "elements": "str", "default": []},
            "extra_args": {"type": "list", "elements": "str", "default": []},
            "kubernetes_dir": {"type": "path", "default": "/etc/kubernetes"},
            "ca_cert": {"type": "path"},
        },
        supports_check_mode=True,
    )
    if not module.check_mode:
        module.params["kubeadm"] = module.get_bin_path(module.params["kubeadm"], required=True)
    try:
        result = run_module(module)
    except KubeadmCommandError as exc:
        module.fail_json(msg=exc.msg, cmd=exc.cmd, rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr, changed=False)
    except (KubeadmOutputError, OSError) as exc:
        module.fail_json(msg=redact(str(exc)), changed=False)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # never let a traceback carry kubeadm's output (and its secrets) past the scrubbing
        module.fail_json(msg="unexpected error: %s" % redact(str(exc)), exception=None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()

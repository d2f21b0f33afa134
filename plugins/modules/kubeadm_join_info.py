#!/usr/bin/python
# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN

from __future__ import annotations

DOCUMENTATION = r"""
module: kubeadm_join_info
short_description: Get valid join material from a live Kubernetes control-plane node
version_added: 0.1.0
description:
  - Run on a control-plane node of a running cluster, returns what another node needs to join it, as a worker or as
    a control-plane node; works at any time after C(kubeadm init), not only in the play that ran it.
  - B(Token.) Reuses a bootstrap token that can join nodes (usages C(authentication) and C(signing), group
    C(system:bootstrappers:kubeadm:default-node-token)) and stays valid for at least O(min_ttl), read from
    C(kubeadm token list) (C(-o json) from kubeadm 1.17, the table before); otherwise creates one with
    C(kubeadm token create).
  - B(CA hashes.) Computed in Python from O(ca_cert), exactly as kubeadm does (SHA-256 of the DER
    SubjectPublicKeyInfo of each CA certificate); no C(openssl) needed.
  - B(Endpoint.) O(api_endpoint), or the C(server) of O(kubeconfig), which is also what
    C(kubeadm token create --print-join-command) prints (the C(controlPlaneEndpoint) when the cluster has one).
  - B(Certificate key) (O(control_plane=true)). Creates a fresh key (C(kubeadm certs certificate-key), or
    C(kubeadm alpha certs certificate-key) on 1.15 to 1.19) and uploads the control-plane certificates encrypted with
    it (C(kubeadm init phase upload-certs --upload-certs --certificate-key <key>)). The uploaded certificates and so
    the key expire after two hours. On kubeadm 1.14, or with O(upload_certs_config), kubeadm chooses the key and the
    module reads it from the output.
  - Nothing is written on the controller.
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
      - In check mode only read-only commands run (C(kubeadm version), C(kubeadm token list)); no token is created and
        no certificate uploaded. When one would be, RV(token) or RV(certificate_key) and the join argv are null and
        the result is changed.
  diff_mode:
    support: none
  idempotent:
    support: partial
    details:
      - A second run reuses the token of the first (no change), unless it has less than O(min_ttl) left.
      - With O(control_plane=true) every run uploads the certificates again with a new key, and reports a change.
options:
  kubeadm:
    description:
      - The kubeadm binary, a name looked up in E(PATH) (and the usual sbin directories) or an absolute path.
    type: str
    default: kubeadm
  kubeconfig:
    description:
      - Admin kubeconfig kubeadm uses to talk to the cluster (C(--kubeconfig)); its C(server) is the default endpoint.
    type: path
    default: /etc/kubernetes/admin.conf
  ca_cert:
    description:
      - The cluster CA certificate (a PEM bundle gives one hash per certificate).
    type: path
    default: /etc/kubernetes/pki/ca.crt
  api_endpoint:
    description:
      - The endpoint joining nodes use, C(host:port) (C([v6]:port) for IPv6). Defaults to the O(kubeconfig) server.
    type: str
  control_plane:
    description:
      - Also return what a control-plane node needs, uploading the certificates with a fresh certificate key.
    type: bool
    default: false
  min_ttl:
    description:
      - Reuse an existing token only if it stays valid this much longer (a Go duration like C(1h30m), or seconds).
    type: str
    default: 1h
  token_ttl:
    description:
      - Lifetime of a created token (C(--ttl)); C(0) means it never expires, which is not recommended.
    type: str
    default: 24h
  token_description:
    description:
      - Description of a created token.
    type: str
    default: Created by kubeadm_ha.cluster.kubeadm_join_info
  upload_certs_config:
    description:
      - A kubeadm configuration file for the certificate upload (C(--config)), needed when the certificates to share
        are not the defaults, for example with an external etcd. kubeadm refuses C(--certificate-key) together with
        C(--config), so kubeadm then chooses the key (or takes C(certificateKey) from the file).
    type: path
seealso:
  - module: kubeadm_ha.cluster.kubeadm_join
  - module: kubeadm_ha.cluster.kubeadm_init
"""

EXAMPLES = r"""
- name: Get join material for control-plane nodes
  kubeadm_ha.cluster.kubeadm_join_info:
    control_plane: true
  register: __kubeadm_join_info
  delegate_to: "{{ groups['kube_control_plane'][0] }}"
  run_once: true

- name: Join the other control-plane nodes
  kubeadm_ha.cluster.kubeadm_join:
    api_endpoint: "{{ __kubeadm_join_info.api_endpoint }}"
    token: "{{ __kubeadm_join_info.token }}"
    ca_cert_hashes: "{{ __kubeadm_join_info.ca_cert_hashes }}"
    control_plane: true
    certificate_key: "{{ __kubeadm_join_info.certificate_key }}"
  when: inventory_hostname != groups['kube_control_plane'][0]

- name: Or run the ready-made command (no_log, it carries the token)
  ansible.builtin.command:
    argv: "{{ __kubeadm_join_info.worker_join }}"
    creates: /etc/kubernetes/kubelet.conf
  no_log: true
  when: inventory_hostname in groups['kube_node']
"""

RETURN = r"""
api_endpoint:
  description: The API server endpoint, C(host:port) (IPv6 in brackets).
  returned: success
  type: str
  sample: 172.30.0.10:6443
token:
  description: A bootstrap token valid for at least O(min_ttl). Secret.
  returned: success (null in check mode when one would be created)
  type: str
  sample: abcdef.0123456789abcdef
token_created:
  description: Whether a token was created (or, in check mode, would be).
  returned: success
  type: bool
token_expires:
  description: When the token expires (ISO 8601), null if never or not known yet.
  returned: success
  type: str
  sample: "2031-01-02T03:04:05+00:00"
ca_cert_hashes:
  description: The discovery hash of each CA certificate in O(ca_cert).
  returned: success
  type: list
  elements: str
  sample: [sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3]
certificate_key:
  description: The key of the certificates just uploaded (valid for two hours). Secret.
  returned: success (null unless O(control_plane=true) and not in check mode)
  type: str
  sample: e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204
certificates_uploaded:
  description: Whether certificates were uploaded (or, in check mode, would be).
  returned: success
  type: bool
control_plane_flag:
  description: The control-plane join flag this kubeadm release uses (C(--experimental-control-plane) on 1.14).
  returned: success
  type: str
  sample: --control-plane
worker_join:
  description: C(kubeadm join) argv for a worker. Contains the token.
  returned: success (null when the token is not known, in check mode)
  type: list
  elements: str
control_plane_join:
  description: C(kubeadm join) argv for a control-plane node. Contains the token and the key.
  returned: success (null unless O(control_plane=true) and both are known)
  type: list
  elements: str
kubeadm_version:
  description: The kubeadm release, from C(kubeadm version -o short).
  returned: success
  type: str
  sample: v1.20.2
"""

import datetime

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import (
    KubeadmOutputError,
    endpoint_from_kubeconfig,
    parse_duration,
    parse_endpoint,
    redact,
)
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_output import (
    build_join_argv,
    parse_certificate_key_output,
    parse_token_create_output,
    parse_token_list,
    parse_upload_certs_output,
)
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_pki import ca_cert_hashes_from_file
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_runner import (
    Kubeadm,
    KubeadmCommandError,
    certificate_key_command,
    control_plane_flag,
    supports_token_list_json,
    upload_certs_flag,
)

JOIN_USAGES = ("authentication", "signing")
JOIN_GROUP = "system:bootstrappers:kubeadm:default-node-token"


def reusable_token(tokens, now, min_ttl_seconds):
    """The token that can join nodes and stays valid longest (never-expiring first), or None."""
    best = None
    for token in tokens:
        if not all(usage in token.usages for usage in JOIN_USAGES) or JOIN_GROUP not in token.groups:
            continue
        left = token.remaining(now)
        if left is not None and left.total_seconds() < min_ttl_seconds:
            continue
        if best is None or (best.expires is not None and (token.expires is None or token.expires > best.expires)):
            best = token
    return best


def _token(module, kubeadm, version, result):
    params = module.params
    args = ["token", "list", "--kubeconfig", params["kubeconfig"]]
    if supports_token_list_json(version):
        args += ["-o", "json"]
    stdout, _stderr = kubeadm.run(args)
    listed = parse_token_list(stdout)
    kubeadm.secrets.update(token.token for token in listed)
    now = datetime.datetime.now(datetime.timezone.utc)
    found = reusable_token(listed, now, parse_duration(params["min_ttl"]))
    if found is not None:
        result.update(token=found.token, token_created=False)
        result["token_expires"] = None if found.expires is None else found.expires.isoformat()
        return
    result.update(changed=True, token_created=True, token=None, token_expires=None)
    if module.check_mode:
        return
    ttl = parse_duration(params["token_ttl"])
    stdout, _stderr = kubeadm.run(
        [
            "token",
            "create",
            "--kubeconfig",
            params["kubeconfig"],
            "--ttl",
            "%ds" % ttl,
            "--description",
            params["token_description"],
        ]
    )
    token = parse_token_create_output(stdout)
    kubeadm.secrets.add(token)
    result["token"] = token
    if ttl:
        result["token_expires"] = (now + datetime.timedelta(seconds=ttl)).isoformat()


def _certificate_key(module, kubeadm, version, result):
    params = module.params
    if version < (1, 14, 0):
        raise KubeadmOutputError(
            "expected kubeadm 1.14 or later to upload certificates for control_plane=true, found v%d.%d.%d" % version
        )
    result.update(changed=True, certificates_uploaded=True)
    if module.check_mode:
        return
    upload = ["init", "phase", "upload-certs", upload_certs_flag(version)]
    generate = certificate_key_command(version)
    key = None
    if params["upload_certs_config"]:
        upload += ["--config", params["upload_certs_config"]]
    else:
        upload += ["--kubeconfig", params["kubeconfig"]]
        if generate is not None:
            stdout, _stderr = kubeadm.run(generate)
            key = parse_certificate_key_output(stdout)
            kubeadm.secrets.add(key)
            upload += ["--certificate-key", key]
    stdout, _stderr = kubeadm.run(upload)
    uploaded = parse_upload_certs_output(stdout)
    if uploaded.certificate_key:
        kubeadm.secrets.add(uploaded.certificate_key)
    if not uploaded.certificates_uploaded:
        raise KubeadmOutputError("expected kubeadm to upload the certificates, found that it skipped the phase")
    if key is not None and uploaded.certificate_key not in (None, key):
        raise KubeadmOutputError("expected kubeadm to upload with the key it was given, found that it used another")
    key = key or uploaded.certificate_key
    if key is None:
        raise KubeadmOutputError("expected kubeadm to print the certificate key it uploaded with, found none")
    result["certificate_key"] = key


def run_module(module, kubeadm, result):
    params = module.params
    version = kubeadm.version()
    result["kubeadm_version"] = "v%d.%d.%d" % version
    if params["api_endpoint"]:
        endpoint = parse_endpoint(params["api_endpoint"])
    else:
        with open(params["kubeconfig"]) as handle:
            endpoint = endpoint_from_kubeconfig(handle.read())
    result["api_endpoint"] = str(endpoint)
    result["ca_cert_hashes"] = ca_cert_hashes_from_file(params["ca_cert"])
    result["control_plane_flag"] = control_plane_flag(version)

    _token(module, kubeadm, version, result)
    if params["control_plane"]:
        _certificate_key(module, kubeadm, version, result)

    token = result["token"]
    result["worker_join"] = None
    if token is not None:
        result["worker_join"] = build_join_argv(endpoint, token, result["ca_cert_hashes"], kubeadm=params["kubeadm"])
        if result["certificate_key"] is not None:
            result["control_plane_join"] = build_join_argv(
                endpoint,
                token,
                result["ca_cert_hashes"],
                control_plane_flag=result["control_plane_flag"],
                certificate_key=result["certificate_key"],
                kubeadm=params["kubeadm"],
            )


def main():
    module = AnsibleModule(
        argument_spec={
            "kubeadm": {"type": "str", "default": "kubeadm"},
            "kubeconfig": {"type": "path", "default": "/etc/kubernetes/admin.conf"},
            "ca_cert": {"type": "path", "default": "/etc/kubernetes/pki/ca.crt"},
            "api_endpoint": {"type": "str"},
            "control_plane": {"type": "bool", "default": False},
            "min_ttl": {"type": "str", "default": "1h"},
            "token_ttl": {"type": "str", "default": "24h", "no_log": False},
            "token_description": {
                "type": "str",
                "default": "Created by kubeadm_ha.cluster.kubeadm_join_info",
                "no_log": False,
            },
            "upload_certs_config": {"type": "path"},
        },
        supports_check_mode=True,
    )
    secrets = set()
    result = {"changed": False, "certificate_key": None, "certificates_uploaded": False, "control_plane_join": None}
    try:
        min_ttl = parse_duration(module.params["min_ttl"])
        token_ttl = parse_duration(module.params["token_ttl"])
        if token_ttl and token_ttl <= min_ttl:
            raise KubeadmOutputError(
                "expected token_ttl to be longer than min_ttl, found %ds and %ds (a new token would not be reused)"
                % (token_ttl, min_ttl)
            )
        module.params["kubeadm"] = module.get_bin_path(module.params["kubeadm"], required=True)
        run_module(module, Kubeadm(module.run_command, module.params["kubeadm"], secrets), result)
    except KubeadmCommandError as exc:
        module.no_log_values.update(secrets)
        module.fail_json(
            msg=exc.msg, cmd=exc.cmd, rc=exc.rc, stdout=exc.stdout, stderr=exc.stderr, changed=result["changed"]
        )
    except (KubeadmOutputError, OSError) as exc:
        module.no_log_values.update(secrets)
        module.fail_json(msg=redact(str(exc)), changed=result["changed"])
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # never let a traceback carry kubeadm's output (and its secrets) past the scrubbing
        module.no_log_values.update(secrets)
        module.fail_json(msg="unexpected error: %s" % redact(str(exc)), exception=None, changed=result["changed"])
    # the result carries the secrets on purpose (the caller needs them); the action plugin hides it
    module.exit_json(**result)


if __name__ == "__main__":
    main()

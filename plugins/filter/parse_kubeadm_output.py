# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.parse_kubeadm_output: a thin adapter over module_utils._kubeadm_output."""

from __future__ import annotations

DOCUMENTATION = r"""
name: parse_kubeadm_output
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: Parse the output of kubeadm into join material
description:
  - Parses what kubeadm printed, as registered on the controller, and returns the API endpoint, bootstrap tokens,
    CA certificate hashes, certificate key and ready-made C(kubeadm join) argument lists.
  - "Recognises, for every kubeadm release from 1.13: C(kubeadm init) (with or without its C([phase]) log lines),
    C(kubeadm token create --print-join-command [--certificate-key K]) or any single join command,
    C(kubeadm init phase upload-certs --upload-certs), C(kubeadm token list) (table or C(-o json)),
    C(kubeadm token create) and C(kubeadm certs certificate-key)."
  - Standard error may be mixed in (C(2>&1)); its klog, preflight warning and deprecation lines are ignored.
    CRLF line ends, trailing whitespace, and 4-space or TAB continuation lines are accepted.
  - Anything else (truncated or damaged output, an invalid token, key, hash or endpoint, unrelated text) fails the
    task with a message that says what was expected and what was found; tokens and keys are masked in it.
    A partially filled result is never returned.
  - The result holds secrets. Set C(no_log=true) on every task that registers kubeadm output, uses this filter, or
    uses its result, or prefer the modules M(kubeadm_ha.cluster.kubeadm_join_info) and
    M(kubeadm_ha.cluster.kubeadm_init), whose results are hidden automatically.
positional: _input, kubeadm
options:
  _input:
    description:
      - The output of a kubeadm command (C(stdout) of a registered result, or the whole result, whose C(stdout) is
        then used).
    type: raw
    required: true
  kubeadm:
    description:
      - The first element of the returned join argument lists.
    type: str
    default: kubeadm
seealso:
  - module: kubeadm_ha.cluster.kubeadm_join_info
  - module: kubeadm_ha.cluster.kubeadm_init
"""

EXAMPLES = r"""
# In a play over the workers: one token, made once on the first control-plane node (run_once shares the
# registered result with every host of the play), then every worker joins with it.
- name: Print a join command on the first control-plane node
  ansible.builtin.command:
    cmd: kubeadm token create --print-join-command
  delegate_to: "{{ groups['kube_control_plane'][0] }}"
  run_once: true
  register: __join_command
  changed_when: true
  no_log: true

- name: Join each worker with it
  ansible.builtin.command:
    argv: "{{ (__join_command.stdout | kubeadm_ha.cluster.parse_kubeadm_output).worker_join }}"
    creates: /etc/kubernetes/kubelet.conf
  no_log: true

# What it returns for the join command
#   kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:3459...b3
# => kind: join-command, api_endpoint: 10.0.0.10:6443, tokens: [abcdef.0123456789abcdef],
#    ca_cert_hashes: [sha256:3459...b3], certificate_key: null, worker_join: [kubeadm, join, ...],
#    control_plane_join: null, ...
"""

RETURN = r"""
_value:
  description: The join material found in the output.
  type: dict
  contains:
    kind:
      description: Which output it was.
      type: str
      choices: [init, join-command, upload-certs, token-list, certificate-key, token]
    api_endpoint:
      description: The API server endpoint of the join commands, C(host:port) (IPv6 in brackets), or null.
      type: str
      sample: 10.0.0.10:6443
    tokens:
      description: The bootstrap tokens (several when C(kubeadm init) made several). Secret.
      type: list
      elements: str
    token:
      description: The first token, or null. Secret.
      type: str
    ca_cert_hashes:
      description: The CA certificate hashes, C(sha256:<64 hex>), lower case.
      type: list
      elements: str
    certificate_key:
      description: The certificate key (64 lower-case hex), or null. Secret.
      type: str
    control_plane_flag:
      description: C(--control-plane) or C(--experimental-control-plane) (kubeadm 1.14), when a control-plane
        command was printed; else null.
      type: str
    worker_join:
      description: C(kubeadm join) argv for a worker (first token), or null when the output lacks something it
        needs or withheld the token. Secret.
      type: list
      elements: str
    control_plane_join:
      description: C(kubeadm join) argv for a control-plane node, or null when kubeadm printed none (no
        C(controlPlaneEndpoint)) or withheld a value. Secret.
      type: list
      elements: str
    token_withheld:
      description: Whether kubeadm printed C(<value withheld>) for the token (C(--skip-token-print)).
      type: bool
    certificate_key_withheld:
      description: Whether kubeadm withheld the certificate key (C(--skip-certificate-key-print)).
      type: bool
    certificates_uploaded:
      description: Whether the output shows a certificate upload (null when it does not tell).
      type: bool
    bootstrap_tokens:
      description: The rows of C(kubeadm token list) (empty for other outputs).
      type: list
      elements: dict
      contains:
        token:
          description: The token. Secret.
          type: str
        ttl:
          description: The TTL as printed (C(23h), C(<forever>), C(<invalid>)), or null.
          type: str
        expires:
          description: Expiry time, ISO 8601, or null when it never expires.
          type: str
        usages:
          description: Token usages.
          type: list
          elements: str
        groups:
          description: Extra groups.
          type: list
          elements: str
        description:
          description: The token's description (empty when none).
          type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import KubeadmOutputError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_output import parse_kubeadm_output


def parse_kubeadm_output_filter(text, kubeadm="kubeadm"):
    """Join material from the output of kubeadm init, token create/list, upload-certs or certificate-key."""
    if isinstance(text, dict) and "stdout" in text:
        # a registered command result was passed instead of its stdout
        text = text["stdout"]
    if not isinstance(kubeadm, str) or not kubeadm:
        raise AnsibleFilterError("parse_kubeadm_output: expected the kubeadm argument to be a non-empty string")
    try:
        material = parse_kubeadm_output(text)
    except KubeadmOutputError as exc:
        # the message is redacted by the parser; never chain the input into the error
        raise AnsibleFilterError("parse_kubeadm_output: %s" % exc) from None
    result = material.to_dict()
    result["worker_join"] = material.worker_join(kubeadm)
    result["control_plane_join"] = material.control_plane_join(kubeadm)
    result["token"] = material.tokens[0] if material.tokens else None
    return result


class FilterModule:
    """kubeadm output filters."""

    def filters(self):
        return {"parse_kubeadm_output": parse_kubeadm_output_filter}

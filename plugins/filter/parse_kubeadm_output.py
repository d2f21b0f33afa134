# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter kubeadm_ha.cluster.parse_kubeadm_output: a thin adapter over module_utils._kubeadm_output.

Documented in parse_kubeadm_output.yml beside this file.
"""

from __future__ import annotations

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

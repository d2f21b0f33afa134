# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# ruff: noqa: E402 - Ansible wants the imports below DOCUMENTATION, EXAMPLES and RETURN
"""Filter kubeadm_ha.cluster.differing_files: the node_files rule of "differs", applied on the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
name: differing_files
version_added: 0.1.0
author:
  - kubeadm_ha.cluster developers (@kubeadm_ha)
short_description: The file entries that differ from what a node_probe read of the node found
description:
  - Takes M(kubeadm_ha.cluster.node_files) entries and the RV(kubeadm_ha.cluster.node_probe#module:file_sums) an
    earlier M(kubeadm_ha.cluster.node_probe) returned for their paths, and returns the C(dest) of each entry whose
    file differs, by the rule both modules follow (module_utils C(_node_files)), that is by the content (its SHA-1), the
    mode, the owner or the group, or the file is missing or not a regular file.
  - For files whose content the play knows only after the probe (it depends on a version the probe read, or on
    something read from the cluster), so that a role still makes no write call on a node where nothing differs.
  - Directory entries (C(path), C(mode), C(owner), C(group), as in the C(directories) of
    M(kubeadm_ha.cluster.node_files)) are compared too, by their mode and owner.
  - An entry whose path was not probed differs, and so does one with C(remote_src) (its content is on the node).
positional: _input, sums
options:
  _input:
    description: The file entries (C(dest), C(content) or C(secret_content), C(mode), C(owner), C(group)) and
      directory entries (C(path), C(mode), C(owner), C(group)).
    type: list
    elements: dict
    required: true
  sums:
    description: The probe's RV(kubeadm_ha.cluster.node_probe#module:file_sums).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the configuration only where it differs
  kubeadm_ha.cluster.node_files:
    files: "{{ __files }}"
  when: __files | kubeadm_ha.cluster.differing_files(__probe.file_sums) | length > 0
"""

RETURN = r"""
_value:
  description: The C(dest) (or C(path)) of each entry that differs, in the order given.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._node_files import summary_differs


def differing_files(entries, sums):
    """The dest (or path) of each of ENTRIES that differs from SUMS (node_probe's file_sums)."""
    if not isinstance(entries, list) or not all(isinstance(entry, dict) and _where(entry) for entry in entries):
        raise AnsibleFilterError(f"differing_files: expects a list of entries with a dest or a path, got {entries!r}")
    if not isinstance(sums, dict):
        raise AnsibleFilterError(f"differing_files: expects node_probe's file_sums (a dict), got {type(sums).__name__}")
    return [_where(entry) for entry in entries if summary_differs(entry, sums.get(_where(entry)))]


def _where(entry):
    return entry.get("dest") or entry.get("path")


class FilterModule:
    """The filter kubeadm_ha.cluster.differing_files."""

    def filters(self):
        return {"differing_files": differing_files}

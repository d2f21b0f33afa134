# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read every host's kha_* variables and facts from Ansible's hostvars, for the front door (controller side).

Each value is templated in its own host's context; a value that cannot be templated (an undefined vault variable, a
template error) becomes ``Unresolved`` with Ansible's message, so the front door reports it naming the variable and
the host instead of failing in the middle of a later play. Values are copied into plain Python types.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleError
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._cluster_inputs import Unresolved

PREFIX = "kha_"


def plain(value: Any) -> Any:
    """A deep copy in plain dict/list/str/int/float/bool/None (2.19 hands out tagged and lazy containers)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k) if isinstance(k, str) else k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return value


def _message(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return " ".join(str(text).split())[:500]


def host_inputs(hostvars: Mapping[str, Any], host: str, *, skip=frozenset()) -> dict[str, Any]:
    """The kha_* variables of one host, templated; Unresolved where templating failed."""
    try:
        view = hostvars[host]
    except (KeyError, AnsibleError):
        return {}
    result: dict[str, Any] = {}
    for name in list(view):
        if not isinstance(name, str) or not name.startswith(PREFIX) or name in skip:
            continue
        try:
            result[name] = plain(view[name])
        except AnsibleError as exc:
            result[name] = Unresolved(_message(exc))
    return result


def host_facts(hostvars: Mapping[str, Any], host: str) -> dict[str, Any] | None:
    """The gathered facts of one host, or None when there are none."""
    try:
        view = hostvars[host]
        facts = view["ansible_facts"] if "ansible_facts" in view else None
    except (KeyError, AnsibleError):
        return None
    facts = plain(facts) if facts else None
    return facts if facts else None

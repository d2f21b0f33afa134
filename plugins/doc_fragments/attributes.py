# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The attributes every module of this collection declares; each module sets C(support) and
    # C(details) for its own behaviour.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return the changed status it predicts, without modifying the target.
  diff_mode:
    description: Returns details on what has changed (or would change in check mode) when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside of check mode with the same arguments, the second run reports no change.
      - This assumes that the system controlled or queried by the module has not changed in a relevant way in between.
"""

    # For the modules that return bootstrap tokens or certificate keys.
    SECRETS = r"""
options: {}
attributes:
  action:
    description: Has a corresponding action plugin, which runs on the controller.
    support: full
    details:
      - The action plugin marks every successful result C(no_log), so the secrets it carries are never displayed
        or logged, at any verbosity, even when the task itself does not set C(no_log).
      - Failed results stay visible (the module removes secrets from them), so errors can be diagnosed.
notes:
  - Secrets (bootstrap tokens, certificate keys) are returned in plain text in the registered result, so that later
    tasks can use them. A task that passes them to a C(no_log) option (like
    O(kubeadm_ha.cluster.kubeadm_join#module:token)) needs nothing more; any other task that uses them, or prints a
    variable holding them, must set C(no_log=true).
"""

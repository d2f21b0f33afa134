# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin base for modules whose successful results carry secrets (private).

The module returns bootstrap tokens and certificate keys in plain text, because later tasks must
use them. Ansible only keeps a result out of the display, the log file and every callback when it
is marked ``no_log``; a module cannot mark its own result (internal keys are stripped from module
output), and ``module.no_log_values`` would mask the values in the registered variable too,
making them useless. An action plugin can: it marks every successful result ``_ansible_no_log``,
so the secrets stay usable in the registered variable and never reach a log, whatever the task's
own ``no_log`` and the verbosity. Failed results stay visible (the modules scrub them) so errors
can be diagnosed, except when the module crashed and its raw output cannot be vouched for.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class SecretResultAction(ActionBase):
    """Run the module of the same name; hide every result that may contain a secret."""

    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(task_vars=task_vars, wrap_async=False))
        if self._may_hold_secrets(result):
            result["_ansible_no_log"] = True
        return result

    @staticmethod
    def _may_hold_secrets(result):
        if not result.get("failed"):
            return True
        # a crash: raw module output and tracebacks were not scrubbed by the module
        crashed = any(key in result for key in ("module_stdout", "module_stderr"))
        return crashed or not result.get("_ansible_parsed", True)

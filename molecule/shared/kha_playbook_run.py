"""What the Molecule scenarios' tests share: running the scenario's converge playbook again, and reading its output.

Imported by the tests of container_runtime and kube_packages (their conftest.py puts this directory on sys.path).
"""

from __future__ import annotations

import os
import re
import subprocess


def converge(*options: str) -> subprocess.CompletedProcess[str]:
    """ansible-playbook [OPTIONS] on the scenario's converge.yml and inventory, without colours."""
    inventory = os.path.dirname(os.environ["MOLECULE_INVENTORY_FILE"])
    playbook = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return subprocess.run(["ansible-playbook", *options, "--inventory", inventory, playbook],
                          capture_output=True, text=True, env=env, check=False)


def recap(output: str) -> list[str]:
    """The PLAY RECAP lines, one per host."""
    return [line for line in output.splitlines() if ": ok=" in line]


def task_statuses(output: str, banner: str) -> dict[str, str]:
    """host -> ok/changed/skipping/failed under the first task whose banner starts with BANNER ("TASK [role : name")."""
    start = output.index(banner)
    section = output[start:]
    section = section[: section.find("\nTASK [", 1)]
    return {host: status for status, host in re.findall(r"^(ok|changed|skipping|failed): \[([^\]]+)\]", section, re.M)}

"""The playbooks hand the roles only variables the roles declare.

site.yml (and the playbooks importing it) maps the cluster-wide kha_* inventory variables to role variables. A
role variable spelt differently from the role's meta/argument_specs.yml is silently ignored by Ansible and only
shows as a missing required argument, or worse as a default used instead, on real hosts. Checked here for every
role reference in playbooks/: include_role/import_role tasks and play-level roles.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((ROOT / "playbooks").glob("*.yml"))
PREFIX = "kubeadm_ha.cluster."


def _role_options(role: str, entry_point: str | None = None) -> dict:
    """The options of one entry point, or of every entry point when none is named."""
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = {}
    for name, entry in spec["argument_specs"].items():
        if entry_point is None or name == entry_point:
            options.update(entry.get("options") or {})
    return options


def _references(playbook: Path):
    """(role, vars, entry point, where) for every role a playbook runs."""
    for play in yaml.safe_load(playbook.read_text()) or []:
        for role in play.get("roles", []) or []:
            name = role["role"] if isinstance(role, dict) else role
            yield name, (role.get("vars") or {}), "main", f"{playbook.name}: {play['name']}"
        for task in (play.get("tasks") or []) + (play.get("pre_tasks") or []) + (play.get("post_tasks") or []):
            for action in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                if action in task:
                    entry = task[action].get("tasks_from", "main")
                    # a templated entry point (the front door's) counts as every entry point
                    entry = None if "{{" in entry else entry
                    yield task[action]["name"], task.get("vars") or {}, entry, f"{playbook.name}: {task['name']}"


REFERENCES = [ref for playbook in PLAYBOOKS for ref in _references(playbook)]


def test_the_playbooks_run_roles():
    roles = {name for name, _vars, _entry, _where in REFERENCES}
    wanted = ("preflight", "container_runtime", "kube_packages", "lb", "kubeadm_init", "cni", "join")
    assert {PREFIX + r for r in wanted} <= roles


IDS = [f"{w} -> {r}" for r, _v, _e, w in REFERENCES]


@pytest.mark.parametrize(("role", "variables", "entry", "where"), REFERENCES, ids=IDS)
def test_every_variable_handed_to_a_role_is_one_it_declares(role, variables, entry, where):
    assert role.startswith(PREFIX), f"{where}: roles are referenced by FQCN ({role})"
    short = role[len(PREFIX) :]
    options = _role_options(short, entry)
    unknown = sorted(name for name in variables if name.startswith(short + "_") and name not in options)
    assert not unknown, f"{where}: {role} declares no {unknown}"
    foreign = sorted(name for name in variables if not name.startswith(short + "_") and not name.startswith("__"))
    assert not foreign, f"{where}: variables not of {role}: {foreign}"


@pytest.mark.parametrize(("role", "variables", "entry", "where"), REFERENCES, ids=IDS)
def test_every_required_role_variable_is_handed_over(role, variables, entry, where):
    options = _role_options(role[len(PREFIX) :], entry or "main")
    missing = sorted(name for name, spec in options.items() if spec.get("required") and name not in variables)
    assert not missing, f"{where}: {role} requires {missing}"


FRONT_DOOR = "check.yml"


def _first_import(playbook: Path) -> str | None:
    first = (yaml.safe_load(playbook.read_text()) or [{}])[0]
    return first.get("ansible.builtin.import_playbook")


@pytest.mark.parametrize(
    "playbook", [p for p in PLAYBOOKS if p.name != FRONT_DOOR and not p.name.startswith("_")], ids=lambda p: p.name
)
def test_every_playbook_starts_with_the_front_door(playbook):
    """The front door (check.yml) is the first play of every playbook, directly or through site.yml (files named _*
    are parts other playbooks import after it)."""
    seen = []
    current = playbook
    while True:
        target = _first_import(current)
        assert target, f"{current.name}: the first play must import {FRONT_DOOR} (or site.yml), not run anything"
        seen.append(target)
        if target == FRONT_DOOR:
            break
        assert target not in seen[:-1] and (ROOT / "playbooks" / target).is_file(), seen
        current = ROOT / "playbooks" / target


def test_the_front_door_checks_every_host_before_the_roles_change_anything():
    plays = yaml.safe_load((ROOT / "playbooks" / FRONT_DOOR).read_text())
    assert len(plays) == 1
    play = plays[0]
    assert play["hosts"] == "k8s_cluster:kube_lb" and play["any_errors_fatal"] is True
    assert "always" in play["tags"], "later plays read kha_cluster: the front door must run whatever --tags select"
    actions = [
        next(k for k in task if k.startswith(("ansible.builtin.", "kubeadm_ha.cluster."))) for task in play["tasks"]
    ]
    assert actions.index("kubeadm_ha.cluster.cluster_facts") < actions.index("ansible.builtin.include_role")
    assert actions[-1] == "ansible.builtin.fail"


def _tasks(data):
    """Every task in a play list or a task file, blocks included."""
    for item in data or []:
        if not isinstance(item, dict):
            continue
        for key in ("tasks", "pre_tasks", "post_tasks", "handlers", "block", "rescue", "always"):
            yield from _tasks(item.get(key))
        if "hosts" not in item and "import_playbook" not in str(item):
            yield item


def _task_files():
    files = list(PLAYBOOKS)
    for role in sorted((ROOT / "roles").iterdir()):
        files += sorted((role / "tasks").glob("*.yml")) + sorted((role / "handlers").glob("*.yml"))
    return files


def test_no_task_variable_is_shadowed_by_a_fact():
    """set_fact and register create host facts, which outrank task and block vars: a task var of the same name is
    silently ignored (remove_nodes.yml once skipped its own refusal because the front door had set a fact of the
    name its task var used). Task and block vars must use names no fact uses."""
    facts: dict[str, str] = {}
    task_vars: dict[str, str] = {}
    for path in _task_files():
        for task in _tasks(yaml.safe_load(path.read_text())):
            where = f"{path.relative_to(ROOT)}: {task.get('name', '?')}"
            if "ansible.builtin.set_fact" in task and isinstance(task["ansible.builtin.set_fact"], dict):
                for name in task["ansible.builtin.set_fact"]:
                    facts.setdefault(name, where)
            if isinstance(task.get("register"), str):
                facts.setdefault(task["register"], where)
            for name in task.get("vars") or {}:
                task_vars.setdefault(name, where)
    shadowed = {name: (task_vars[name], facts[name]) for name in task_vars if name in facts}
    assert not shadowed, f"task vars shadowed by facts of the same name: {shadowed}"

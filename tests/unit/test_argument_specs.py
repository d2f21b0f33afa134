"""Every role's argument specs agree with its defaults, for EVERY entry point.

For each roles/<role>/meta/argument_specs.yml entry point: each option has a default in
defaults/main.yml unless it is required (and a required option has none), every public variable in
defaults/main.yml is declared in the `main` entry point, a spec `default` (when given) equals the
defaults/main.yml value, and each entry point has a tasks file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


def _roles() -> list[Path]:
    return sorted(p for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").is_file()) if ROLES.is_dir() else []


def _load(path: Path) -> dict:
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def _entry_points(role: Path) -> dict:
    return _load(role / "meta" / "argument_specs.yml").get("argument_specs") or {}


CASES = [(role, name) for role in _roles() for name in _entry_points(role)]


def test_every_role_has_argument_specs():
    roles = sorted(p.name for p in ROLES.iterdir() if (p / "tasks").is_dir()) if ROLES.is_dir() else []
    missing = [r for r in roles if not (ROLES / r / "meta" / "argument_specs.yml").is_file()]
    assert not missing, f"roles without meta/argument_specs.yml: {missing}"


@pytest.mark.parametrize(("role", "entry_point"), CASES, ids=[f"{r.name}:{e}" for r, e in CASES])
def test_entry_point_agrees_with_defaults(role: Path, entry_point: str):
    defaults = _load(role / "defaults" / "main.yml")
    spec = _entry_points(role)[entry_point]
    options = spec.get("options") or {}
    assert spec.get("short_description"), f"{role.name}:{entry_point} has no short_description"
    assert (role / "tasks" / f"{entry_point}.yml").is_file(), f"no tasks/{entry_point}.yml for the entry point"
    problems = []
    for name, option in options.items():
        if not option.get("description"):
            problems.append(f"{name}: no description")
        if option.get("required"):
            if name in defaults:
                problems.append(f"{name}: required, but defaults/main.yml sets it")
            continue
        if name not in defaults:
            problems.append(f"{name}: not required, but no default in defaults/main.yml")
        elif "default" in option and option["default"] != defaults[name]:
            problems.append(f"{name}: spec default {option['default']!r} != defaults/main.yml {defaults[name]!r}")
    if entry_point == "main":
        for name in defaults:
            if name not in options:
                problems.append(f"{name}: in defaults/main.yml but not in the main argument spec")
    assert not problems, f"{role.name}:{entry_point}: " + "; ".join(problems)


@pytest.mark.parametrize("role", _roles(), ids=[r.name for r in _roles()])
def test_public_variables_carry_the_role_prefix(role: Path):
    defaults = _load(role / "defaults" / "main.yml")
    wrong = [name for name in defaults if not name.startswith(role.name + "_")]
    assert not wrong, f"{role.name}: variables without the {role.name}_ prefix: {wrong}"

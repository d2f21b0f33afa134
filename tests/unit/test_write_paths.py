"""Roles that decide whether to write from the paths their probe reported name those paths a second time (so that
deciding, or probing, does not render the files): these tests keep each list in step with the files it stands for.
Removing a path from either side fails them.

- lb: the write decisions (__lb_write_*) against the file lists (__lb_haproxy_files, __lb_keepalived_files).
- cni: the paths the probe sums (__cni_bridge_file_paths) against the entries the bridge write step gets.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"
LB_VARS = yaml.safe_load((ROLES / "lb" / "vars" / "main.yml").read_text())
CNI_VARS = yaml.safe_load((ROLES / "cni" / "vars" / "main.yml").read_text())
CNI_BRIDGE = yaml.safe_load((ROLES / "cni" / "tasks" / "bridge.yml").read_text())


def _dest_variables(files: list[dict]) -> set[str]:
    names = {re.fullmatch(r"\{\{ (\w+) \}\}", entry["dest"]).group(1) for entry in files}
    assert len(names) == len(files)
    return names


def _decided_on(expression: str) -> set[str]:
    return set(re.findall(r"intersect\(\[([^\]]*)\]\)", expression)[0].replace(" ", "").split(","))


def test_each_lb_write_decides_on_exactly_the_paths_it_writes():
    assert _decided_on(LB_VARS["__lb_write_haproxy"]) == _dest_variables(LB_VARS["__lb_haproxy_files"])
    assert _decided_on(LB_VARS["__lb_write_keepalived"]) == _dest_variables(LB_VARS["__lb_keepalived_files"])


def test_the_cni_probe_sums_exactly_the_files_the_bridge_write_gets():
    name = "Write the bridge network configuration"
    write = next(task for task in CNI_BRIDGE if task.get("name", "").startswith(name))
    entries = set(re.findall(r"__cni_\w+_entry", write["vars"]["__cni_bridge_files"]))
    assert entries == {"__cni_conflist_entry", "__cni_script_entry", "__cni_unit_entry", "__cni_routes_entry"}
    dests = [write["vars"][entry]["dest"] for entry in sorted(entries)]
    assert sorted(dests) == sorted(CNI_VARS["__cni_bridge_file_paths"])

"""The lb role decides whether to write haproxy's and keepalived's files from the paths its probe found differing.

vars/main.yml names those paths a second time (so that deciding does not render the templates again): this test
keeps the two in step. Removing a path from either list fails it.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "roles" / "lb" / "vars" / "main.yml").read_text())


def _dest_variables(files: list[dict]) -> set[str]:
    names = {re.fullmatch(r"\{\{ (\w+) \}\}", entry["dest"]).group(1) for entry in files}
    assert len(names) == len(files)
    return names


def _decided_on(expression: str) -> set[str]:
    return set(re.findall(r"intersect\(\[([^\]]*)\]\)", expression)[0].replace(" ", "").split(","))


def test_each_write_decides_on_exactly_the_paths_it_writes():
    assert _decided_on(VARS["__lb_write_haproxy"]) == _dest_variables(VARS["__lb_haproxy_files"])
    assert _decided_on(VARS["__lb_write_keepalived"]) == _dest_variables(VARS["__lb_keepalived_files"])

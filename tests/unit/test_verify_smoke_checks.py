"""The verify role's traffic checks, templated by Ansible itself (ansible-playbook on this machine, no node).

smoke.yml asks every traffic question of the smoke workload in one call (one `kubectl exec` per asking pod) and
reads the answers back from its output: which pod asks what (`__verify_traffic_checks`), which checks failed
(`__verify_traffic_failed`) and the messages an operator reads (`__verify_pair_failures`,
`__verify_nodeport_failures`). Those expressions are the block variables of smoke.yml: this test loads them from the
file and evaluates them with ansible-playbook, from the outputs kubectl and the call would print, on three local
hosts named like the nodes. The lab runs the call itself (the ha scenario and every site.yml run).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "roles" / "verify" / "tasks" / "smoke.yml"
HOSTS = ("n1", "n2", "n3")
ADDRESSES = {"n1": "10.0.0.1", "n2": "10.0.0.2", "n3": "fd00::3"}


def _nodes() -> str:
    return json.dumps(
        {
            "items": [
                {
                    "metadata": {"name": host, "labels": {}},
                    "status": {
                        "addresses": [{"type": "Hostname", "address": host}, {"type": "InternalIP", "address": address}]
                    },
                }
                for host, address in ADDRESSES.items()
            ]
        }
    )


def _smoke_read() -> str:
    pods = [
        ("kha-smoke-a", "n2", "10.244.1.2"),
        ("kha-smoke-b", "n3", "10.244.2.2"),
        ("kha-smoke-c", "n3", "10.244.2.3"),
    ]
    return json.dumps(
        {
            "items": [
                *(
                    {
                        "kind": "Pod",
                        "metadata": {"name": name, "labels": {"app": "kha-smoke"}},
                        "spec": {"nodeName": node},
                        "status": {"phase": "Running", "podIP": ip},
                    }
                    for name, node, ip in pods
                ),
                {
                    "kind": "Service",
                    "metadata": {"name": "kha-smoke"},
                    "spec": {"clusterIP": "10.96.0.10", "ports": [{"port": 80}]},
                },
                {
                    "kind": "Service",
                    "metadata": {"name": "kha-smoke-nodeport"},
                    "spec": {"clusterIP": "10.96.0.11", "ports": [{"port": 80, "nodePort": 30080}]},
                },
            ]
        }
    )


def _block_vars() -> dict:
    block = next(task for task in yaml.safe_load(SMOKE.read_text()) if "block" in task)
    return block["vars"]


def evaluate(tmp_path: Path, output_lines: list[str], **extra) -> dict:
    """The derived values, as ansible-playbook templates them from the block variables of smoke.yml."""
    names = (
        "__verify_pairs",
        "__verify_traffic_checks",
        "__verify_traffic_names",
        "__verify_traffic_failed",
        "__verify_pair_failures",
        "__verify_nodeport_failures",
    )
    play = [
        {
            "hosts": "all",
            "gather_facts": False,
            "vars": {
                **_block_vars(),
                "__verify_name": "kha-smoke",
                "__verify_smoke_ns": "kha-smoke-12345",
                "__verify_nodes": {"stdout": _nodes()},
                "__verify_smoke_read": {"stdout": _smoke_read()},
                "__verify_traffic": {"stdout_lines": output_lines},
                "verify_node_addresses": {},
                "verify_smoke_replicas": 0,
                **extra,
            },
            "tasks": [
                {"name": "Show", "ansible.builtin.debug": {"msg": {n: "{{ %s }}" % n for n in names}}, "run_once": True}
            ],
        }
    ]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    (tmp_path / "hosts").write_text("".join(f"{h} ansible_connection=local\n" for h in HOSTS))
    env = {**os.environ, "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    done = subprocess.run(
        ["ansible-playbook", "-i", str(tmp_path / "hosts"), str(tmp_path / "play.yml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(done.stdout)["plays"][0]["tasks"][0]["hosts"]["n1"]
    return result["msg"]


ALL_ASKED = {
    # each pod asks the next one on another node; the first asker also the ClusterIP and every node's NodePort
    "kha-smoke-a": [
        "pair:0 http://10.244.2.2/",
        "service http://10.96.0.10/",
        "nodeport:n1 http://10.0.0.1:30080/",
        "nodeport:n2 http://10.0.0.2:30080/",
        "nodeport:n3 http://[fd00::3]:30080/",
    ],
    "kha-smoke-b": ["pair:1 http://10.244.1.2/"],
    "kha-smoke-c": ["pair:2 http://10.244.1.2/"],
}
ALL_NAMES = ["pair:0", "service", "nodeport:n1", "nodeport:n2", "nodeport:n3", "pair:1", "pair:2"]


def test_every_check_asked_once_by_the_right_pod(tmp_path):
    derived = evaluate(tmp_path, [f"{name} ok" for name in ALL_NAMES])
    assert derived["__verify_traffic_checks"] == ALL_ASKED
    assert sorted(derived["__verify_traffic_names"]) == sorted(ALL_NAMES)
    assert derived["__verify_traffic_failed"] == []
    assert derived["__verify_pair_failures"] == [] and derived["__verify_nodeport_failures"] == []


def test_a_node_address_given_in_verify_node_addresses_is_the_one_asked(tmp_path):
    derived = evaluate(tmp_path, [], verify_node_addresses={"n2": "192.0.2.2"})
    assert "nodeport:n2 http://192.0.2.2:30080/" in derived["__verify_traffic_checks"]["kha-smoke-a"]


def test_failed_and_missing_answers_name_the_pods_the_nodes_and_the_error(tmp_path):
    lines = [
        "pair:0 ok",
        "pair:1 failed curl: (28) Connection timed out after 5000 milliseconds",
        "service ok",
        "nodeport:n1 ok",
        "nodeport:n2 failed curl: (7) Failed to connect to 10.0.0.2 port 30080",
        # pair:2 and nodeport:n3: no line at all (the exec ended early)
        "some stray output line",
    ]
    derived = evaluate(tmp_path, lines)
    assert sorted(derived["__verify_traffic_failed"]) == ["nodeport:n2", "nodeport:n3", "pair:1", "pair:2"]
    assert derived["__verify_pair_failures"] == [
        "pod to pod: kha-smoke-b on n3 could not reach kha-smoke-a at 10.244.1.2 on n2 "
        "(curl: (28) Connection timed out after 5000 milliseconds)",
        "pod to pod: kha-smoke-c on n3 could not reach kha-smoke-a at 10.244.1.2 on n2 (no answer (kubectl exec))",
    ]
    assert derived["__verify_nodeport_failures"] == [
        "NodePort: no answer through node n2 (curl: (7) Failed to connect to 10.0.0.2 port 30080)",
        "NodePort: no answer through node n3 (no answer (kubectl exec))",
    ]


@pytest.mark.parametrize("line", ["pair:0 okay", "pair:0", "pair:0 failed"])
def test_only_an_exact_ok_counts_as_answered(tmp_path, line):
    derived = evaluate(tmp_path, [line])
    assert "pair:0" in derived["__verify_traffic_failed"]

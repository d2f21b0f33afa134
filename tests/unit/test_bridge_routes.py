"""The bridge network's routes script (roles/cni/templates/kha-bridge-routes.j2), run for real in a network
namespace of its own (unshare -n: a fresh netns with its own routes and iptables; nothing of the host is touched).

What it must do: add a route per other node's podCIDR (protocol 77) and the masquerade/forward rules of the pod
network; change nothing on a second run; repair a removed route; remove a route whose node left and rules of a pod
network that is no longer configured; report without changing in check mode; remove everything on flush.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "roles" / "cni" / "templates"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip") or not shutil.which("iptables"),
    reason="needs root, unshare, iproute2 and iptables (a network namespace of its own)",
)


def render(tmp_path: Path, routes: list[tuple[str, str, str]], subnets=("10.244.0.0/16",)) -> tuple[Path, Path]:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["quote"] = lambda s: "'" + str(s).replace("'", "'\"'\"'") + "'"
    conf = tmp_path / "routes.conf"
    script = tmp_path / "kha-bridge-routes"
    values = {
        "__cni_bridge_routes_conf": str(conf),
        "__cni_bridge_route_proto": 77,
        "__cni_pod_subnets": list(subnets),
        "__cni_bridge_routes": [list(r) for r in routes],
    }
    script.write_text(env.get_template("kha-bridge-routes.j2").render(**values))
    script.chmod(0o755)
    conf.write_text(env.get_template("kha-bridge-routes.conf.j2").render(**values))
    return script, conf


def netns(tmp_path: Path, commands: str) -> subprocess.CompletedProcess:
    """Run a shell script in a new network namespace whose 'kha0' (a veth) has 10.0.0.1/24, the node network."""
    setup = (
        "set -e; ip link set lo up; ip link add kha0 type veth peer name kha1; "
        "ip addr add 10.0.0.1/24 dev kha0; ip link set kha1 up; ip link set kha0 up\n"
    )
    return subprocess.run(
        ["unshare", "-n", "bash", "-c", setup + commands],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )


def test_apply_is_idempotent_repairs_drift_and_prunes(tmp_path):
    script, _conf = render(tmp_path, [("w1", "10.244.1.0/24", "10.0.0.21"), ("w2", "10.244.2.0/24", "10.0.0.22")])
    result = netns(
        tmp_path,
        f"""
echo '== first'; {script} apply
echo '== second'; {script} apply
echo '== drift'; ip route del 10.244.1.0/24; {script} apply
echo '== stale'; ip route add 10.244.9.0/24 via 10.0.0.99 proto 77; ip route add 10.250.0.0/24 via 10.0.0.98
{script} apply
echo '== routes'; ip route show proto 77
echo '== other'; ip route show 10.250.0.0/24
echo '== nat'; iptables-save -t nat | grep kha-bridge
echo '== filter'; iptables-save -t filter | grep kha-bridge
""",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    sections = dict(part.split("\n", 1) for part in out.split("== ")[1:])
    assert "changed: route 10.244.1.0/24 via 10.0.0.21" in sections["first"]
    assert "changed: route 10.244.2.0/24 via 10.0.0.22" in sections["first"]
    assert "MASQUERADE" in sections["first"]
    assert sections["second"].strip() == "", "a second run changes nothing"
    assert sections["drift"].strip() == "changed: route 10.244.1.0/24 via 10.0.0.21"
    assert sections["stale"].strip() == "changed: route 10.244.9.0/24 via 10.0.0.99 removed"
    assert sorted(sections["routes"].split("\n")[:2]) == [
        "10.244.1.0/24 via 10.0.0.21 dev kha0 ",
        "10.244.2.0/24 via 10.0.0.22 dev kha0 ",
    ]
    assert "10.250.0.0/24 via 10.0.0.98" in sections["other"], "routes of others (not proto 77) stay"
    assert "-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment kha-bridge -j MASQUERADE" in out
    assert "-A FORWARD -s 10.244.0.0/16 -m comment --comment kha-bridge -j ACCEPT" in out
    assert "-A FORWARD -d 10.244.0.0/16 -m comment --comment kha-bridge -j ACCEPT" in out


def test_check_reports_without_changing_and_flush_removes_everything(tmp_path):
    script, _conf = render(tmp_path, [("cp2", "10.244.1.0/24", "10.0.0.12")])
    result = netns(
        tmp_path,
        f"""
echo '== check'; {script} check
echo '== after-check'; ip route show proto 77; iptables-save | grep -c kha-bridge || true
echo '== apply'; {script} apply >/dev/null
echo '== flush'; {script} flush
echo '== after-flush'; ip route show proto 77; iptables-save | grep -c kha-bridge || true
""",
    )
    assert result.returncode == 0, result.stderr
    sections = dict(part.split("\n", 1) for part in result.stdout.split("== ")[1:])
    assert "would change: route 10.244.1.0/24 via 10.0.0.12" in sections["check"]
    assert sections["after-check"].strip() == "0", "check mode changed something"
    assert "changed: route 10.244.1.0/24 via 10.0.0.12 removed" in sections["flush"]
    assert sections["after-flush"].strip() == "0"


def test_a_changed_pod_network_replaces_the_rules(tmp_path):
    script, _conf = render(tmp_path, [], subnets=("10.244.0.0/16",))
    (tmp_path / "changed").mkdir()
    script2, _conf2 = render(tmp_path / "changed", [], subnets=("10.42.0.0/16",))
    result = netns(tmp_path, f"{script} apply >/dev/null; {script2} apply; iptables-save | grep kha-bridge")
    assert result.returncode == 0, result.stderr
    assert "-s 10.244.0.0/16" not in result.stdout.split("\n-A")[-1]
    assert "iptables -t nat -D POSTROUTING -s 10.244.0.0/16" in result.stdout
    assert "-A POSTROUTING -s 10.42.0.0/16 ! -d 10.42.0.0/16" in result.stdout

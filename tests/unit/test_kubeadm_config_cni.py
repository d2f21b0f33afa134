"""Rendering tests of the cni role: Calico/Flannel manifests patched for the cluster, the lab bridge conflist.

The pod CIDR must end up as kubeadm's podSubnet and the images must come from the configured repository
(mirrors, air-gapped copies). The excerpts below are the relevant parts of the upstream manifests
(calico v3.27 manifests/calico.yaml, flannel v0.25 kube-flannel.yml), verbatim.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2
import pytest
import yaml

ROLE = Path(__file__).resolve().parents[2] / "roles" / "cni"

CALICO = """\
      containers:
        # Runs calico-node container on each Kubernetes node. This
        # container programs network policy and routes on each
        # host.
        - name: calico-node
          image: docker.io/calico/node:v3.27.3
          imagePullPolicy: IfNotPresent
          env:
            # The default IPv4 pool to create on startup if none exists. Pod IPs will be
            # chosen from this range. Changing this value after installation will have
            # no effect. This should fall within `--cluster-cidr`.
            # - name: CALICO_IPV4POOL_CIDR
            #   value: "192.168.0.0/16"
            # Disable file logging so `kubectl logs` works.
            - name: CALICO_DISABLE_FILE_LOGGING
              value: "true"
      initContainers:
        - name: install-cni
          image: docker.io/calico/cni:v3.27.3
"""

FLANNEL = """\
kind: ConfigMap
apiVersion: v1
metadata:
  name: kube-flannel-cfg
  namespace: kube-flannel
data:
  net-conf.json: |
    {
      "Network": "10.244.0.0/16",
      "EnableNFTables": false,
      "Backend": {
        "Type": "vxlan"
      }
    }
---
      initContainers:
      - name: install-cni-plugin
        image: docker.io/flannel/flannel-cni-plugin:v1.4.0-flannel1
      - name: install-cni
        image: docker.io/flannel/flannel:v0.25.1
"""


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(ROLE / "templates")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["regex_replace"] = lambda value, pattern, repl="": re.sub(pattern, repl, str(value))
    env.filters["to_nice_json"] = lambda value, indent=4: json.dumps(value, indent=indent, sort_keys=True)
    return env


def _vars(**overrides) -> dict:
    variables = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    variables.update(overrides)
    return variables


def render_manifest(plugin: str, upstream: str, **overrides) -> str:
    return (
        _env()
        .get_template("manifest.yaml.j2")
        .render(**_vars(cni_plugin=plugin, __cni_upstream_manifest=upstream, **overrides))
    )


def test_calico_pod_cidr_uncommented_and_set():
    out = render_manifest("calico", CALICO, cni_pod_subnet="10.42.0.0/16")
    assert '            - name: CALICO_IPV4POOL_CIDR\n              value: "10.42.0.0/16"\n' in out
    assert "192.168.0.0/16" not in out
    yaml.safe_load(out)  # still YAML
    env = yaml.safe_load(out)["containers"][0]["env"]
    assert {"name": "CALICO_IPV4POOL_CIDR", "value": "10.42.0.0/16"} in env


def test_calico_already_uncommented_is_rewritten():
    upstream = CALICO.replace("# - name: CALICO_IPV4POOL_CIDR", "- name: CALICO_IPV4POOL_CIDR").replace(
        '#   value: "192.168.0.0/16"', '  value: "192.168.0.0/16"'
    )
    env = yaml.safe_load(render_manifest("calico", upstream, cni_pod_subnet="10.42.0.0/16"))["containers"][0]["env"]
    assert {"name": "CALICO_IPV4POOL_CIDR", "value": "10.42.0.0/16"} in env


@pytest.mark.parametrize(
    "repo", ["docker.io/calico", "mirror.example.internal:5000/calico", "harbor.local/proxy/calico"]
)
def test_calico_images_from_repository(repo):
    doc = yaml.safe_load(render_manifest("calico", CALICO, cni_calico_image_repository=repo))
    assert doc["containers"][0]["image"] == f"{repo}/node:v3.27.3"
    assert doc["initContainers"][0]["image"] == f"{repo}/cni:v3.27.3"


def test_flannel_network_and_images():
    out = render_manifest(
        "flannel",
        FLANNEL,
        cni_pod_subnet="10.200.0.0/16",
        cni_flannel_image_repository="mirror.example.internal/flannel",
    )
    docs = list(yaml.safe_load_all(out))
    net_conf = json.loads(docs[0]["data"]["net-conf.json"])
    assert net_conf["Network"] == "10.200.0.0/16"
    assert net_conf["Backend"] == {"Type": "vxlan"}
    images = [c["image"] for c in docs[1]["initContainers"]]
    assert images == [
        "mirror.example.internal/flannel/flannel-cni-plugin:v1.4.0-flannel1",
        "mirror.example.internal/flannel/flannel:v0.25.1",
    ]


def test_default_inputs_leave_flannel_unchanged():
    assert render_manifest("flannel", FLANNEL).strip() == FLANNEL.strip()


def test_bridge_conflist():
    out = _env().get_template("bridge.conflist.j2").render(**_vars(__cni_node_pod_cidr="10.244.3.0/24"))
    conf = json.loads(out)
    assert conf["cniVersion"] == "0.4.0"
    bridge, portmap = conf["plugins"]
    assert bridge["type"] == "bridge" and bridge["bridge"] == "cni0" and bridge["isGateway"] is True
    # pods keep their addresses between nodes: the node masquerades only what leaves the pod network
    assert bridge["ipMasq"] is False
    assert bridge["ipam"] == {
        "type": "host-local",
        "ranges": [[{"subnet": "10.244.3.0/24"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
    }
    assert portmap == {"type": "portmap", "capabilities": {"portMappings": True}}

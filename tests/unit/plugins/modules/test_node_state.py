"""kubeadm_ha.cluster.node_state against real TLS servers on loopback: a stand-in API server (/healthz) and a
stand-in etcd JSON gateway (member/list, client certificates required), both with certificates from a throwaway CA
made here, and a fake kubectl (test double: a script printing a node list). The module's root (/etc/kubernetes) is a
temporary directory."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading
from pathlib import Path

import pytest
from ansible_collections.kubeadm_ha.cluster.plugins.modules import node_state
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MEMBERS = {
    "members": [
        {"ID": "1111", "name": "cp1", "peerURLs": ["https://10.0.0.11:2380"], "clientURLs": ["https://10.0.0.11:2379"]},
        {"ID": "2222", "name": "", "peerURLs": ["https://10.0.0.12:2380"]},
    ]
}


def _cert(subject: str, issuer_key, issuer_name, key, *, ca: bool, server: bool = False) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer_name or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    elif not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key=None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )


class _Handler(http.server.BaseHTTPRequestHandler):
    healthz = b"ok"

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = self.healthz if self.path == "/healthz" else b"not found"
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(json.dumps(MEMBERS).encode())


def _serve(cert: Path, key: Path, ca: Path | None) -> http.server.HTTPServer:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(ca)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def node(tmp_path, monkeypatch):
    """/etc/kubernetes of a control-plane node: the cluster CA, etcd's CA and health-check client certificate, an
    admin.conf, and the API server and etcd stand-ins serving on loopback."""
    root = tmp_path / "etc-kubernetes"
    ca_key, etcd_ca_key, api_key, etcd_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _key in range(5))
    ca = _cert("kubernetes", ca_key, None, ca_key, ca=True)
    etcd_ca = _cert("etcd-ca", etcd_ca_key, None, etcd_ca_key, ca=True)
    _write(root / "pki/ca.crt", ca)
    _write(root / "pki/etcd/ca.crt", etcd_ca)
    _write(
        root / "pki/etcd/healthcheck-client.crt",
        _cert("healthcheck", etcd_ca_key, etcd_ca.subject, client_key, ca=False),
        client_key,
    )
    _write(tmp_path / "api/server.crt", _cert("apiserver", ca_key, ca.subject, api_key, ca=False, server=True), api_key)
    _write(
        tmp_path / "etcd/server.crt",
        _cert("etcd", etcd_ca_key, etcd_ca.subject, etcd_key, ca=False, server=True),
        etcd_key,
    )
    (root / "admin.conf").write_text("apiVersion: v1\nkind: Config\n")
    (root / "kubelet.conf").write_text("apiVersion: v1\nkind: Config\n")
    (root / "manifests").mkdir()
    (root / "manifests/etcd.yaml").write_text("kind: Pod\n")
    api = _serve(tmp_path / "api/server.crt", tmp_path / "api/server.key", None)
    etcd = _serve(tmp_path / "etcd/server.crt", tmp_path / "etcd/server.key", root / "pki/etcd/ca.crt")
    kubectl = tmp_path / "kubectl"
    nodes = {
        "items": [
            {
                "metadata": {
                    "name": "cp1",
                    "labels": {"node-role.kubernetes.io/master": "", "kubernetes.io/os": "linux"},
                },
                "status": {
                    "conditions": [{"type": "Ready", "status": "True"}],
                    "addresses": [
                        {"type": "InternalIP", "address": "10.0.0.11"},
                        {"type": "Hostname", "address": "cp1"},
                    ],
                    "nodeInfo": {"kubeletVersion": "v1.20.2"},
                },
            }
        ]
    }
    # Test double: records its arguments, prints a node list.
    kubectl.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/kubectl.args\ncat <<'EOF'\n{json.dumps(nodes)}\nEOF\n")
    kubectl.chmod(0o755)
    monkeypatch.setattr(node_state, "ROOT", str(root))
    monkeypatch.setattr(node_state, "ETCD_PKI", str(root / "pki/etcd"))
    yield {
        "root": root,
        "api_port": api.server_address[1],
        "etcd": f"https://127.0.0.1:{etcd.server_address[1]}",
        "kubectl": str(kubectl),
        "tmp": tmp_path,
    }
    api.shutdown()
    etcd.shutdown()


def args(node, **extra):
    return {
        "control_plane": True,
        "api_address": "127.0.0.1",
        "api_port": node["api_port"],
        "etcd_endpoint": node["etcd"],
        "kubeconfig": str(node["root"] / "admin.conf"),
        "kubectl": node["kubectl"],
        "timeout": 5,
        **extra,
    }


def test_a_healthy_control_plane_node_reports_its_files_api_etcd_and_nodes(node, run_module):
    run = run_module(node_state, args(node))
    assert run.rc == 0, run.result
    result = run.result
    assert result["changed"] is False
    assert result["files"]["admin.conf"] and result["files"]["kubelet.conf"] and result["files"]["manifests/etcd.yaml"]
    assert not result["files"]["bootstrap-kubelet.conf"] and not result["files"]["manifests/kube-apiserver.yaml"]
    assert result["api_healthy"] is True and "api_error" not in result
    assert result["etcd_members"] == [
        {"ID": "1111", "name": "cp1", "peerURLs": ["https://10.0.0.11:2380"], "clientURLs": ["https://10.0.0.11:2379"]},
        {"ID": "2222", "name": "", "peerURLs": ["https://10.0.0.12:2380"], "clientURLs": []},
    ]
    assert result["nodes"] == [
        {
            "name": "cp1",
            "ready": True,
            "labels": {"node-role.kubernetes.io/master": ""},
            "addresses": ["10.0.0.11"],
            "kubelet_version": "v1.20.2",
        }
    ]
    # kubectl asks this node's own API server, not the load-balanced endpoint of admin.conf
    assert f"--server=https://127.0.0.1:{node['api_port']}" in (node["tmp"] / "kubectl.args").read_text()


def test_an_api_server_that_does_not_say_ok_is_not_healthy(node, run_module, monkeypatch):
    monkeypatch.setattr(_Handler, "healthz", b"[-]etcd failed")
    result = run_module(node_state, args(node)).result
    assert result["api_healthy"] is False and "answered '[-]etcd failed'" in result["api_error"]


def test_nothing_listening_is_an_error_with_the_address_not_a_hang(node, run_module):
    result = run_module(node_state, args(node, api_port=1)).result
    assert result["api_healthy"] is False and result["api_error"].startswith("https://127.0.0.1:1/healthz: ")


def test_a_kubectl_that_fails_is_reported(node, run_module):
    result = run_module(node_state, args(node, kubectl="/bin/false")).result
    assert result["nodes"] is None and result["nodes_error"] == "kubectl exited 1"


def test_a_worker_reads_only_its_files(node, run_module):
    result = run_module(node_state, {"control_plane": False, "timeout": 5}).result
    assert set(result) >= {"files", "kubelet_active"}
    assert "api_healthy" not in result and "nodes" not in result


def test_control_plane_needs_the_api_address(run_module):
    run = run_module(node_state, {"control_plane": True})
    assert run.rc == 1 and "api_address" in run.result["msg"]

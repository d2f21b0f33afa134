"""Formats: tokens, keys, hashes, endpoints, durations, versions, times, redaction."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import (
    Endpoint,
    KubeadmOutputError,
    endpoint_from_kubeconfig,
    excerpt,
    normalize_ca_cert_hash,
    normalize_certificate_key,
    normalize_token,
    parse_duration,
    parse_endpoint,
    parse_kubeadm_version,
    parse_rfc3339,
    redact,
)

TOKEN = "abcdef.0123456789abcdef"
KEY = "e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204"
HASH = "sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3"


def test_token():
    assert normalize_token(TOKEN) == TOKEN
    for bad in (
        "ABCDEF.0123456789abcdef",
        "abcdef.0123456789abcde",
        "abcdef0123456789abcdef",
        "",
        None,
        7,
        " " + TOKEN,
    ):
        with pytest.raises(KubeadmOutputError) as caught:
            normalize_token(bad)
        assert "[a-z0-9]{6}.[a-z0-9]{16}" in str(caught.value)
        if isinstance(bad, str) and bad:
            assert bad.strip() not in str(caught.value)


def test_certificate_key():
    assert normalize_certificate_key(KEY.upper()) == KEY
    for bad in (KEY[:-1], KEY + "a", KEY[:-1] + "g", "", None):
        with pytest.raises(KubeadmOutputError, match="64 hexadecimal digits") as caught:
            normalize_certificate_key(bad)
        assert KEY[:-1] not in str(caught.value)


def test_ca_cert_hash():
    assert normalize_ca_cert_hash(HASH) == HASH
    assert normalize_ca_cert_hash("SHA256:" + HASH[7:].upper()) == HASH
    assert normalize_ca_cert_hash("Sha256:" + HASH[7:]) == HASH
    for bad in (HASH[7:], "sha1:" + HASH[7:], HASH + "0", HASH[:-1], "sha256:", None):
        with pytest.raises(KubeadmOutputError, match="'sha256:' followed by 64"):
            normalize_ca_cert_hash(bad)


@pytest.mark.parametrize(
    ("text", "host", "port", "family", "rendered"),
    [
        ("10.0.0.10:6443", "10.0.0.10", 6443, "ipv4", "10.0.0.10:6443"),
        ("https://10.0.0.10:6443", "10.0.0.10", 6443, "ipv4", "10.0.0.10:6443"),
        ("https://10.0.0.10:6443/", "10.0.0.10", 6443, "ipv4", "10.0.0.10:6443"),
        ("[fd00::1]:6443", "fd00::1", 6443, "ipv6", "[fd00::1]:6443"),
        ("[FD00:0:0::0001]:443", "fd00::1", 443, "ipv6", "[fd00::1]:443"),
        ("https://[2001:db8::10]:6443", "2001:db8::10", 6443, "ipv6", "[2001:db8::10]:6443"),
        ("k8s-api.example.internal:8443", "k8s-api.example.internal", 8443, "dns", "k8s-api.example.internal:8443"),
        ("localhost:1", "localhost", 1, "dns", "localhost:1"),
        ("API.Example.COM:65535", "API.Example.COM", 65535, "dns", "API.Example.COM:65535"),
    ],
)
def test_parse_endpoint(text, host, port, family, rendered):
    endpoint = parse_endpoint(text)
    assert endpoint == Endpoint(host, port)
    assert endpoint.family == family
    assert str(endpoint) == rendered


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.0.10", "with a port"),
        ("10.0.0.10:", "port number"),
        ("10.0.0.10:http", "port number"),
        ("10.0.0.10:65536", "between 1 and 65535"),
        ("10.0.0.10:123456", "port number"),
        ("10.0.0.256:6443", "IPv4 address"),
        ("fd00::1:6443", "in brackets"),
        ("[fd00::zz]:6443", "IPv6 address"),
        ("[10.0.0.1]:6443", "IPv6 address inside"),
        ("-bad-.example:6443", "DNS name"),
        ("under_score.example:6443", "DNS name"),
        ("a..b:6443", "DNS name"),
        ("", "host:port"),
        (None, "host:port"),
    ],
)
def test_parse_endpoint_rejects(text, message):
    with pytest.raises(KubeadmOutputError, match=message):
        parse_endpoint(text)


def test_parse_endpoint_default_port():
    assert parse_endpoint("k8s.example", default_port=6443) == Endpoint("k8s.example", 6443)
    assert parse_endpoint("[fd00::1]", default_port=6443) == Endpoint("fd00::1", 6443)


def test_endpoint_from_kubeconfig():
    conf = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTi...
    server: https://172.30.0.10:6443
  name: kubernetes
contexts: []
"""
    assert endpoint_from_kubeconfig(conf) == Endpoint("172.30.0.10", 6443)
    assert endpoint_from_kubeconfig(conf.replace("https://172.30.0.10:6443", '"https://[fd00::10]:6443"')) == Endpoint(
        "fd00::10", 6443
    )
    with pytest.raises(KubeadmOutputError, match="exactly one 'server:'"):
        endpoint_from_kubeconfig("apiVersion: v1\n")
    with pytest.raises(KubeadmOutputError, match="found 2"):
        endpoint_from_kubeconfig(conf + "    server: https://10.1.1.1:6443\n")


def test_parse_kubeadm_version():
    assert parse_kubeadm_version("v1.20.2\n") == (1, 20, 2)
    assert parse_kubeadm_version("W0101 klog noise\nv1.28.4-gke.1\n") == (1, 28, 4)
    assert parse_kubeadm_version("1.13.12") == (1, 13, 12)
    for bad in ("", "kubeadm version: &version.Info{...}", "v1.20.2\nv1.21.0"):
        with pytest.raises(KubeadmOutputError, match="version line"):
            parse_kubeadm_version(bad)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("24h", 86400), ("1h30m", 5400), ("90s", 90), ("15m", 900), ("2h0m10s", 7210), ("3600", 3600), (60, 60), ("0", 0)],
)
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "1d", "h", "1.5h", "-1", -5, True, None, "10ms"])
def test_parse_duration_rejects(value):
    with pytest.raises(KubeadmOutputError, match="duration"):
        parse_duration(value)


def test_parse_rfc3339():
    utc = datetime.timezone.utc
    assert parse_rfc3339("2024-01-02T03:04:05Z") == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_rfc3339("2024-01-02T04:04:05+01:00") == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=utc)
    assert parse_rfc3339("2024-01-02T03:04:05.123456789Z").microsecond == 123456
    for bad in ("2024-01-02", "2024-13-02T03:04:05Z", "<never>", "2024-01-02 03:04:05"):
        with pytest.raises(KubeadmOutputError):
            parse_rfc3339(bad)


def test_redact_masks_every_secret_shape():
    text = (
        "kubeadm join 10.0.0.10:6443 --token %s --certificate-key %s --token=x1y2z3.a8uxyaju799qwdjv "
        "key alone %s secret alone a8uxyaju799qwdjv "
        "[bootstrap-token] Using token: ABCDEF.WHATEVER "
        "Using tokens: [%s x1y2z3.abcdefghijklmnop] --token not-a-token"
    ) % (TOKEN, KEY, KEY.upper()[:40], TOKEN)
    redacted = redact(text)
    for secret in (
        TOKEN,
        "0123456789abcdef",
        KEY[:16],
        KEY.upper()[:16],
        "a8uxyaju799qwdjv",
        "abcdefghijklmnop",
        "WHATEVER",
    ):
        assert secret not in redacted
    assert "not-a-token" not in redacted
    assert "10.0.0.10:6443" in redacted
    assert "<value withheld>" in redact("--token <value withheld>")


def test_excerpt_is_short_printable_and_redacted():
    quoted = excerpt("x" * 200 + TOKEN)
    assert len(quoted) <= 82
    assert excerpt("a\tb\x07c") == repr("a\\tb?c")
    assert TOKEN not in excerpt("token " + TOKEN)

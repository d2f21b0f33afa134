"""Discovery hash of CA certificates: kubeadm's pubkeypin fixture, openssl cross-check, bad input."""

from __future__ import annotations

import base64
import datetime
import hashlib
import shutil
import subprocess

import pytest
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils import _kubeadm_pki as pki
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import KubeadmOutputError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID
from kubeadm_render import FIXTURE_HASH, FIXTURES

PUBKEYPIN = FIXTURES / "pubkeypin_testCertPEM.crt"


def make_ca(key, name="kubernetes"):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, algorithm)
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def cas():
    return {
        "rsa-2048": make_ca(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        "ecdsa-p256": make_ca(ec.generate_private_key(ec.SECP256R1())),
        "ecdsa-p384": make_ca(ec.generate_private_key(ec.SECP384R1())),
        "ed25519": make_ca(ed25519.Ed25519PrivateKey.generate()),
    }


def openssl_hash(pem: bytes, tmp_path) -> str:
    """The pipeline from kubeadm's docs: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    path = tmp_path / "ca.crt"
    path.write_bytes(pem)
    pubkey = subprocess.run(
        ["openssl", "x509", "-pubkey", "-noout", "-in", str(path)], check=True, capture_output=True
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "der"], input=pubkey, check=True, capture_output=True
    ).stdout
    return "sha256:" + hashlib.sha256(der).hexdigest()


def test_kubeadm_pubkeypin_fixture():
    assert pki.ca_cert_hashes_from_file(str(PUBKEYPIN)) == [FIXTURE_HASH]
    assert FIXTURE_HASH == "sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3"


def test_kubeadm_pubkeypin_fixture_matches_openssl(tmp_path):
    assert openssl_hash(PUBKEYPIN.read_bytes(), tmp_path) == FIXTURE_HASH


@pytest.mark.parametrize("kind", ["rsa-2048", "ecdsa-p256", "ecdsa-p384", "ed25519"])
def test_generated_ca_matches_openssl_and_cryptography(kind, cas, tmp_path):
    pem = cas[kind]
    ours = pki.ca_cert_hashes_from_pem(pem)
    assert ours == [openssl_hash(pem, tmp_path)]
    spki = (
        x509.load_pem_x509_certificate(pem)
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert ours == ["sha256:" + hashlib.sha256(spki).hexdigest()]


@pytest.mark.parametrize("kind", ["rsa-2048", "ecdsa-p256"])
def test_without_cryptography_same_hash(kind, cas, monkeypatch):
    expected = pki.ca_cert_hashes_from_pem(cas[kind])
    monkeypatch.setattr(pki, "_x509", None)
    assert pki.ca_cert_hashes_from_pem(cas[kind]) == expected
    assert pki.ca_cert_hashes_from_pem(cas[kind].decode()) == expected


def test_bundle_der_and_duplicates(cas):
    bundle = cas["rsa-2048"] + b"\n# comment\n" + cas["ecdsa-p256"] + cas["rsa-2048"]
    hashes = pki.ca_cert_hashes_from_pem(bundle)
    assert hashes == pki.ca_cert_hashes_from_pem(cas["rsa-2048"]) + pki.ca_cert_hashes_from_pem(cas["ecdsa-p256"])
    der = x509.load_pem_x509_certificate(cas["ecdsa-p256"]).public_bytes(serialization.Encoding.DER)
    assert pki.ca_cert_hashes_from_pem(der) == hashes[1:]
    assert pki.ca_cert_hash_from_der(der) == hashes[1]


def test_crlf_and_indented_pem(cas):
    pem = cas["ecdsa-p256"]
    expected = pki.ca_cert_hashes_from_pem(pem)
    assert pki.ca_cert_hashes_from_pem(pem.replace(b"\n", b"\r\n")) == expected
    assert pki.ca_cert_hashes_from_pem(b"\n".join(b"    " + line for line in pem.split(b"\n"))) == expected


def _der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def _pem(der: bytes) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "at least one '-----BEGIN CERTIFICATE-----'"),
        (b"hello", "at least one"),
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "at least one"),
        (b"-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n", "at least one"),
        (b"-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n", "base64"),
        (_pem(b"\x30\x03\x02\x01\x01"), "TBSCertificate"),
        (_pem(b"\x30\x80\x00\x00"), "indefinite length"),
        (_pem(b"\x31\x00"), "Certificate SEQUENCE"),
        (b"\x30\x82\xff\xff\x00", "truncated"),
        (42, "type int"),
    ],
)
def test_rejects(data, message):
    with pytest.raises(KubeadmOutputError, match=message):
        pki.ca_cert_hashes_from_pem(data)


def test_rejects_truncated_and_padded_der(cas):
    der = _der(cas["ecdsa-p256"])
    for bad in (der[:-10], der[:40], der + b"\x00"):
        with pytest.raises(KubeadmOutputError):
            pki.ca_cert_hash_from_der(bad)
        with pytest.raises(KubeadmOutputError):
            pki.ca_cert_hashes_from_pem(_pem(bad))


def _tlv(tag: int, content: bytes) -> bytes:
    assert len(content) < 128
    return bytes([tag, len(content)]) + content


def test_cryptography_rejects_garbage_the_der_reader_accepts(monkeypatch):
    # structurally a certificate down to the SubjectPublicKeyInfo, but nonsense inside
    spki = _tlv(0x30, _tlv(0x30, _tlv(0x06, b"\x00")) + _tlv(0x03, b"\x00\xff"))
    empty = _tlv(0x30, b"")
    tbs = _tlv(0x30, _tlv(0x02, b"\x01") + empty * 4 + spki)
    garbage = _tlv(0x30, tbs + empty + _tlv(0x03, b"\x00"))
    monkeypatch.setattr(pki, "_x509", None)
    assert pki.ca_cert_hash_from_der(garbage) == "sha256:" + hashlib.sha256(spki).hexdigest()
    monkeypatch.undo()
    with pytest.raises(KubeadmOutputError, match="cryptography rejects"):
        pki.ca_cert_hash_from_der(garbage)


def test_file_errors(tmp_path):
    with pytest.raises(KubeadmOutputError, match="readable CA certificate file"):
        pki.ca_cert_hashes_from_file(str(tmp_path / "missing.crt"))
    bad = tmp_path / "bad.crt"
    bad.write_text("nope")
    with pytest.raises(KubeadmOutputError, match=str(bad)):
        pki.ca_cert_hashes_from_file(str(bad))


def test_has_cryptography_flag():
    assert pki.HAS_CRYPTOGRAPHY is True

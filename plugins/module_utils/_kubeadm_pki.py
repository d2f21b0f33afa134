# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The discovery hash of a CA certificate, computed like kubeadm does (private, pure).

kubeadm (``cmd/kubeadm/app/util/pubkeypin``) pins ``sha256:`` + hex SHA-256 of the certificate's
``RawSubjectPublicKeyInfo``: the DER bytes of the SubjectPublicKeyInfo exactly as they are embedded
in the certificate. This module cuts those bytes out of the DER with a small, strict DER reader,
so the hash matches kubeadm byte for byte for any key type (RSA, ECDSA, Ed25519, ...) and needs
no third-party library on the target.

Requirements: none beyond the Python standard library. When the ``cryptography`` package is
importable (any version with ``x509.load_der_x509_certificate``), every certificate is also loaded
with it, so that data which merely looks like a certificate is rejected; without it, the DER
structure is still checked down to the SubjectPublicKeyInfo.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import KubeadmOutputError

try:
    from cryptography import x509 as _x509
except ImportError:  # pragma: no cover - depends on the target
    _x509 = None

__all__ = [
    "HAS_CRYPTOGRAPHY",
    "ca_cert_hash_from_der",
    "ca_cert_hashes_from_file",
    "ca_cert_hashes_from_pem",
    "subject_public_key_info",
]

HAS_CRYPTOGRAPHY = _x509 is not None

_PEM_RE = re.compile(rb"-----BEGIN CERTIFICATE-----\s*(?P<body>[A-Za-z0-9+/=\s]*?)\s*-----END CERTIFICATE-----")
_SEQUENCE = 0x30
_INTEGER = 0x02
_BIT_STRING = 0x03
_CONTEXT_0 = 0xA0  # [0] EXPLICIT Version


def _read_tlv(data: bytes, position: int, end: int, what: str) -> tuple[int, int, int]:
    """One DER element at ``position``: (tag, start of contents, end of element)."""
    if position + 2 > end:
        raise KubeadmOutputError("expected %s in the certificate, found the end of the data (truncated?)" % what)
    tag = data[position]
    length = data[position + 1]
    position += 2
    if length == 0x80:
        raise KubeadmOutputError("expected DER (definite lengths) for %s, found an indefinite length" % what)
    if length > 0x80:
        count = length & 0x7F
        if count > 4 or position + count > end:
            raise KubeadmOutputError("expected a valid length for %s in the certificate, found a corrupt one" % what)
        length = int.from_bytes(data[position : position + count], "big")
        position += count
    if position + length > end:
        raise KubeadmOutputError("expected %s of %d bytes, found only %d (truncated?)" % (what, length, end - position))
    return tag, position, position + length


def _expect(data: bytes, position: int, end: int, tag: int, what: str) -> tuple[int, int]:
    found, start, stop = _read_tlv(data, position, end, what)
    if found != tag:
        raise KubeadmOutputError("expected %s (DER tag 0x%02x), found tag 0x%02x" % (what, tag, found))
    return start, stop


def subject_public_key_info(der: bytes) -> bytes:
    """The raw DER SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 section 4.1)."""
    if not isinstance(der, (bytes, bytearray)) or not der:
        raise KubeadmOutputError("expected a DER certificate, found no data")
    der = bytes(der)
    cert_start, cert_end = _expect(der, 0, len(der), _SEQUENCE, "a Certificate SEQUENCE")
    if cert_end != len(der):
        raise KubeadmOutputError("expected one DER certificate, found %d extra bytes after it" % (len(der) - cert_end))
    tbs_start, tbs_end = _expect(der, cert_start, cert_end, _SEQUENCE, "a TBSCertificate SEQUENCE")
    position = tbs_start
    tag, _start, stop = _read_tlv(der, position, tbs_end, "the certificate version or serial number")
    if tag == _CONTEXT_0:
        position = stop
    _start, position = _expect(der, position, tbs_end, _INTEGER, "the serial number")
    for what in ("the signature algorithm", "the issuer", "the validity", "the subject"):
        _start, position = _expect(der, position, tbs_end, _SEQUENCE, what)
    spki_position = position
    spki_start, spki_end = _expect(der, position, tbs_end, _SEQUENCE, "the SubjectPublicKeyInfo")
    _start, inner = _expect(der, spki_start, spki_end, _SEQUENCE, "the public key algorithm")
    _start, inner = _expect(der, inner, spki_end, _BIT_STRING, "the public key BIT STRING")
    if inner != spki_end:
        raise KubeadmOutputError("expected the SubjectPublicKeyInfo to end after its BIT STRING, found more data")
    return der[spki_position:spki_end]


def ca_cert_hash_from_der(der: bytes) -> str:
    """``sha256:<hex>`` of one DER certificate, as kubeadm's ``--discovery-token-ca-cert-hash``."""
    spki = subject_public_key_info(der)
    if _x509 is not None:
        try:
            _x509.load_der_x509_certificate(bytes(der))
        except Exception as exc:
            raise KubeadmOutputError(
                "expected a valid X.509 certificate, found one that cryptography rejects (%s)" % type(exc).__name__
            ) from None
    return "sha256:" + hashlib.sha256(spki).hexdigest()


def ca_cert_hashes_from_pem(data: bytes | str) -> list[str]:
    """The hash of every certificate in a PEM bundle (kubeadm prints one flag per CA certificate).

    DER input (a single certificate) is accepted too. Duplicates are removed, order is kept.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if not isinstance(data, (bytes, bytearray)):
        raise KubeadmOutputError("expected PEM certificate data, found a value of type %s" % type(data).__name__)
    data = bytes(data)
    if data[:1] == b"\x30":
        return [ca_cert_hash_from_der(data)]
    hashes: list[str] = []
    for number, match in enumerate(_PEM_RE.finditer(data), 1):
        body = re.sub(rb"\s+", b"", match.group("body"))
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise KubeadmOutputError("expected base64 in PEM certificate %d, found invalid data" % number) from None
        try:
            ca_hash = ca_cert_hash_from_der(der)
        except KubeadmOutputError as exc:
            raise KubeadmOutputError("%s (PEM certificate %d)" % (exc, number)) from None
        if ca_hash not in hashes:
            hashes.append(ca_hash)
    if not hashes:
        raise KubeadmOutputError("expected at least one '-----BEGIN CERTIFICATE-----' block, found none")
    return hashes


def ca_cert_hashes_from_file(path: str) -> list[str]:
    """The hashes of the CA certificates in ``path`` (kubeadm's ``/etc/kubernetes/pki/ca.crt``)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise KubeadmOutputError(
            "expected a readable CA certificate file at %s, found: %s" % (path, exc.strerror)
        ) from None
    try:
        return ca_cert_hashes_from_pem(data)
    except KubeadmOutputError as exc:
        raise KubeadmOutputError("%s in %s" % (exc, path)) from None

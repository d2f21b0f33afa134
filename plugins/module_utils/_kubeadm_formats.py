# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Formats of kubeadm's join material: validation, normalisation, redaction (private, pure).

Everything here raises :class:`KubeadmOutputError` and nothing else for bad input, and no
message ever contains a token, a token secret or a certificate key: values are described by
their shape ("a token of 21 characters"), and any excerpt of the input shown in a message goes
through :func:`redact` first.

Module-side code: runs on the target, so it stays valid for every Python that ansible-core 2.19
runs modules with (3.8+) and imports only the standard library.
"""

from __future__ import annotations

import datetime
import ipaddress
import re
from dataclasses import dataclass

__all__ = [
    "CA_CERT_HASH_RE",
    "CERTIFICATE_KEY_RE",
    "TOKEN_RE",
    "WITHHELD",
    "Endpoint",
    "KubeadmOutputError",
    "endpoint_from_kubeconfig",
    "excerpt",
    "normalize_ca_cert_hash",
    "normalize_certificate_key",
    "normalize_token",
    "parse_duration",
    "parse_endpoint",
    "parse_kubeadm_version",
    "parse_rfc3339",
    "redact",
]

#: Bootstrap token, ``<id>.<secret>`` (k8s.io/cluster-bootstrap BootstrapTokenPattern).
TOKEN_RE = re.compile(r"^[a-z0-9]{6}\.[a-z0-9]{16}$")
#: Certificate key as kubeadm prints it: 32 bytes, lower-case hex.
CERTIFICATE_KEY_RE = re.compile(r"^[0-9a-f]{64}$")
#: Discovery hash as kubeadm prints it.
CA_CERT_HASH_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
#: What kubeadm prints instead of a value with --skip-token-print / --skip-certificate-key-print.
WITHHELD = "<value withheld>"

_MASK = "<redacted>"
# Anything that could be (part of) a secret: token-shaped words (any case, any length of the
# secret part so that near-misses are hidden too), long hex runs (keys, hashes, truncated keys)
# and the value after a secret-bearing flag or log prefix, whatever its shape.
_REDACT_RES = (
    re.compile(r"(?i)(--token(?:=|\s+)|--certificate-key(?:=|\s+)|token:\s*|tokens:\s*\[?)(?!<value withheld>)\S+"),
    re.compile(r"(?i)\b[a-z0-9]{6}\.[a-z0-9]{8,}\b"),
    re.compile(r"(?i)[0-9a-f]{16,}"),
    # a token secret on its own: 16+ letters and digits, mixed
    re.compile(r"(?i)\b(?=[a-z0-9]*[0-9])(?=[a-z0-9]*[a-z])[a-z0-9]{16,}\b"),
)


class KubeadmOutputError(ValueError):
    """Input is not what kubeadm prints (or not a valid token, key, hash or endpoint).

    The message says what was expected and what was found, with secrets redacted.
    """


def redact(text: str) -> str:
    """Return ``text`` with everything that may be a token or certificate key masked."""
    for regex in _REDACT_RES:
        if regex.groups:
            text = regex.sub(lambda m: m.group(1) + _MASK, text)
        else:
            text = regex.sub(_MASK, text)
    return text


def excerpt(text: str, limit: int = 80) -> str:
    """A short, redacted, printable quotation of ``text`` for an error message."""
    text = redact(text)
    text = "".join(ch if ch.isprintable() or ch == "\t" else "?" for ch in text)
    text = text.replace("\t", "\\t")
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return repr(text)


def _shape(value: object) -> str:
    """Describe a rejected value without quoting it (it may be a secret)."""
    if not isinstance(value, str):
        return "a value of type %s" % type(value).__name__
    if not value:
        return "an empty string"
    kinds = []
    if re.search(r"[A-Z]", value):
        kinds.append("upper-case letters")
    if re.search(r"[^A-Za-z0-9.:]", value):
        kinds.append("characters other than letters, digits, '.' and ':'")
    text = "a value of %d characters" % len(value)
    if kinds:
        text += " with " + " and ".join(kinds)
    return text


def normalize_token(value: object) -> str:
    """Validate a bootstrap token; tokens are case-sensitive, so nothing is changed."""
    if isinstance(value, str) and TOKEN_RE.match(value):
        return value
    raise KubeadmOutputError("expected a bootstrap token matching [a-z0-9]{6}.[a-z0-9]{16}, found %s" % _shape(value))


def normalize_certificate_key(value: object) -> str:
    """Validate a certificate key (64 hex digits, any case) and return it in lower case."""
    if isinstance(value, str) and re.match(r"^[0-9a-fA-F]{64}$", value):
        return value.lower()
    raise KubeadmOutputError("expected a certificate key of 64 hexadecimal digits, found %s" % _shape(value))


def normalize_ca_cert_hash(value: object) -> str:
    """Validate a discovery hash (``sha256:``/``SHA256:`` + 64 hex, any case); return kubeadm's form."""
    if isinstance(value, str):
        match = re.match(r"^(?i:sha256):([0-9a-fA-F]{64})$", value)
        if match:
            return "sha256:" + match.group(1).lower()
    # hashes are public, so they may be quoted; the excerpt still masks long hex runs
    found = excerpt(value) if isinstance(value, str) else _shape(value)
    raise KubeadmOutputError(
        "expected a CA certificate hash 'sha256:' followed by 64 hexadecimal digits, found %s" % found
    )


_DNS_LABEL_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Endpoint:
    """The API server endpoint of a join command: ``host:port`` (IPv6 in brackets)."""

    host: str
    port: int

    @property
    def family(self) -> str:
        """``ipv4``, ``ipv6`` or ``dns``."""
        try:
            return "ipv%d" % ipaddress.ip_address(self.host).version
        except ValueError:
            return "dns"

    def __str__(self) -> str:
        if ":" in self.host:
            return "[%s]:%d" % (self.host, self.port)
        return "%s:%d" % (self.host, self.port)


def _check_host(host: str, original: str) -> str:
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise KubeadmOutputError("expected an IPv6 address in the endpoint, found %s" % excerpt(original)) from None
    if re.match(r"^[0-9.]+$", host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise KubeadmOutputError("expected an IPv4 address in the endpoint, found %s" % excerpt(original)) from None
    labels = host.split(".")
    if len(host) > 253 or not all(_DNS_LABEL_RE.match(label) for label in labels):
        raise KubeadmOutputError(
            "expected a DNS name, IPv4 or [IPv6] address in the endpoint, found %s" % excerpt(original)
        )
    return host


def parse_endpoint(value: object, default_port: int | None = None) -> Endpoint:
    """Parse ``host:port``, ``[v6]:port`` (an ``https://`` prefix is allowed, as in a kubeconfig).

    Without a port, ``default_port`` is used if given, else it is an error. IPv6 addresses are
    normalised to their compressed form; bare IPv6 without brackets is rejected (ambiguous).
    """
    if not isinstance(value, str) or not value.strip():
        raise KubeadmOutputError("expected an API server endpoint host:port, found %s" % _shape(value))
    text = value.strip()
    if text.lower().startswith("https://"):
        text = text[len("https://") :]
    if text.endswith("/"):
        text = text[:-1]
    match = re.match(r"^\[([^\]]+)\](?::(\d{1,5}))?$", text)
    if match:
        host, port = match.group(1), match.group(2)
        if ":" not in host:
            raise KubeadmOutputError("expected an IPv6 address inside [...], found %s" % excerpt(value))
    elif text.count(":") > 1:
        raise KubeadmOutputError("expected an IPv6 endpoint in brackets like [fd00::1]:6443, found %s" % excerpt(value))
    else:
        host, _sep, port = text.partition(":")
        if _sep and not re.match(r"^\d{1,5}$", port):
            raise KubeadmOutputError("expected a port number after ':' in the endpoint, found %s" % excerpt(value))
        port = port or None
    if port is None:
        if default_port is None:
            raise KubeadmOutputError(
                "expected an API server endpoint with a port (host:port), found %s" % excerpt(value)
            )
        port_number = default_port
    else:
        port_number = int(port)
    if not 0 < port_number < 65536:
        raise KubeadmOutputError("expected a port between 1 and 65535 in the endpoint, found %s" % excerpt(value))
    return Endpoint(_check_host(host, value), port_number)


_SERVER_RE = re.compile(r"""^\s*server:\s*["']?(?P<url>[^"'\s]+)["']?\s*$""", re.MULTILINE)


def endpoint_from_kubeconfig(text: str) -> Endpoint:
    """The API endpoint of a kubeadm-written kubeconfig (admin.conf): its single ``server:`` URL."""
    servers = sorted({m.group("url") for m in _SERVER_RE.finditer(text)})
    if len(servers) != 1:
        raise KubeadmOutputError("expected exactly one 'server:' URL in the kubeconfig, found %d" % len(servers))
    return parse_endpoint(servers[0])


def parse_kubeadm_version(text: str) -> tuple[int, int, int]:
    """``kubeadm version -o short`` (``v1.20.2``) as ``(1, 20, 2)``."""
    lines = [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]
    matches = [m for m in (re.match(r"^v?(\d+)\.(\d+)\.(\d+)", line) for line in lines) if m]
    if len(matches) != 1:
        raise KubeadmOutputError(
            "expected one version line like v1.20.2 from 'kubeadm version -o short', found %s"
            % excerpt(" | ".join(lines) or "nothing")
        )
    return (int(matches[0].group(1)), int(matches[0].group(2)), int(matches[0].group(3)))


_DURATION_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$")


def parse_duration(value: object) -> int:
    """Seconds in a Go-style duration (``24h``, ``1h30m``, ``90s``) or a plain number of seconds."""
    if isinstance(value, bool):
        raise KubeadmOutputError("expected a duration like 1h30m, found a boolean")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and value.strip().isdigit():
        seconds = int(value.strip())
    elif isinstance(value, str) and value.strip() and _DURATION_RE.match(value.strip()):
        hours, minutes, secs = _DURATION_RE.match(value.strip()).groups()  # type: ignore[union-attr]
        seconds = int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(secs or 0)
    else:
        raise KubeadmOutputError("expected a duration like 24h, 1h30m or 90s, found %s" % excerpt(str(value)))
    if seconds < 0:
        raise KubeadmOutputError("expected a duration of zero or more seconds, found a negative number")
    return seconds


def parse_rfc3339(value: str) -> datetime.datetime:
    """An RFC 3339 time as kubeadm prints it (Go ``time.RFC3339``) as an aware datetime."""
    text = value.strip()
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$", text)
    if not match:
        raise KubeadmOutputError("expected an RFC 3339 time like 2024-01-02T03:04:05Z, found %s" % excerpt(value))
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone in ("Z", "z"):
        tz = datetime.timezone.utc
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = datetime.timezone(sign * datetime.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    except ValueError:
        raise KubeadmOutputError("expected a valid calendar time, found %s" % excerpt(value)) from None

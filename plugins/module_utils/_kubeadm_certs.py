# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parser for ``kubeadm certs check-expiration`` output, into typed results (private, pure).

Handled (kubeadm 1.15 to 1.32+, see tests/unit/fixtures/kubeadm/certs/README.md):

* 1.15-1.16, ``kubeadm alpha certs check-expiration``: one table ``CERTIFICATE  EXPIRES  RESIDUAL
  TIME  EXTERNALLY MANAGED``; no CA table, no ``!MISSING!`` rows (a missing file failed the command);
* 1.17-1.19 (``alpha``) and 1.20+ (``kubeadm certs``): the table gains a ``CERTIFICATE AUTHORITY``
  column (empty for the kubeconfig files until 1.24 and the 1.20.14/1.21.8/1.22.5/1.23.1 patch
  releases), a second table ``CERTIFICATE AUTHORITY  EXPIRES  RESIDUAL TIME  EXTERNALLY MANAGED``
  follows, and a missing file is a ``!MISSING! <name>`` row;
* 1.30+ ``-o json`` / ``-o yaml``: kind ``CertificateExpirationInfo``, apiVersion
  ``output.kubeadm.k8s.io/v1alpha3``.

Input may be stdout and stderr combined: ``[check-expiration] ...`` log lines before the table,
klog lines (``W0101 10:00:00.000000 123 file.go:12] ...``) and cobra's deprecation notices
anywhere are dropped. CRLF and trailing whitespace are accepted.

:func:`parse_check_expiration` raises :class:`KubeadmOutputError` and nothing else for input that
is not check-expiration output, with a message that says what was expected and what was found; it
never returns a partially filled result. :func:`certificates_to_renew` picks what ``kubeadm certs
renew <name>`` can renew: leaf certificates and kubeconfig files, never the CAs.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import (
    KubeadmOutputError,
    excerpt,
    parse_rfc3339,
)

__all__ = [
    "OUTPUT_API_VERSION",
    "OUTPUT_KIND",
    "CertificateExpiration",
    "ExpirationEntry",
    "certificates_to_renew",
    "parse_check_expiration",
]

#: ``-o json|yaml`` (kubeadm 1.30+): cmd/kubeadm/app/apis/output/v1alpha3.
OUTPUT_KIND = "CertificateExpirationInfo"
OUTPUT_API_VERSION = "output.kubeadm.k8s.io/v1alpha3"

CERT_HEADER = ("CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED")
CERT_HEADER_1_15 = ("CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED")
CA_HEADER = ("CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED")

_Lines = List[Tuple[int, str]]

_NOISE_RES = (
    # klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
    re.compile(r"^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+\s+\S+:\d+\]"),
    re.compile(r"^\s*\[WARNING [^\]]*\]:"),
    re.compile(r"^Flag --\S+ has been deprecated"),
    # 1.20: kubeadm alpha certs ... -> Command "check-expiration" is deprecated, please use ...
    re.compile(r'^Command "[^"]+" is deprecated'),
)
_CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# [check-expiration] Reading configuration from the cluster... / FYI: ... / Error reading ... / Use '...'
_LOG_LINE_RE = re.compile(r"^\[[a-z][a-z0-9/-]*\] ")
_HEADER_SPLIT_RE = re.compile(r"\s{2,}|\t")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MISSING_RE = re.compile(r"^!MISSING!\s+(?P<name>\S+)$")
_RESIDUAL_RE = re.compile(r"^(?:<invalid>|(?P<number>\d+)(?P<unit>[smhdy]))$")
_EXPIRES_RE = re.compile(
    r"^(?P<month>[A-Z][a-z]{2}) (?P<day>\d{2}), (?P<year>\d{4}) (?P<hour>\d{2}):(?P<minute>\d{2}) (?P<zone>\S+)$"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_YAML_KEY_RE = re.compile(r"^(?P<indent> *)(?P<dash>- )?(?P<key>[A-Za-z][A-Za-z0-9_]*):(?: +(?P<value>.*))?$")
_YAML_TOP_KEYS = ("apiVersion", "kind", "certificates", "certificateAuthorities")
_DAY = 86400
_YEAR = 365 * _DAY


# ----------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class ExpirationEntry:
    """One row of either table (or one object of ``-o json``)."""

    name: str
    #: Aware UTC datetime; minute precision from the table, second precision from -o json/yaml.
    expires: Optional[datetime.datetime]
    #: RESIDUAL TIME as kubeadm prints it (``364d``, ``23h``, ``9y``, ``<invalid>``); for -o json/yaml
    #: it is computed the way the table would show it.
    residual: Optional[str]
    #: Whole days left, rounded down: negative once expired (``<invalid>`` is -1 without ``now``).
    residual_days: Optional[int]
    #: The signing CA (``ca``, ``etcd-ca``, ``front-proxy-ca``); None for CAs, for kubeconfig files
    #: before the CA column named them, and in the 1.15-1.16 table that had no such column.
    authority: Optional[str] = None
    externally_managed: bool = False
    #: ``!MISSING! <name>`` (``"missing": true``): no expiry, residual or authority.
    missing: bool = False

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "expires": None if self.expires is None else self.expires.isoformat(),
            "residual": self.residual,
            "residual_days": self.residual_days,
            "authority": self.authority,
            "externally_managed": self.externally_managed,
            "missing": self.missing,
        }


@dataclass(frozen=True)
class CertificateExpiration:
    """What ``kubeadm certs check-expiration`` reported."""

    certificates: Tuple[ExpirationEntry, ...]
    #: Empty when not reported (1.15-1.16 printed no CA table).
    authorities: Tuple[ExpirationEntry, ...]
    #: ``text``, ``json`` or ``yaml``.
    output_format: str
    authorities_reported: bool
    #: The time residual_days was computed against; None: from the printed residual.
    now: Optional[datetime.datetime] = None

    def certificate(self, name: str) -> Optional[ExpirationEntry]:
        for entry in self.certificates:
            if entry.name == name:
                return entry
        return None

    def authority(self, name: str) -> Optional[ExpirationEntry]:
        for entry in self.authorities:
            if entry.name == name:
                return entry
        return None

    def to_dict(self) -> dict:
        return {
            "format": self.output_format,
            "authorities_reported": self.authorities_reported,
            "now": None if self.now is None else self.now.isoformat(),
            "certificates": [entry.to_dict() for entry in self.certificates],
            "authorities": [entry.to_dict() for entry in self.authorities],
        }


def certificates_to_renew(expiration: CertificateExpiration, threshold_days: int) -> List[str]:
    """Names of the certificates with fewer than ``threshold_days`` whole days left.

    Only what ``kubeadm certs renew <name>`` renews: leaf certificates and kubeconfig files, never
    a CA (see ``expiration.authorities`` for those), not the externally managed ones (no CA key,
    kubeadm cannot sign) and not the missing ones (kubeadm skips them). Threshold 0: expired only.
    """
    if isinstance(threshold_days, bool) or not isinstance(threshold_days, int):
        raise KubeadmOutputError(
            "expected a whole number of days as the renewal threshold, found a value of type %s"
            % type(threshold_days).__name__
        )
    return [
        entry.name
        for entry in expiration.certificates
        if not entry.missing
        and not entry.externally_managed
        and entry.residual_days is not None
        and entry.residual_days < threshold_days
    ]


# ----------------------------------------------------------------------------------------------
# lexing


def _lines(text: object) -> _Lines:
    """Numbered (1-based) lines without stderr noise, CR or trailing whitespace."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            raise KubeadmOutputError("expected kubeadm output as UTF-8 text, found undecodable bytes") from None
    if not isinstance(text, str):
        raise KubeadmOutputError("expected kubeadm output as text, found a value of type %s" % type(text).__name__)
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    junk = _CONTROL_CHARS_RE.search(text)
    if junk:
        line = text.count("\n", 0, junk.start()) + 1
        raise KubeadmOutputError(
            "expected kubeadm output as text, found binary data (control character %r on line %d)"
            % (junk.group(0), line)
        )
    return [
        (number, line.rstrip())
        for number, line in enumerate(text.split("\n"), 1)
        if not any(regex.match(line) for regex in _NOISE_RES)
    ]


def _found(lines: _Lines, index: int) -> str:
    """What is at ``lines[index]``, for an error message."""
    if index >= len(lines):
        return "the end of the output"
    number, line = lines[index]
    if not line.strip():
        return "a blank line (line %d)" % number
    return "%s on line %d" % (excerpt(line.strip()), number)


def _skip_blank(lines: _Lines, index: int) -> int:
    while index < len(lines) and not lines[index][1].strip():
        index += 1
    return index


# ----------------------------------------------------------------------------------------------
# values


def _check_now(now: object) -> Optional[datetime.datetime]:
    if now is None:
        return None
    if not isinstance(now, datetime.datetime):
        raise KubeadmOutputError("expected a datetime for now, found a value of type %s" % type(now).__name__)
    if now.tzinfo is None or now.utcoffset() is None:
        raise KubeadmOutputError("expected a timezone-aware datetime for now, found a naive one")
    return now


def _days(expires: datetime.datetime, now: datetime.datetime) -> int:
    # timedelta normalises to (days, seconds >= 0): .days is the floor, also below zero
    return (expires - now).days


def _residual_days(residual: str) -> int:
    """Whole days in a RESIDUAL TIME (apimachinery duration.ShortHumanDuration); a lower bound."""
    match = _RESIDUAL_RE.match(residual)
    if match is None or match.group("number") is None:  # <invalid>: more than a second ago
        return -1
    number, unit = int(match.group("number")), match.group("unit")
    if unit == "d":
        return number
    if unit == "y":
        return number * 365
    return 0


def _short_human_duration(seconds: int) -> str:
    """apimachinery ``duration.ShortHumanDuration`` for a whole number of seconds."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm" % (seconds // 60)
    hours = seconds // 3600
    if hours < 24:
        return "%dh" % hours
    if hours < 24 * 365:
        return "%dd" % (hours // 24)
    return "%dy" % (seconds // _YEAR)


def _parse_expires(text: str) -> datetime.datetime:
    """EXPIRES as Go formats ``Jan 02, 2006 15:04 MST`` (x509 NotAfter: always UTC)."""
    match = _EXPIRES_RE.match(text)
    if match is None or match.group("month") not in _MONTHS:
        raise KubeadmOutputError("expected an expiry time like 'Dec 01, 2027 10:00 UTC', found %s" % excerpt(text))
    if match.group("zone") not in ("UTC", "GMT"):
        raise KubeadmOutputError(
            "expected an expiry time in UTC like 'Dec 01, 2027 10:00 UTC', found the zone %s"
            % excerpt(match.group("zone"))
        )
    try:
        return datetime.datetime(
            int(match.group("year")),
            _MONTHS.index(match.group("month")) + 1,
            int(match.group("day")),
            int(match.group("hour")),
            int(match.group("minute")),
            tzinfo=datetime.timezone.utc,
        )
    except ValueError:
        raise KubeadmOutputError("expected a valid calendar time, found %s" % excerpt(text)) from None


def _check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        found = excerpt(name) if isinstance(name, str) else "a value of type %s" % type(name).__name__
        raise KubeadmOutputError("expected a %s name like apiserver or admin.conf, found %s" % (what, found))
    return name


def _yes_no(text: str) -> bool:
    if text not in ("yes", "no"):
        raise KubeadmOutputError("expected 'yes' or 'no' in the EXTERNALLY MANAGED column, found %s" % excerpt(text))
    return text == "yes"


# ----------------------------------------------------------------------------------------------
# tables


def _header(line: str) -> Tuple[str, ...]:
    return tuple(_HEADER_SPLIT_RE.split(line.strip()))


def _parse_row(
    line: str, with_authority_column: bool, is_ca: bool, now: Optional[datetime.datetime]
) -> ExpirationEntry:
    missing = _MISSING_RE.match(line.strip())
    if missing:
        return ExpirationEntry(
            name=_check_name(missing.group("name"), "certificate"),
            expires=None,
            residual=None,
            residual_days=None,
            missing=True,
        )
    words = line.split()
    columns = "NAME, EXPIRES (5 words), RESIDUAL TIME, %sEXTERNALLY MANAGED" % (
        "[CERTIFICATE AUTHORITY,] " if with_authority_column else ""
    )
    rest = words[7:]
    if len(words) < 8 or len(rest) > (2 if with_authority_column else 1):
        raise KubeadmOutputError("expected the columns %s, found %d words" % (columns, len(words)))
    name = _check_name(words[0], "CA" if is_ca else "certificate")
    expires = _parse_expires(" ".join(words[1:6]))
    residual = words[6]
    if not _RESIDUAL_RE.match(residual):
        raise KubeadmOutputError(
            "expected a residual time like 364d, 23h, 9y or <invalid>, found %s" % excerpt(residual)
        )
    authority = _check_name(rest[0], "CA") if len(rest) == 2 else None
    return ExpirationEntry(
        name=name,
        expires=expires,
        residual=residual,
        residual_days=_residual_days(residual) if now is None else _days(expires, now),
        authority=authority,
        externally_managed=_yes_no(rest[-1]),
    )


def _parse_rows(
    lines: _Lines, index: int, table: str, *, with_authority_column: bool, is_ca: bool, now: Optional[datetime.datetime]
) -> Tuple[List[ExpirationEntry], int]:
    """Rows from ``lines[index]`` up to a blank line or the end; (entries, index after them)."""
    entries: List[ExpirationEntry] = []
    seen: Dict[str, int] = {}
    while index < len(lines) and lines[index][1].strip():
        number, line = lines[index]
        try:
            entry = _parse_row(line, with_authority_column, is_ca, now)
        except KubeadmOutputError as exc:
            raise KubeadmOutputError("%s in the %s row on line %d" % (exc, table, number)) from None
        if entry.name in seen:
            raise KubeadmOutputError(
                "expected each name once in the %s table, found %s on lines %d and %d"
                % (table, excerpt(entry.name), seen[entry.name], number)
            )
        seen[entry.name] = number
        entries.append(entry)
        index += 1
    if not entries:
        raise KubeadmOutputError(
            "expected at least one row under the %s table header, found %s (truncated output?)"
            % (table, _found(lines, index))
        )
    return entries, index


def _parse_text(lines: _Lines, now: Optional[datetime.datetime]) -> CertificateExpiration:
    index = 0
    logged = 0
    while index < len(lines) and (not lines[index][1].strip() or _LOG_LINE_RE.match(lines[index][1])):
        logged += bool(lines[index][1].strip())
        index += 1
    if index >= len(lines):
        if logged:
            raise KubeadmOutputError(
                "expected the CERTIFICATE table after the [check-expiration] lines, found the end of the output "
                "(failed or truncated run?)"
            )
        raise KubeadmOutputError("expected kubeadm certs check-expiration output, found no text")
    header = _header(lines[index][1])
    if header == CERT_HEADER:
        with_authority_column = True
    elif header == CERT_HEADER_1_15:
        with_authority_column = False
    else:
        raise KubeadmOutputError(
            "expected kubeadm certs check-expiration output starting with the header %s, found %s"
            % (excerpt("   ".join(CERT_HEADER)), _found(lines, index))
        )
    certificates, index = _parse_rows(
        lines, index + 1, "CERTIFICATE", with_authority_column=with_authority_column, is_ca=False, now=now
    )
    authorities: List[ExpirationEntry] = []
    index = _skip_blank(lines, index)
    if with_authority_column:  # 1.17+: the CA table follows (1.15-1.16 printed none)
        if index >= len(lines) or _header(lines[index][1]) != CA_HEADER:
            raise KubeadmOutputError(
                "expected the CERTIFICATE AUTHORITY table after the certificates, found %s (truncated output?)"
                % _found(lines, index)
            )
        authorities, index = _parse_rows(
            lines, index + 1, "CERTIFICATE AUTHORITY", with_authority_column=False, is_ca=True, now=now
        )
        index = _skip_blank(lines, index)
    if index < len(lines):
        raise KubeadmOutputError("expected the end of the output after the tables, found %s" % _found(lines, index))
    return _result(certificates, authorities, "text", with_authority_column, now)


def _result(
    certificates: List[ExpirationEntry],
    authorities: List[ExpirationEntry],
    output_format: str,
    authorities_reported: bool,
    now: Optional[datetime.datetime],
) -> CertificateExpiration:
    """Cross-check the two lists: every CA a certificate names is listed (a cut-off CA table)."""
    if authorities_reported:
        listed = {entry.name for entry in authorities}
        for entry in certificates:
            if entry.authority is not None and entry.authority not in listed:
                raise KubeadmOutputError(
                    "expected the CA %s of %s among the certificate authorities, found only %s (truncated output?)"
                    % (excerpt(entry.authority), excerpt(entry.name), ", ".join(sorted(listed)) or "none")
                )
    return CertificateExpiration(
        certificates=tuple(certificates),
        authorities=tuple(authorities),
        output_format=output_format,
        authorities_reported=authorities_reported,
        now=now,
    )


# ----------------------------------------------------------------------------------------------
# -o json / -o yaml (1.30+)


def _entry_from_object(obj: object, where: str, now: Optional[datetime.datetime]) -> ExpirationEntry:
    if not isinstance(obj, dict):
        raise KubeadmOutputError("expected an object in %s, found %s" % (where, type(obj).__name__))
    name = obj.get("name")
    try:
        _check_name(name, "certificate")
    except KubeadmOutputError as exc:
        raise KubeadmOutputError("%s in %s" % (exc, where)) from None
    where = "%s (%s)" % (where, name)
    for key in ("externallyManaged", "missing"):
        if not isinstance(obj.get(key, False), bool):
            raise KubeadmOutputError(
                "expected %r to be true or false in %s, found %s" % (key, where, type(obj.get(key)).__name__)
            )
    authority = obj.get("caName") or None
    if authority is not None:
        try:
            _check_name(authority, "CA")
        except KubeadmOutputError as exc:
            raise KubeadmOutputError("%s in %s" % (exc, where)) from None
    if obj.get("missing", False):
        return ExpirationEntry(name=name, expires=None, residual=None, residual_days=None, missing=True)
    expires_text, residual_seconds = obj.get("expirationDate"), obj.get("residualTime")
    if not isinstance(expires_text, str):
        raise KubeadmOutputError(
            "expected 'expirationDate' to be an RFC 3339 time in %s, found %s"
            % (where, "null" if expires_text is None else type(expires_text).__name__)
        )
    if isinstance(residual_seconds, bool) or not isinstance(residual_seconds, int):
        raise KubeadmOutputError(
            "expected 'residualTime' to be a whole number of seconds in %s, found %s"
            % (where, type(residual_seconds).__name__)
        )
    try:
        expires = parse_rfc3339(expires_text).astimezone(datetime.timezone.utc)
    except KubeadmOutputError as exc:
        raise KubeadmOutputError("%s in %s" % (exc, where)) from None
    return ExpirationEntry(
        name=name,
        expires=expires,
        residual=_short_human_duration(residual_seconds),
        residual_days=residual_seconds // _DAY if now is None else _days(expires, now),
        authority=authority,
        externally_managed=obj.get("externallyManaged", False),
    )


def _from_object(doc: object, output_format: str, now: Optional[datetime.datetime]) -> CertificateExpiration:
    if not isinstance(doc, dict):
        raise KubeadmOutputError(
            "expected a %s object of kind %s, found %s" % (output_format.upper(), OUTPUT_KIND, type(doc).__name__)
        )
    kind, api_version = doc.get("kind"), doc.get("apiVersion")
    if kind != OUTPUT_KIND:
        raise KubeadmOutputError("expected kind %s, found %s" % (OUTPUT_KIND, excerpt(str(kind))))
    if not isinstance(api_version, str) or not api_version.startswith("output.kubeadm.k8s.io/"):
        raise KubeadmOutputError("expected apiVersion %s, found %s" % (OUTPUT_API_VERSION, excerpt(str(api_version))))
    lists = []
    for key in ("certificates", "certificateAuthorities"):
        items = doc.get(key) or []
        if not isinstance(items, list):
            raise KubeadmOutputError("expected %r to be a list, found %s" % (key, type(items).__name__))
        entries = [_entry_from_object(item, "%s[%d]" % (key, position), now) for position, item in enumerate(items)]
        names = [entry.name for entry in entries]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise KubeadmOutputError("expected each name once in %r, found %s twice" % (key, excerpt(duplicates[0])))
        lists.append(entries)
    if not lists[0]:
        raise KubeadmOutputError("expected at least one entry in 'certificates', found none")
    return _result(lists[0], lists[1], output_format, True, now)


def _parse_json(lines: _Lines, now: Optional[datetime.datetime]) -> CertificateExpiration:
    text = "\n".join(line for _number, line in lines)
    decoder = json.JSONDecoder()
    start = len(text) - len(text.lstrip())
    try:
        doc, end = decoder.raw_decode(text, start)
    except ValueError as exc:
        raise KubeadmOutputError(
            "expected one JSON object from check-expiration -o json, found invalid JSON at line %d column %d (%s)"
            % (getattr(exc, "lineno", 0), getattr(exc, "colno", 0), getattr(exc, "msg", "error"))
        ) from None
    if text[end:].strip():
        raise KubeadmOutputError(
            "expected the end of the output after the JSON object, found %s"
            % excerpt(text[end:].strip().split("\n")[0])
        )
    return _from_object(doc, "json", now)


def _yaml_scalar(text: str, number: int) -> object:
    """The scalars sigs.k8s.io/yaml writes for this document (no flow collections but ``[]``)."""
    if text in ("null", "Null", "NULL", "~"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if re.match(r"^[-+]?\d+$", text):
        return int(text)
    if text == "[]":
        return []
    if text.startswith('"'):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if not isinstance(value, str):
            raise KubeadmOutputError(
                "expected a double-quoted YAML string on line %d, found %s" % (number, excerpt(text))
            )
        return value
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'") or re.search(r"(?<!')'(?!')", text[1:-1]):
            raise KubeadmOutputError(
                "expected a single-quoted YAML string on line %d, found %s" % (number, excerpt(text))
            )
        return text[1:-1].replace("''", "'")
    if text[0] in "{[&*!|>%@`#":
        raise KubeadmOutputError("expected a plain YAML scalar on line %d, found %s" % (number, excerpt(text)))
    return text


def _parse_yaml(lines: _Lines, now: Optional[datetime.datetime]) -> CertificateExpiration:
    """The YAML kubeadm writes for -o yaml: a mapping whose lists hold flat mappings (nothing else)."""
    doc: Dict[str, object] = {}
    items: Optional[List[Dict[str, object]]] = None
    item: Optional[Dict[str, object]] = None
    item_indent = -1
    content = [(number, line) for number, line in lines if line.strip()]
    if content and content[0][1] == "---":
        content = content[1:]
    for number, line in content:
        match = _YAML_KEY_RE.match(line)
        if match is None:
            raise KubeadmOutputError(
                "expected a 'key: value' line of check-expiration -o yaml on line %d, found %s"
                % (number, excerpt(line.strip()))
            )
        indent, key, value = len(match.group("indent")), match.group("key"), match.group("value")
        if match.group("dash"):  # "- key: value" opens the next list item
            if items is None:
                raise KubeadmOutputError("expected a list item only under a 'key:' line, found one on line %d" % number)
            item, item_indent = {}, indent + 2
            items.append(item)
        elif indent == 0:  # top-level key
            item, items = None, None
            if key in doc:
                raise KubeadmOutputError("expected each top-level key once, found %r again on line %d" % (key, number))
            if value is None:
                items = []
                doc[key] = items
                continue
            doc[key] = _yaml_scalar(value, number)
            continue
        elif item is None or indent != item_indent:
            raise KubeadmOutputError("expected a list item key at the item's indentation on line %d" % number)
        if value is None:
            raise KubeadmOutputError("expected a value after %r on line %d, found none" % (key, number))
        if key in item:
            raise KubeadmOutputError("expected each key once per list item, found %r again on line %d" % (key, number))
        item[key] = _yaml_scalar(value, number)
    return _from_object(doc, "yaml", now)


# ----------------------------------------------------------------------------------------------
# entry point


def parse_check_expiration(text: str, now: Optional[datetime.datetime] = None) -> CertificateExpiration:
    """``kubeadm [alpha] certs check-expiration`` output: the tables (1.15+) or ``-o json|yaml`` (1.30+).

    With ``now`` (an aware datetime) ``residual_days`` is counted from the expiry dates, else from
    the residual kubeadm printed (its clock, when it ran).
    """
    now = _check_now(now)
    lines = _lines(text)
    content = [line.strip() for _number, line in lines if line.strip()]
    first = content[0] if content else ""
    if first.startswith("{"):
        return _parse_json(lines, now)
    if first == "---" or first.split(":")[0] in _YAML_TOP_KEYS:
        return _parse_yaml(lines, now)
    return _parse_text(lines, now)

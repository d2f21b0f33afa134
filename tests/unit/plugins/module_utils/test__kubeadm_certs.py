"""kubeadm certs check-expiration: fixtures of every era, renewal thresholds, bad input, round trips.

The fixtures under fixtures/kubeadm/certs are rendered by the small kubeadm printer below (a port of
the format strings of kubeadm's check-expiration printer, of Go's text/tabwriter with kubeadm's
settings and of apimachinery's duration.ShortHumanDuration; see the README there). The first test
checks that every fixture is byte for byte what that printer makes of its FIXTURES_SPECS entry; run it
with KHA_WRITE_CERT_FIXTURES=1 to rewrite them after changing an entry.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, replace

import pytest
import yaml
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_certs import (
    CertificateExpiration,
    ExpirationEntry,
    certificates_to_renew,
    parse_check_expiration,
)
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import KubeadmOutputError
from hypothesis import given
from hypothesis import strategies as st
from kubeadm_render import FIXTURES, crlf

CERTS = FIXTURES / "certs"
UTC = datetime.timezone.utc
LEAF_VALIDITY = datetime.timedelta(hours=8760)  # kubeadm constants.CertificateValidity
CA_VALIDITY = datetime.timedelta(hours=87600)  # 10 years: kubeadm's self-signed CAs

# ------------------------------------------------------------------------------------------------
# a small kubeadm: the check-expiration printers, Go's text/tabwriter, ShortHumanDuration


def go_tabwriter(text: str, minwidth: int = 10, padding: int = 3) -> str:
    """Go ``tabwriter.NewWriter(out, 10, 4, 3, ' ', 0)`` over ``text``: Writer.format/writeLines ported.

    Cells are tab-terminated; the last cell of a line is not part of any column. A column block is a
    run of consecutive lines that have a cell in that column; its width is the widest cell plus the
    padding, at least minwidth. Empty cells are padded too, the last cell never is. (The flush that
    Go does after a line without tabs does not change the result, such a line ends every block.)
    """
    lines = [raw.split("\t") for raw in text.split("\n")]
    out: list[str] = []
    widths: list[int] = []

    def write_lines(line0: int, line1: int) -> None:
        for i in range(line0, line1):
            for j, cell in enumerate(lines[i]):
                out.append(cell)
                if j < len(widths):
                    out.append(" " * (widths[j] - len(cell)))
            if i + 1 < len(lines):
                out.append("\n")

    def format_block(line0: int, line1: int) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write_lines(line0, this)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            widths.append(width)
            format_block(line0, this)
            widths.pop()
            line0 = this
        write_lines(line0, line1)

    format_block(0, len(lines))
    return "".join(out)


def go_seconds(delta: datetime.timedelta) -> int:
    """``int(d.Seconds())`` / ``int64(d / time.Second)``: truncated towards zero."""
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros // 1_000_000 if micros >= 0 else -((-micros) // 1_000_000)


def short_human_duration(seconds: int) -> str:
    """k8s.io/apimachinery/pkg/util/duration.ShortHumanDuration."""
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60:
        return "%ds" % seconds
    if seconds // 60 < 60:
        return "%dm" % (seconds // 60)
    hours = seconds // 3600
    if hours < 24:
        return "%dh" % hours
    if hours < 24 * 365:
        return "%dd" % (hours // 24)
    return "%dy" % int(seconds / 3600 / 24 / 365)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def go_time(value: datetime.datetime) -> str:
    """``Format("Jan 02, 2006 15:04 MST")`` of a UTC time (x509 NotAfter); no locale involved."""
    value = value.astimezone(UTC)
    return "%s %02d, %04d %02d:%02d UTC" % (MONTHS[value.month - 1], value.day, value.year, value.hour, value.minute)


def rfc3339(value: datetime.datetime) -> str:
    """metav1.Time MarshalJSON: ``t.UTC().Format(time.RFC3339)``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Cert:
    name: str
    not_after: datetime.datetime | None  # None: the file is missing
    ca: str = ""  # handler.CAName; "" for kubeconfig files before 1.24 (and for CAs)
    external: bool = False


@dataclass(frozen=True)
class Spec:
    """One kubeadm run: what it found on disk, when it ran, and how the output was captured."""

    era: str  # "1.15": 4 columns, no CA table; "1.17": 5 columns + CA table; "json"; "yaml"
    ran_at: datetime.datetime
    certs: tuple[Cert, ...]
    cas: tuple[Cert, ...] = ()
    before: tuple[str, ...] = ()  # lines printed before the tables ([check-expiration] log)
    stderr: tuple[tuple[int, str], ...] = ()  # (line index, line) inserted into the rendered text
    newline: str = "\n"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def residual_of(cert: Cert, ran_at: datetime.datetime) -> str:
    return short_human_duration(go_seconds(cert.not_after - ran_at))


def render_text(spec: Spec) -> str:
    """newCmdCertsExpiration (1.15-1.29) / certTextPrinter.PrintObj (1.30+): identical format strings."""
    buf = []
    if spec.era == "1.15":
        buf.append("CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED\n")
        for cert in spec.certs:
            when, residual = go_time(cert.not_after), residual_of(cert, spec.ran_at)
            buf.append("%s\t%s\t%s\t%-8s\n" % (cert.name, when, residual, yes_no(cert.external)))
    else:
        buf.append("CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tCERTIFICATE AUTHORITY\tEXTERNALLY MANAGED\n")
        for cert in spec.certs:
            if cert.not_after is None:
                buf.append("!MISSING! %s\t\t\t\t\n" % cert.name)
                continue
            when, residual = go_time(cert.not_after), residual_of(cert, spec.ran_at)
            buf.append("%s\t%s\t%s\t%s\t%-8s\n" % (cert.name, when, residual, cert.ca, yes_no(cert.external)))
        buf.append("\n")
        buf.append("CERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED\n")
        for ca in spec.cas:
            if ca.not_after is None:
                buf.append("!MISSING! %s\t\t\t\n" % ca.name)
                continue
            buf.append(
                "%s\t%s\t%s\t%-8s\n"
                % (ca.name, go_time(ca.not_after), residual_of(ca, spec.ran_at), yes_no(ca.external))
            )
    return "".join(line + "\n" for line in spec.before) + go_tabwriter("".join(buf))


def output_object(spec: Spec) -> dict:
    """fetchCertificateExpirationInfo (1.30+) as JSON-marshalled by Go: struct field order, omitempty caName."""

    def item(cert: Cert) -> dict:
        if cert.not_after is None:
            return {
                "name": cert.name,
                "expirationDate": None,
                "residualTime": 0,
                "externallyManaged": False,
                "missing": True,
            }
        obj = {
            "name": cert.name,
            "expirationDate": rfc3339(cert.not_after),
            "residualTime": go_seconds(cert.not_after - spec.ran_at),
            "externallyManaged": cert.external,
        }
        if cert.ca:
            obj["caName"] = cert.ca
        obj["missing"] = False
        return obj

    return {
        "kind": "CertificateExpirationInfo",
        "apiVersion": "output.kubeadm.k8s.io/v1alpha3",
        "certificates": [item(cert) for cert in spec.certs],
        "certificateAuthorities": [item(ca) for ca in spec.cas],
    }


_YAML_SPECIAL = {"", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n"}


def yaml_scalar(value) -> str:
    """How go-yaml v2 (sigs.k8s.io/yaml) writes the scalars of this document."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    plain_risky = value.lower() in _YAML_SPECIAL or value[0].isdigit() or value[0] in "-.+"
    return json.dumps(value) if plain_risky or ":" in value or "#" in value else value


def render_yaml(obj: dict) -> str:
    """printers.YAMLPrinter: JSON -> YAML with sorted keys, block sequences not indented."""
    lines = []
    for key in sorted(obj):
        value = obj[key]
        if isinstance(value, list):
            if not value:
                lines.append("%s: []" % key)
                continue
            lines.append("%s:" % key)
            for item in value:
                for position, item_key in enumerate(sorted(item)):
                    lines.append("%s%s: %s" % ("- " if position == 0 else "  ", item_key, yaml_scalar(item[item_key])))
        else:
            lines.append("%s: %s" % (key, yaml_scalar(value)))
    return "\n".join(lines) + "\n"


def render(spec: Spec) -> str:
    if spec.era == "json":
        text = json.dumps(output_object(spec), indent=4) + "\n"  # json.MarshalIndent(obj, "", "    ")
    elif spec.era == "yaml":
        text = render_yaml(output_object(spec))
    else:
        text = render_text(spec)
    lines = text.split("\n")
    for index, line in sorted(spec.stderr, reverse=True):
        lines.insert(index, line)
    return spec.newline.join(lines)


# ------------------------------------------------------------------------------------------------
# the fixtures: kubeadm's certificate lists with fixed dates (README.md in the fixture directory)

LEAVES = (  # certsphase.GetDefaultCertList names and their CA (handler.CAName)
    ("apiserver", "ca"),
    ("apiserver-etcd-client", "etcd-ca"),
    ("apiserver-kubelet-client", "ca"),
    ("etcd-healthcheck-client", "etcd-ca"),
    ("etcd-peer", "etcd-ca"),
    ("etcd-server", "etcd-ca"),
    ("front-proxy-client", "front-proxy-ca"),
)
KUBECONFIGS = ("admin.conf", "controller-manager.conf", "scheduler.conf")
KUBECONFIGS_1_29 = (*KUBECONFIGS, "super-admin.conf")
CA_NAMES = ("ca", "etcd-ca", "front-proxy-ca")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def cluster(
    init: str,
    *,
    kubeconfigs=KUBECONFIGS,
    kubeconfig_ca: str = "ca",
    external_etcd: bool = False,
    overrides: dict | None = None,
) -> tuple[tuple[Cert, ...], tuple[Cert, ...]]:
    """The certificates ``kubeadm init`` at ``init`` writes (kubeconfigs 20 s later, CAs 1 s earlier)."""
    start = at(init)
    certs = [Cert(name, start + LEAF_VALIDITY, ca) for name, ca in LEAVES if not (external_etcd and "etcd" in name)]
    certs += [
        Cert(name, start + 20 * datetime.timedelta(seconds=1) + LEAF_VALIDITY, kubeconfig_ca) for name in kubeconfigs
    ]
    cas = [Cert(name, start - datetime.timedelta(seconds=1) + CA_VALIDITY) for name in CA_NAMES]
    if external_etcd:
        cas = [ca for ca in cas if ca.name != "etcd-ca"]
    for name, change in (overrides or {}).items():
        certs = [replace(c, **change) if c.name == name else c for c in certs]
        cas = [replace(c, **change) if c.name == name else c for c in cas]
    return tuple(sorted(certs, key=lambda c: c.name)), tuple(sorted(cas, key=lambda c: c.name))


LOG_OLD = (
    "[check-expiration] Reading configuration from the cluster...",
    "[check-expiration] FYI: You can look at this config file with "
    "'kubectl -n kube-system get cm kubeadm-config -oyaml'",
    "",
)
LOG = (
    "[check-expiration] Reading configuration from the cluster...",
    "[check-expiration] FYI: You can look at this config file with "
    "'kubectl -n kube-system get cm kubeadm-config -o yaml'",
    "",
)
LOG_1_32 = (
    '[check-expiration] Reading configuration from the "kubeadm-config" ConfigMap in namespace "kube-system"...',
    "[check-expiration] Use 'kubeadm init phase upload-config --config your-config.yaml' to re-upload it.",
    "",
)

_c115, _c115_cas = cluster("2019-07-01 10:00:12")
_c119 = cluster("2020-10-01 08:00:05", kubeconfig_ca="")
_c120 = cluster("2021-01-10 14:30:07", kubeconfig_ca="")
_c124 = cluster(
    "2022-06-01 10:00:00",
    overrides={
        **{name: {"external": True} for name in ("apiserver", "apiserver-kubelet-client", *KUBECONFIGS)},
        "ca": {"external": True, "not_after": at("2027-05-31 00:00:00")},
    },
)
_c128_expired = cluster(
    "2023-03-01 09:00:00",
    overrides={
        "apiserver": {"not_after": at("2025-03-05 16:00:41")},
        "apiserver-kubelet-client": {"not_after": at("2024-03-29 11:12:13")},
        "admin.conf": {"not_after": at("2024-03-06 15:40:30")},
        "controller-manager.conf": {"not_after": at("2024-03-05 16:45:10")},
        "scheduler.conf": {"not_after": at("2024-03-05 16:20:40")},
    },
)
_c128 = cluster("2024-01-15 10:58:30")
_c128_external_etcd = cluster("2023-09-04 13:14:15", external_etcd=True)
_c130_secondary = cluster(
    "2024-05-01 12:00:00",
    kubeconfigs=KUBECONFIGS_1_29,
    overrides={
        "super-admin.conf": {"not_after": None},  # only written on the node that ran kubeadm init
        "apiserver-etcd-client": {"not_after": None},
        **{name: {"not_after": at("2034-04-28 08:59:59")} for name in CA_NAMES},  # copied from the first node
    },
)
_c132 = cluster("2025-01-20 10:00:00", kubeconfigs=KUBECONFIGS_1_29)

KLOG_DNS = (
    'W0115 11:00:00.412345   23817 utils.go:69] The recommended value for "clusterDNS" in "KubeletConfiguration" '
    "is: [10.96.0.10]; the provided value is: [169.254.20.10]"
)
KLOG_OTHER = "I0115 11:00:00.498765   23817 certs.go:519] certificate check done"
KLOG_END = "E0115 11:00:00.512345   23817 proxy.go:91] unrelated stderr line after the tables"

FIXTURES_SPECS: dict[str, Spec] = {
    "1.15.check-expiration.txt": Spec("1.15", at("2019-07-15 09:30:00"), _c115),
    "1.19.check-expiration.txt": Spec("1.17", at("2021-03-10 12:00:00"), *_c119, before=LOG_OLD),
    "1.20.check-expiration.txt": Spec("1.17", at("2021-12-20 09:00:00"), *_c120),
    "1.20.check-expiration.alpha-deprecated.txt": Spec(
        "1.17",
        at("2021-12-20 09:00:00"),
        *_c120,
        before=('Command "check-expiration" is deprecated, please use the same command under "kubeadm certs"',),
    ),
    "1.24.check-expiration.external-ca.txt": Spec("1.17", at("2022-08-01 07:15:00"), *_c124, before=LOG),
    "1.28.check-expiration.some-expired.txt": Spec("1.17", at("2024-03-05 16:20:00"), *_c128_expired, before=LOG),
    "1.28.check-expiration.stderr.txt": Spec(
        "1.17",
        at("2024-01-15 11:00:00"),
        *_c128,
        before=LOG,
        stderr=((2, KLOG_DNS), (15, KLOG_OTHER), (19, KLOG_END)),
    ),
    "1.28.check-expiration.external-etcd.txt": Spec(
        "1.17", at("2024-02-01 00:00:00"), *_c128_external_etcd, before=LOG
    ),
    "1.30.check-expiration.missing.txt": Spec("1.17", at("2024-06-10 08:00:00"), *_c130_secondary, before=LOG),
    "1.30.check-expiration.json.txt": Spec("json", at("2024-06-10 08:00:00"), *_c130_secondary),
    "1.30.check-expiration.yaml.txt": Spec("yaml", at("2024-06-10 08:00:00"), *_c130_secondary),
    "1.32.check-expiration.txt": Spec("1.17", at("2025-01-20 10:05:30"), *_c132, before=LOG_1_32),
}
NAMES = sorted(FIXTURES_SPECS)
TEXT_NAMES = [name for name in NAMES if FIXTURES_SPECS[name].era in ("1.15", "1.17")]


def fixture_text(name: str) -> str:
    return (CERTS / name).read_bytes().decode("utf-8")


def ids(names):
    return [name[: -len(".txt")] for name in names]


def residual_days_of_text(residual: str) -> int:
    if residual == "<invalid>":
        return -1
    number, unit = int(residual[:-1]), residual[-1]
    return {"d": number, "y": number * 365}.get(unit, 0)


def expected_entries(spec: Spec, certs: tuple[Cert, ...], *, with_now: bool) -> list[ExpirationEntry]:
    """What the parser must return for ``certs`` of ``spec``, computed from the spec, not the text."""
    entries = []
    for cert in certs:
        if cert.not_after is None:
            entries.append(ExpirationEntry(cert.name, None, None, None, missing=True))
            continue
        structured = spec.era in ("json", "yaml")
        expires = cert.not_after if structured else cert.not_after.replace(second=0, microsecond=0)
        seconds = go_seconds(cert.not_after - spec.ran_at)
        residual = short_human_duration(seconds)
        if with_now:
            days = (expires - spec.ran_at).days
        else:
            days = seconds // 86400 if structured else residual_days_of_text(residual)
        entries.append(
            ExpirationEntry(
                cert.name,
                expires,
                residual,
                days,
                authority=(cert.ca or None) if spec.era != "1.15" else None,
                externally_managed=cert.external,
            )
        )
    return entries


# ------------------------------------------------------------------------------------------------
# every fixture


def test_fixture_directory_is_complete():
    on_disk = sorted(p.name for p in CERTS.glob("*.txt"))
    assert on_disk == NAMES
    assert (CERTS / "README.md").is_file()
    readme = (CERTS / "README.md").read_text()
    for name in NAMES:
        assert name in readme, "README.md does not describe %s" % name


@pytest.mark.parametrize("name", NAMES, ids=ids(NAMES))
def test_fixture_is_what_the_printer_prints(name):
    rendered = render(FIXTURES_SPECS[name])
    if os.environ.get("KHA_WRITE_CERT_FIXTURES"):
        CERTS.mkdir(exist_ok=True)
        (CERTS / name).write_bytes(rendered.encode("utf-8"))
    assert fixture_text(name) == rendered


@pytest.mark.parametrize("name", NAMES, ids=ids(NAMES))
@pytest.mark.parametrize("with_now", [False, True], ids=["printed-residual", "now"])
def test_fixture_parses_to_its_spec(name, with_now):
    spec = FIXTURES_SPECS[name]
    result = parse_check_expiration(fixture_text(name), now=spec.ran_at if with_now else None)
    assert list(result.certificates) == expected_entries(spec, spec.certs, with_now=with_now)
    assert list(result.authorities) == expected_entries(spec, spec.cas, with_now=with_now)
    assert result.output_format == {"1.15": "text", "1.17": "text"}.get(spec.era, spec.era)
    assert result.authorities_reported is (spec.era != "1.15")
    assert result.now == (spec.ran_at if with_now else None)
    for entry in result.certificates + result.authorities:
        assert entry.expires is None or entry.expires.utcoffset() == datetime.timedelta(0)
    json.dumps(result.to_dict())  # JSON-friendly


@pytest.mark.parametrize("name", NAMES, ids=ids(NAMES))
def test_fixture_with_crlf_bytes_and_bom(name):
    text = fixture_text(name)
    expected = parse_check_expiration(text)
    assert parse_check_expiration(crlf(text)) == expected
    assert parse_check_expiration(text.encode("utf-8")) == expected
    assert parse_check_expiration("\ufeff" + text.replace("\r\n", "\n")) == expected


def test_fixtures_really_have_their_quirks():
    assert "\r" not in fixture_text("1.32.check-expiration.txt")
    stderr = fixture_text("1.28.check-expiration.stderr.txt").split("\n")
    assert [line[:5] for line in stderr if line[:1] in "IWE" and line[1:5].isdigit()] == ["W0115", "I0115", "E0115"]
    assert stderr[stderr.index(KLOG_DNS) + 1] == ""  # before the blank line that precedes the table
    at_other = stderr.index(KLOG_OTHER)  # between the two tables
    assert stderr[at_other - 1] == "" and stderr[at_other + 1].startswith("CERTIFICATE AUTHORITY")
    assert stderr[-2:] == [KLOG_END, ""]
    assert "!MISSING! super-admin.conf" in fixture_text("1.30.check-expiration.missing.txt")
    assert fixture_text("1.20.check-expiration.alpha-deprecated.txt").startswith(
        'Command "check-expiration" is deprecated'
    )
    assert json.loads(fixture_text("1.30.check-expiration.json.txt")) == yaml.safe_load(
        fixture_text("1.30.check-expiration.yaml.txt")
    )


def test_1_15_table_has_no_authorities():
    result = parse_check_expiration(fixture_text("1.15.check-expiration.txt"))
    assert result.authorities == () and not result.authorities_reported
    assert {entry.residual for entry in result.certificates} == {"351d"}
    assert all(entry.authority is None for entry in result.certificates)
    assert result.to_dict()["authorities"] == []


def test_1_19_and_1_20_leave_the_kubeconfig_ca_empty():
    for name in ("1.19.check-expiration.txt", "1.20.check-expiration.txt"):
        result = parse_check_expiration(fixture_text(name))
        assert [e.name for e in result.certificates if e.authority is None] == list(KUBECONFIGS)
        assert result.certificate("apiserver").authority == "ca"
        assert result.authority("ca").residual == "9y"
        assert result.authority("ca").residual_days == 9 * 365


def test_some_expired_values():
    result = parse_check_expiration(fixture_text("1.28.check-expiration.some-expired.txt"))
    residuals = {entry.name: entry.residual for entry in result.certificates}
    assert residuals == {
        "admin.conf": "23h",
        "apiserver": "364d",
        "apiserver-etcd-client": "<invalid>",
        "apiserver-kubelet-client": "23d",
        "controller-manager.conf": "25m",
        "etcd-healthcheck-client": "<invalid>",
        "etcd-peer": "<invalid>",
        "etcd-server": "<invalid>",
        "front-proxy-client": "<invalid>",
        "scheduler.conf": "40s",
    }
    peer = result.certificate("etcd-peer")
    assert peer.expires == datetime.datetime(2024, 2, 29, 9, 0, tzinfo=UTC)
    assert peer.residual_days == -1 and peer.authority == "etcd-ca" and not peer.externally_managed
    assert result.authority("ca").residual == "8y"
    assert result.certificate("admin.conf").to_dict() == {
        "name": "admin.conf",
        "expires": "2024-03-06T15:40:00+00:00",
        "residual": "23h",
        "residual_days": 0,
        "authority": "ca",
        "externally_managed": False,
        "missing": False,
    }
    later = parse_check_expiration(
        fixture_text("1.28.check-expiration.some-expired.txt"), now=datetime.datetime(2024, 3, 10, tzinfo=UTC)
    )
    assert later.certificate("etcd-peer").residual_days == -10
    assert later.certificate("admin.conf").residual_days == -4
    assert later.certificate("apiserver").residual_days == 360


def test_external_ca_values():
    result = parse_check_expiration(fixture_text("1.24.check-expiration.external-ca.txt"))
    external = sorted(entry.name for entry in result.certificates if entry.externally_managed)
    assert external == [
        "admin.conf",
        "apiserver",
        "apiserver-kubelet-client",
        "controller-manager.conf",
        "scheduler.conf",
    ]
    assert result.authority("ca").externally_managed and result.authority("ca").residual == "4y"
    assert not result.authority("etcd-ca").externally_managed


def test_missing_values_text_json_yaml_agree():
    results = [
        parse_check_expiration(fixture_text("1.30.check-expiration.%s.txt" % case))
        for case in ("missing", "json", "yaml")
    ]
    for result in results:
        missing = [entry for entry in result.certificates if entry.missing]
        assert [entry.name for entry in missing] == ["apiserver-etcd-client", "super-admin.conf"]
        assert all(e.expires is None and e.residual is None and e.residual_days is None for e in missing)
        assert result.certificate("super-admin.conf").to_dict()["expires"] is None
        assert [entry.residual for entry in result.authorities] == ["9y", "9y", "9y"]
    text, from_json, from_yaml = results
    assert from_json.certificates == from_yaml.certificates and from_json.authorities == from_yaml.authorities
    # the table has minute precision and day-rounded residuals; -o json has seconds
    assert text.certificate("apiserver").expires == datetime.datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    assert from_json.certificate("apiserver").residual == text.certificate("apiserver").residual == "325d"
    assert [e.name for e in text.certificates] == [e.name for e in from_json.certificates]


def test_external_etcd_rows_are_absent():
    result = parse_check_expiration(fixture_text("1.28.check-expiration.external-etcd.txt"))
    assert [entry.name for entry in result.certificates] == [
        "admin.conf",
        "apiserver",
        "apiserver-kubelet-client",
        "controller-manager.conf",
        "front-proxy-client",
        "scheduler.conf",
    ]
    assert [entry.name for entry in result.authorities] == ["ca", "front-proxy-ca"]


def test_to_dict_shape():
    result = parse_check_expiration(fixture_text("1.32.check-expiration.txt"), now=at("2025-01-20 10:05:30"))
    data = json.loads(json.dumps(result.to_dict()))
    assert sorted(data) == ["authorities", "authorities_reported", "certificates", "format", "now"]
    assert data["format"] == "text" and data["now"] == "2025-01-20T10:05:30+00:00"
    assert data["authorities"][0] == {
        "name": "ca",
        "expires": "2035-01-18T09:59:00+00:00",
        "residual": "9y",
        "residual_days": 3649,
        "authority": None,
        "externally_managed": False,
        "missing": False,
    }
    assert [c["name"] for c in data["certificates"]][-1] == "super-admin.conf"


# ------------------------------------------------------------------------------------------------
# what to renew

ALL_1_32 = [
    "admin.conf",
    "apiserver",
    "apiserver-etcd-client",
    "apiserver-kubelet-client",
    "controller-manager.conf",
    "etcd-healthcheck-client",
    "etcd-peer",
    "etcd-server",
    "front-proxy-client",
    "scheduler.conf",
    "super-admin.conf",
]
EXPIRED_1_28 = ["apiserver-etcd-client", "etcd-healthcheck-client", "etcd-peer", "etcd-server", "front-proxy-client"]
SOON_1_28 = [*EXPIRED_1_28, "admin.conf", "apiserver-kubelet-client", "controller-manager.conf", "scheduler.conf"]
PRESENT_1_30 = [name for name in ALL_1_32 if name not in ("apiserver-etcd-client", "super-admin.conf")]
LOCAL_1_24 = ["apiserver-etcd-client", "etcd-healthcheck-client", "etcd-peer", "etcd-server", "front-proxy-client"]

ALL_1_20 = sorted([*(name for name, _ca in LEAVES), *KUBECONFIGS])

RENEW_CASES = [  # threshold in days -> what kubeadm certs renew should get
    (
        "1.28.check-expiration.some-expired.txt",
        {0: EXPIRED_1_28, 30: SOON_1_28, 365: ALL_1_20, 10000: ALL_1_20},
    ),
    ("1.32.check-expiration.txt", {0: [], 30: [], 365: ALL_1_32, 10000: ALL_1_32}),
    ("1.30.check-expiration.missing.txt", {0: [], 30: [], 365: PRESENT_1_30, 10000: PRESENT_1_30}),
    ("1.30.check-expiration.json.txt", {0: [], 30: [], 365: PRESENT_1_30, 10000: PRESENT_1_30}),
    ("1.30.check-expiration.yaml.txt", {0: [], 30: [], 365: PRESENT_1_30, 10000: PRESENT_1_30}),
    ("1.24.check-expiration.external-ca.txt", {0: [], 30: [], 365: LOCAL_1_24, 10000: LOCAL_1_24}),
    ("1.20.check-expiration.txt", {0: [], 30: ALL_1_20, 365: ALL_1_20, 10000: ALL_1_20}),
    ("1.19.check-expiration.txt", {0: [], 30: [], 365: ALL_1_20, 10000: ALL_1_20}),
    ("1.15.check-expiration.txt", {0: [], 30: [], 365: ALL_1_20, 10000: ALL_1_20}),
]


@pytest.mark.parametrize(("name", "expected"), RENEW_CASES, ids=ids([case[0] for case in RENEW_CASES]))
def test_certificates_to_renew(name, expected):
    result = parse_check_expiration(fixture_text(name))
    assert sorted(expected) == [0, 30, 365, 10000]
    for threshold, want in expected.items():
        assert sorted(certificates_to_renew(result, threshold)) == sorted(want), threshold
    in_order = [entry.name for entry in result.certificates if entry.name in expected[10000]]
    assert certificates_to_renew(result, 10000) == in_order  # in kubeadm's order
    assert certificates_to_renew(result, -5) == []
    assert not set(certificates_to_renew(result, 10**6)) & {e.name for e in result.authorities}  # never a CA


def test_renew_threshold_with_now():
    text = fixture_text("1.32.check-expiration.txt")
    later = parse_check_expiration(text, now=datetime.datetime(2026, 1, 1, tzinfo=UTC))
    assert certificates_to_renew(later, 30) == ALL_1_32  # 19 days left
    assert certificates_to_renew(later, 19) == []
    assert certificates_to_renew(later, 20) == ALL_1_32
    expired = parse_check_expiration(text, now=datetime.datetime(2026, 1, 20, 10, 1, tzinfo=UTC))
    assert certificates_to_renew(expired, 0) == ALL_1_32
    offset = datetime.timezone(datetime.timedelta(hours=-5))
    assert parse_check_expiration(text, now=datetime.datetime(2025, 12, 31, 19, tzinfo=offset)) == replace(
        later, now=datetime.datetime(2025, 12, 31, 19, tzinfo=offset)
    )


@pytest.mark.parametrize("threshold", ["30", 30.0, True, None])
def test_renew_threshold_must_be_an_int(threshold):
    result = parse_check_expiration(fixture_text("1.32.check-expiration.txt"))
    with pytest.raises(KubeadmOutputError, match="whole number of days"):
        certificates_to_renew(result, threshold)


@pytest.mark.parametrize("now", [datetime.datetime(2025, 1, 1), "2025-01-01T00:00:00Z", 1735689600])
def test_now_must_be_an_aware_datetime(now):
    with pytest.raises(KubeadmOutputError, match="datetime"):
        parse_check_expiration(fixture_text("1.32.check-expiration.txt"), now=now)


# ------------------------------------------------------------------------------------------------
# bad input


def _text(name: str = "1.28.check-expiration.some-expired.txt") -> str:
    return fixture_text(name)


def _edit(old: str, new: str, name: str = "1.28.check-expiration.some-expired.txt") -> str:
    text = _text(name)
    assert old in text
    return text.replace(old, new, 1)


def _json_edit(change) -> str:
    obj = json.loads(_text("1.30.check-expiration.json.txt"))
    change(obj)
    return json.dumps(obj, indent=4)


def _first_lines(count: int, name: str = "1.28.check-expiration.some-expired.txt") -> str:
    return "".join(_text(name).splitlines(keepends=True)[:count])


NEGATIVE = [
    ("empty", "", "expected kubeadm certs check-expiration output, found no text"),
    ("blank", "\n  \n\t\n", "found no text"),
    ("only-log-lines", lambda: "\n".join(LOG), "found the end of the output (failed or truncated run?)"),
    ("unrelated", 'Error: unknown command "check-expiration"\n', "starting with the header"),
    (
        "token-list",
        "TOKEN   TTL   EXPIRES\nabcdef.0123456789abcdef   23h   2030-01-01T00:00:00Z\n",
        "found 'TOKEN   TTL",
    ),
    ("header-only", lambda: _first_lines(4), "expected at least one row under the CERTIFICATE table header"),
    (
        "no-ca-table",
        lambda: _first_lines(15),
        "expected the CERTIFICATE AUTHORITY table after the certificates, found the end",
    ),
    ("ca-header-only", lambda: _first_lines(16), "at least one row under the CERTIFICATE AUTHORITY table header"),
    ("ca-table-cut", lambda: _first_lines(18), "expected the CA 'front-proxy-ca' of 'front-proxy-client' among"),
    ("bad-day", lambda: _edit("Mar 05, 2024 16:20 UTC", "Mar 32, 2024 16:20 UTC"), "expected a valid calendar time"),
    (
        "bad-month",
        lambda: _edit("Mar 05, 2024 16:20 UTC", "Mrz 05, 2024 16:20 UTC"),
        "expected an expiry time like 'Dec 01, 2027 10:00 UTC'",
    ),
    (
        "iso-date",
        lambda: _edit("Mar 05, 2024 16:20 UTC", "2024-03-05T16:20:40Z  x x x x"),
        "expected an expiry time like",
    ),
    (
        "not-utc",
        lambda: _edit("Mar 05, 2024 16:20 UTC", "Mar 05, 2024 16:20 CET"),
        "in UTC like 'Dec 01, 2027 10:00 UTC', found the zone 'CET'",
    ),
    (
        "bad-residual",
        lambda: _edit("   40s   ", "   40x   "),
        "expected a residual time like 364d, 23h, 9y or <invalid>, found '40x'",
    ),
    (
        "bad-yes-no",
        lambda: _edit(
            "ca                      no      \netcd-healthcheck", "ca                      maybe   \netcd-healthcheck"
        ),
        "expected 'yes' or 'no' in the EXTERNALLY MANAGED column, found 'maybe'",
    ),
    (
        "row-cut-short",
        lambda: _edit("   23h             ca                      no", "   23h"),
        "found 7 words in the CERTIFICATE row on line 5",
    ),
    (
        "row-too-long",
        lambda: _edit("   23h             ca                      no", "   23h   ca   extra   no"),
        "found 10 words in the CERTIFICATE row on line 5",
    ),
    (
        "ca-in-1.15-table",
        lambda: _edit("351d            no", "351d   ca   no", "1.15.check-expiration.txt"),
        "found 9 words in the CERTIFICATE row on line 2",
    ),
    (
        "bad-name",
        lambda: _edit("\nadmin.conf ", "\n$admin.conf "),
        "expected a certificate name like apiserver or admin.conf, found '$admin.conf'",
    ),
    (
        "duplicate-row",
        lambda: _edit("admin.conf", "apiserver"),
        "expected each name once in the CERTIFICATE table, found 'apiserver' on lines 5 and 6",
    ),
    (
        "trailing-text",
        lambda: _text() + "\nDone. Have a nice day\n",
        "expected the end of the output after the tables, found 'Done. Have a nice day' on line 21",
    ),
    (
        "trailing-row",
        lambda: _text() + "Done. Have a nice day\n",
        "EXTERNALLY MANAGED, found 5 words in the CERTIFICATE AUTHORITY row on line 20",
    ),
    (
        "wrong-second-header",
        lambda: _edit("CERTIFICATE AUTHORITY   EXPIRES", "CA   EXPIRES"),
        "expected the CERTIFICATE AUTHORITY table after the certificates, found 'CA   EXPIRES",
    ),
    ("binary", "CERTIFICATE\x00EXPIRES\n", "found binary data (control character '\\x00' on line 1)"),
    ("undecodable", b"\xff\xfe\x00C", "undecodable bytes"),
    ("not-text", 42, "found a value of type int"),
    ("json-invalid", lambda: _text("1.30.check-expiration.json.txt")[:-40], "found invalid JSON at line"),
    ("json-trailing", lambda: _text("1.30.check-expiration.json.txt") + "{}\n", "after the JSON object, found '{}'"),
    (
        "json-kind",
        lambda: _json_edit(lambda o: o.update(kind="UpgradePlan")),
        "expected kind CertificateExpirationInfo, found 'UpgradePlan'",
    ),
    (
        "json-api-version",
        lambda: _json_edit(lambda o: o.update(apiVersion="v1")),
        "expected apiVersion output.kubeadm.k8s.io/v1alpha3, found 'v1'",
    ),
    (
        "json-not-list",
        lambda: _json_edit(lambda o: o.update(certificates={"a": 1})),
        "expected 'certificates' to be a list, found dict",
    ),
    (
        "json-empty",
        lambda: _json_edit(lambda o: o.update(certificates=[])),
        "expected at least one entry in 'certificates', found none",
    ),
    (
        "json-no-date",
        lambda: _json_edit(lambda o: o["certificates"][0].update(expirationDate=None)),
        "expected 'expirationDate' to be an RFC 3339 time in certificates[0] (admin.conf), found null",
    ),
    (
        "json-bad-date",
        lambda: _json_edit(lambda o: o["certificates"][1].update(expirationDate="May 1")),
        "expected an RFC 3339 time like 2024-01-02T03:04:05Z, found 'May 1' in certificates[1] (apiserver)",
    ),
    (
        "json-residual",
        lambda: _json_edit(lambda o: o["certificates"][0].update(residualTime="325d")),
        "expected 'residualTime' to be a whole number of seconds in certificates[0] (admin.conf), found str",
    ),
    (
        "json-bool",
        lambda: _json_edit(lambda o: o["certificateAuthorities"][0].update(externallyManaged="no")),
        "expected 'externallyManaged' to be true or false in certificateAuthorities[0] (ca), found str",
    ),
    (
        "json-name",
        lambda: _json_edit(lambda o: o["certificates"][0].pop("name")),
        "found a value of type NoneType in certificates[0]",
    ),
    (
        "json-duplicate",
        lambda: _json_edit(lambda o: o["certificates"].append(o["certificates"][0])),
        "expected each name once in 'certificates', found 'admin.conf' twice",
    ),
    (
        "json-ca-cut",
        lambda: _json_edit(lambda o: o["certificateAuthorities"].pop()),
        "of 'front-proxy-client' among the certificate authorities, found only ca, etcd-ca",
    ),
    ("json-array", "[]\n", "starting with the header"),
    (
        "yaml-flow",
        lambda: _text("1.30.check-expiration.yaml.txt").replace("missing: false", "missing: {a: 1}", 1),
        "expected a plain YAML scalar on line 5, found '{a: 1}'",
    ),
    (
        "yaml-nested",
        lambda: _text("1.30.check-expiration.yaml.txt").replace("  missing: false", "  missing:\n    deep: 1", 1),
        "expected a value after 'missing' on line 5, found none",
    ),
    (
        "yaml-garbage",
        lambda: _text("1.30.check-expiration.yaml.txt") + "this is not yaml\n",
        "expected a 'key: value' line of check-expiration -o yaml on line 84, found 'this is not yaml'",
    ),
    (
        "yaml-cut",
        lambda: _text("1.30.check-expiration.yaml.txt").rsplit("kind:", 1)[0],
        "expected kind CertificateExpirationInfo, found 'None'",
    ),
    (
        "yaml-bad-string",
        lambda: _text("1.30.check-expiration.yaml.txt").replace('"2034-04-28T08:59:59Z"', '"2034-04-28T08:59:59Z', 1),
        "expected a double-quoted YAML string on line 3",
    ),
]


@pytest.mark.parametrize(("text", "message"), [case[1:] for case in NEGATIVE], ids=[case[0] for case in NEGATIVE])
def test_negative(text, message):
    with pytest.raises(KubeadmOutputError) as info:
        parse_check_expiration(text() if callable(text) else text)
    assert message in str(info.value)
    assert len(str(info.value)) < 300  # short


def test_error_is_a_value_error():
    assert issubclass(KubeadmOutputError, ValueError)


# ------------------------------------------------------------------------------------------------
# properties

names = st.from_regex(r"\A[a-z][a-z0-9-]{0,24}(\.conf)?\Z", fullmatch=True)
authority_names = st.one_of(st.sampled_from(CA_NAMES), st.from_regex(r"\A[a-z][a-z0-9-]{0,15}\Z", fullmatch=True))
offsets = st.one_of(
    st.integers(-120, 120),  # around "now": 0s, <invalid>
    st.integers(-4 * 365 * 86400, 12 * 365 * 86400),
    st.sampled_from([59, 60, 3599, 3600, 86399, 86400, 365 * 86400 - 1, 365 * 86400, 10 * 365 * 86400]),
)
ran_ats = st.datetimes(
    min_value=datetime.datetime(2019, 1, 1), max_value=datetime.datetime(2040, 1, 1), timezones=st.just(UTC)
)


@st.composite
def specs(draw):
    era = draw(st.sampled_from(["1.15", "1.17", "json", "yaml"]))
    ran_at = draw(ran_ats)

    def cert(name, ca, *, can_be_missing):
        if can_be_missing and draw(st.integers(0, 9)) == 0:
            return Cert(name, None, ca)
        not_after = (ran_at + datetime.timedelta(seconds=draw(offsets))).replace(microsecond=0)  # x509: seconds
        return Cert(name, not_after, ca, draw(st.booleans()))

    cert_names = draw(st.lists(names, min_size=1, max_size=12, unique=True))
    ca_of = {name: ("" if era == "1.15" else draw(st.one_of(st.just(""), authority_names))) for name in cert_names}
    certs = tuple(cert(name, ca_of[name], can_be_missing=era != "1.15") for name in cert_names)
    cas = ()
    if era != "1.15":
        # kubeadm's CA table is never empty (ca and front-proxy-ca sign certificates in every setup)
        ca_names = sorted(
            set(draw(st.lists(authority_names, min_size=1, max_size=3))) | {c for c in ca_of.values() if c}
        )
        cas = tuple(cert(name, "", can_be_missing=True) for name in ca_names)
    before = () if era in ("json", "yaml") else draw(st.sampled_from([(), LOG_OLD, LOG, LOG_1_32]))
    return Spec(era, ran_at, certs, cas, before=before, newline=draw(st.sampled_from(["\n", "\r\n"])))


@given(spec=specs(), with_now=st.booleans())
def test_rendered_output_round_trip(spec, with_now):
    text = render(spec)
    result = parse_check_expiration(text, now=spec.ran_at if with_now else None)
    assert list(result.certificates) == expected_entries(spec, spec.certs, with_now=with_now)
    assert list(result.authorities) == expected_entries(spec, spec.cas, with_now=with_now)
    if spec.era == "yaml":  # the YAML is YAML: PyYAML reads the same document as our reader
        assert yaml.safe_load(text) == output_object(spec)


@given(spec=specs(), data=st.data())
def test_klog_lines_anywhere_are_ignored(spec, data):
    text = render(spec)
    lines = text.split(spec.newline)
    for _round in range(data.draw(st.integers(1, 3))):
        index = data.draw(st.integers(0, len(lines)))
        lines.insert(index, data.draw(st.sampled_from([KLOG_DNS, KLOG_OTHER, KLOG_END, "\t[WARNING Foo]: bar"])))
    assert parse_check_expiration(spec.newline.join(lines)) == parse_check_expiration(text)


@given(text=st.text())
def test_arbitrary_text_raises_only_our_error(text):
    try:
        result = parse_check_expiration(text)
    except KubeadmOutputError:
        return
    assert isinstance(result, CertificateExpiration) and result.certificates


@given(data=st.data(), text=st.sampled_from(NAMES).map(fixture_text))
def test_damaged_fixtures_raise_only_our_error(data, text):
    lines = text.split("\n")
    for _round in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["drop", "dup", "cut", "char", "insert", "swap"]))
        if not lines:
            break
        index = data.draw(st.integers(0, len(lines) - 1))
        if action == "drop":
            del lines[index]
        elif action == "dup":
            lines.insert(index, lines[index])
        elif action == "cut":
            lines = [*lines[:index], lines[index][: data.draw(st.integers(0, len(lines[index])))]]
        elif action == "char" and lines[index]:
            pos = data.draw(st.integers(0, len(lines[index]) - 1))
            lines[index] = lines[index][:pos] + data.draw(st.characters()) + lines[index][pos + 1 :]
        elif action == "insert":
            lines.insert(index, data.draw(st.text(max_size=40)))
        elif action == "swap" and len(lines) > 1:
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[index], lines[other] = lines[other], lines[index]
    try:
        result = parse_check_expiration("\n".join(lines))
    except KubeadmOutputError:
        return
    assert result.certificates


# the 1.15-1.16 table has nothing to tell a table cut at a line end from a shorter list
TRUNCATION_NAMES = [name for name in NAMES if FIXTURES_SPECS[name].era != "1.15"]


@pytest.mark.parametrize("name", TRUNCATION_NAMES, ids=ids(TRUNCATION_NAMES))
def test_every_truncation_raises_or_gives_the_full_result(name):
    text = fixture_text(name)
    full = parse_check_expiration(text)
    for cut in range(len(text)):
        try:
            result = parse_check_expiration(text[:cut])
        except KubeadmOutputError:
            continue
        assert result == full, "prefix of %d characters parsed to a different result" % cut


def test_renderer_matches_kubeadm_column_layout():
    """Column widths as in kubeadm's output: widest cell + 3, at least 10; last cell unpadded."""
    table = go_tabwriter("A\tBB\tlast\nlong-name-here\tx\tyes     \n\nONE\tTWO\n")
    assert table.split("\n") == [
        "A                BB        last",
        "long-name-here   x         yes     ",
        "",
        "ONE       TWO",
        "",
    ]
    assert go_tabwriter("!MISSING! x\t\t\t\t\n") == "!MISSING! x" + " " * (14 - 11 + 30) + "\n"
    assert [short_human_duration(s) for s in (-2, -1, 0, 59, 60, 3599, 3600, 86399, 86400)] == [
        "<invalid>",
        "0s",
        "0s",
        "59s",
        "1m",
        "59m",
        "1h",
        "23h",
        "1d",
    ]
    assert short_human_duration(365 * 86400 - 1) == "364d" and short_human_duration(10 * 365 * 86400 - 1) == "9y"
    assert go_seconds(datetime.timedelta(seconds=-1.5)) == -1

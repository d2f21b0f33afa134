# Copyright (c) kubeadm_ha.cluster developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsers for what kubeadm prints, into typed results (private, pure).

Handled (every era from 1.13 to 1.32+, see tests/unit/fixtures/kubeadm):

* ``kubeadm init`` stdout, with or without the ``[phase]`` log lines: :func:`parse_init_output`;
  just the log lines (``--skip-phases=show-join-command``): :func:`parse_init_log`;
* a join command (``kubeadm token create --print-join-command [--certificate-key K]`` or a bare
  command copied from the success message): :func:`parse_join_command`;
* ``kubeadm init phase upload-certs --upload-certs``: :func:`parse_upload_certs_output`;
* ``kubeadm token list`` as a table or as the ``-o json`` stream of objects: :func:`parse_token_list`;
* ``kubeadm certs certificate-key``: :func:`parse_certificate_key_output`;
* ``kubeadm token create``: :func:`parse_token_create_output`;
* any of the above, detected: :func:`parse_kubeadm_output` (what the filter plugin uses).

Input may be stdout and stderr combined: kubeadm's stderr lines (klog ``W0421 19:48:20.589989
631 file.go:12] ...``, preflight ``\\t[WARNING Name]: ...``, flag/command deprecation notices) are
dropped wherever they appear. CRLF, trailing whitespace, and both continuation styles (4 spaces or
a TAB after `` \\``) are accepted.

Every parser raises :class:`KubeadmOutputError` and nothing else for input that is not valid
kubeadm output, with a message that says what was expected and what was found (secrets
redacted); it never returns a partially filled result.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field

from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import (
    WITHHELD,
    Endpoint,
    KubeadmOutputError,
    excerpt,
    normalize_ca_cert_hash,
    normalize_certificate_key,
    normalize_token,
    parse_endpoint,
    parse_rfc3339,
)

__all__ = [
    "CONTROL_PLANE_FLAGS",
    "BootstrapToken",
    "InitLog",
    "InitOutput",
    "JoinCommand",
    "JoinMaterial",
    "UploadCertsOutput",
    "build_join_argv",
    "parse_certificate_key_output",
    "parse_init_log",
    "parse_init_output",
    "parse_join_command",
    "parse_kubeadm_output",
    "parse_token_create_output",
    "parse_token_list",
    "parse_upload_certs_output",
]

#: The two spellings of the control-plane join flag: 1.14 (and 1.15.0 in its message) used the
#: experimental one, which was removed in 1.16.
CONTROL_PLANE_FLAGS = ("--control-plane", "--experimental-control-plane")

_NOISE_RES = (
    # klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
    re.compile(r"^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+\s+\S+:\d+\]"),
    # preflight warnings (stderr); ERROR lines only appear when init failed
    re.compile(r"^\s*\[WARNING [^\]]*\]:"),
    re.compile(r"^Flag --\S+ has been deprecated"),
    re.compile(r'^Command "[^"]+" is deprecated'),
)
_CONTROL_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SUCCESS_RE = re.compile(r"^Your Kubernetes (?:master|control-plane) has initialized successfully!$")
_TOKEN_LOG_RE = re.compile(r"^\[bootstrap-?token\] (?i:using token):\s*(?P<token>\S+)$")
_TOKENS_LOG_RE = re.compile(r"^\[bootstrap-?token\] (?i:using tokens):\s*\[(?P<tokens>[^\]]*)\]$")
_KEY_LOG_RE = re.compile(r"^\[upload-certs\] Using certificate key:\s*(?P<key>\S*)$")
_UPLOAD_STORED_RE = re.compile(r"^\[upload-certs\] Storing the certificates in (?:Secret|ConfigMap) ")
_UPLOAD_SKIPPED_RE = re.compile(r"^\[upload-certs\] Skipping phase\.")
_WORKER_INTRO_RE = re.compile(
    r"^(?:Then you can join any number of worker nodes|You can now join any number of machines) by running"
)
_CP_INTRO_RE = re.compile(r"^You can now join any number of (?:the )?control-plane nodes?\b")
_PHASE_LINE_RE = re.compile(r"^\[([a-z][a-z0-9-]*)\] ")
_WITHHELD_WORD = "\x00withheld\x00"  # control characters never survive _lines(), so no collision


# ----------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class JoinCommand:
    """One ``kubeadm join`` command as kubeadm printed it."""

    api_endpoint: Endpoint
    token: str | None  # None only when withheld
    ca_cert_hashes: tuple[str, ...]
    control_plane_flag: str | None = None
    certificate_key: str | None = None
    token_withheld: bool = False
    certificate_key_withheld: bool = False

    @property
    def control_plane(self) -> bool:
        return self.control_plane_flag is not None

    def argv(self, kubeadm: str = "kubeadm") -> list[str] | None:
        """The command as an argv list; None when kubeadm withheld a value it needs."""
        if self.token is None or self.certificate_key_withheld:
            return None
        return build_join_argv(
            self.api_endpoint,
            self.token,
            self.ca_cert_hashes,
            control_plane_flag=self.control_plane_flag,
            certificate_key=self.certificate_key,
            kubeadm=kubeadm,
        )


@dataclass(frozen=True)
class InitLog:
    """What the ``[phase]`` log lines of ``kubeadm init`` (or of its upload-certs phase) reveal."""

    tokens: tuple[str, ...] = ()
    certificate_key: str | None = None
    #: True: ``Storing the certificates``; False: ``Skipping phase``; None: no upload-certs line.
    certificates_uploaded: bool | None = None


@dataclass(frozen=True)
class InitOutput:
    """The join material in ``kubeadm init`` output (one success message per bootstrap token)."""

    api_endpoint: Endpoint
    tokens: tuple[str, ...]
    ca_cert_hashes: tuple[str, ...]
    certificate_key: str | None
    control_plane_flag: str | None  # None when no control-plane command was printed
    token_withheld: bool
    certificate_key_withheld: bool
    certificates_uploaded: bool | None
    commands: tuple[JoinCommand, ...]


@dataclass(frozen=True)
class UploadCertsOutput:
    """``kubeadm init phase upload-certs`` output."""

    certificate_key: str | None  # None: skipped, or --skip-certificate-key-print
    certificates_uploaded: bool
    certificate_key_withheld: bool


@dataclass(frozen=True)
class BootstrapToken:
    """One row/object of ``kubeadm token list``."""

    token: str
    expires: datetime.datetime | None  # None: never expires
    usages: tuple[str, ...]
    groups: tuple[str, ...]
    description: str = ""
    ttl: str | None = None  # as printed (table: "23h", "<forever>"; json: "24h0m0s"), informative only

    def remaining(self, now: datetime.datetime) -> datetime.timedelta | None:
        """Time left at ``now`` (aware datetime); None when the token never expires."""
        if self.expires is None:
            return None
        return self.expires - now

    def to_dict(self) -> dict:
        return {
            "token": self.token,
            "ttl": self.ttl,
            "expires": None if self.expires is None else self.expires.isoformat(),
            "usages": list(self.usages),
            "groups": list(self.groups),
            "description": self.description,
        }


@dataclass(frozen=True)
class JoinMaterial:
    """What any kubeadm output tells about joining, in one shape (used by the filter)."""

    kind: str  # init | join-command | upload-certs | token-list | certificate-key | token
    api_endpoint: Endpoint | None = None
    tokens: tuple[str, ...] = ()
    ca_cert_hashes: tuple[str, ...] = ()
    certificate_key: str | None = None
    control_plane_flag: str | None = None
    token_withheld: bool = False
    certificate_key_withheld: bool = False
    certificates_uploaded: bool | None = None
    bootstrap_tokens: tuple[BootstrapToken, ...] = field(default=())

    def worker_join(self, kubeadm: str = "kubeadm") -> list[str] | None:
        """Worker join argv with the first token; None when something it needs is missing/withheld."""
        if self.api_endpoint is None or not self.tokens or not self.ca_cert_hashes:
            return None
        return build_join_argv(self.api_endpoint, self.tokens[0], self.ca_cert_hashes, kubeadm=kubeadm)

    def control_plane_join(self, kubeadm: str = "kubeadm") -> list[str] | None:
        """Control-plane join argv (with ``--certificate-key`` when known); None when not printed."""
        if self.control_plane_flag is None or self.certificate_key_withheld or self.worker_join() is None:
            return None
        return build_join_argv(  # api_endpoint is set: worker_join() checked it
            self.api_endpoint,
            self.tokens[0],
            self.ca_cert_hashes,
            control_plane_flag=self.control_plane_flag,
            certificate_key=self.certificate_key,
            kubeadm=kubeadm,
        )

    @classmethod
    def from_init(cls, init: InitOutput) -> JoinMaterial:
        """The join material of a parsed ``kubeadm init`` output."""
        return cls(
            kind="init",
            api_endpoint=init.api_endpoint,
            tokens=init.tokens,
            ca_cert_hashes=init.ca_cert_hashes,
            certificate_key=init.certificate_key,
            control_plane_flag=init.control_plane_flag,
            token_withheld=init.token_withheld,
            certificate_key_withheld=init.certificate_key_withheld,
            certificates_uploaded=init.certificates_uploaded,
        )

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "api_endpoint": None if self.api_endpoint is None else str(self.api_endpoint),
            "tokens": list(self.tokens),
            "ca_cert_hashes": list(self.ca_cert_hashes),
            "certificate_key": self.certificate_key,
            "control_plane_flag": self.control_plane_flag,
            "worker_join": self.worker_join(),
            "control_plane_join": self.control_plane_join(),
            "token_withheld": self.token_withheld,
            "certificate_key_withheld": self.certificate_key_withheld,
            "certificates_uploaded": self.certificates_uploaded,
            "bootstrap_tokens": [token.to_dict() for token in self.bootstrap_tokens],
        }


# ----------------------------------------------------------------------------------------------
# building


def build_join_argv(
    api_endpoint: Endpoint | str,
    token: str,
    ca_cert_hashes: tuple[str, ...] | list[str],
    *,
    control_plane_flag: str | None = None,
    certificate_key: str | None = None,
    kubeadm: str = "kubeadm",
) -> list[str]:
    """A ``kubeadm join`` argv in the order kubeadm prints it; every value is validated."""
    endpoint = api_endpoint if isinstance(api_endpoint, Endpoint) else parse_endpoint(api_endpoint)
    hashes = _unique(normalize_ca_cert_hash(h) for h in ca_cert_hashes)
    if not hashes:
        raise KubeadmOutputError("expected at least one CA certificate hash for a join command, found none")
    argv = [kubeadm, "join", str(endpoint), "--token", normalize_token(token)]
    for ca_hash in hashes:
        argv += ["--discovery-token-ca-cert-hash", ca_hash]
    if control_plane_flag is not None:
        if control_plane_flag not in CONTROL_PLANE_FLAGS:
            raise KubeadmOutputError(
                "expected --control-plane or --experimental-control-plane, found %s" % excerpt(control_plane_flag)
            )
        argv.append(control_plane_flag)
        if certificate_key is not None:
            argv += ["--certificate-key", normalize_certificate_key(certificate_key)]
    elif certificate_key is not None:
        raise KubeadmOutputError("expected a control-plane flag with a certificate key, found none")
    return argv


# ----------------------------------------------------------------------------------------------
# lexing


def _unique(values) -> tuple:
    seen: list = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return tuple(seen)


def _lines(text: object) -> list[tuple[int, str]]:
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
    result = []
    for number, line in enumerate(text.split("\n"), 1):
        if any(regex.match(line) for regex in _NOISE_RES):
            continue
        result.append((number, line.rstrip()))
    return result


def _end_or_blank(lines: list[tuple[int, str]], index: int) -> str:
    if all(not line.strip() for _n, line in lines[index:]):
        return "the end of the output"
    return "a blank line"


def _looks_like_json(line: str) -> bool:
    """``{...`` or ``[{...``/``[]``, but not a ``[phase] log line``."""
    stripped = line.strip()
    return stripped.startswith("{") or re.match(r"^\[\s*(?:\{|\]|$)", stripped) is not None


def _is_join_start(line: str) -> bool:
    stripped = line.strip()
    return stripped == "kubeadm join" or re.match(r"^kubeadm join[\s\\]", stripped) is not None


def _collect_commands(lines: list[tuple[int, str]]) -> list[tuple[int, int, int, str]]:
    """Every join command: (first line number, first and last index in lines, text with continuations joined)."""
    commands = []
    index = 0
    while index < len(lines):
        number, line = lines[index]
        if _is_join_start(line):
            start = index
            current = line.strip()
            parts = []
            while current.endswith("\\"):
                parts.append(current[:-1])
                index += 1
                if index >= len(lines) or not lines[index][1].strip():
                    raise KubeadmOutputError(
                        "expected the join command starting on line %d to continue after its trailing '\\', "
                        "found %s (truncated output?)" % (number, _end_or_blank(lines, index))
                    )
                current = lines[index][1].strip()
            parts.append(current)
            commands.append((number, start, index, " ".join(parts)))
        index += 1
    return commands


def _join_words(text: str) -> list[str]:
    return text.replace(WITHHELD, _WITHHELD_WORD).split()


def _parse_command_text(text: str, number: int) -> JoinCommand:
    where = "in the join command on line %d" % number
    words = _join_words(text)
    if words[:2] != ["kubeadm", "join"]:
        raise KubeadmOutputError("expected 'kubeadm join' %s, found %s" % (where, excerpt(text)))
    endpoint = None
    token = None
    token_withheld = False
    hashes: list[str] = []
    flag = None
    key = None
    key_withheld = False
    index = 2
    while index < len(words):
        word = words[index]
        if word.startswith("--"):
            name, equals, value = word.partition("=")
            if name in ("--token", "--discovery-token-ca-cert-hash", "--certificate-key"):
                if not equals:
                    index += 1
                    if index >= len(words):
                        raise KubeadmOutputError(
                            "expected a value after %s %s, found the end of the command (truncated output?)"
                            % (name, where)
                        )
                    value = words[index]
                if value.startswith("--"):
                    raise KubeadmOutputError("expected a value after %s %s, found the flag %s" % (name, where, value))
                if name == "--token":
                    if token is not None or token_withheld:
                        raise KubeadmOutputError("expected one --token %s, found several" % where)
                    if value == _WITHHELD_WORD:
                        token_withheld = True
                    else:
                        try:
                            token = normalize_token(value)
                        except KubeadmOutputError as exc:
                            raise KubeadmOutputError("%s %s" % (exc, where)) from None
                elif name == "--certificate-key":
                    if key is not None or key_withheld:
                        raise KubeadmOutputError("expected one --certificate-key %s, found several" % where)
                    if value == _WITHHELD_WORD:
                        key_withheld = True
                    else:
                        try:
                            key = normalize_certificate_key(value)
                        except KubeadmOutputError as exc:
                            raise KubeadmOutputError("%s %s" % (exc, where)) from None
                else:
                    try:
                        hashes.append(normalize_ca_cert_hash(value))
                    except KubeadmOutputError as exc:
                        raise KubeadmOutputError("%s %s" % (exc, where)) from None
            elif name in CONTROL_PLANE_FLAGS and not equals:
                if flag is not None:
                    raise KubeadmOutputError("expected one control-plane flag %s, found several" % where)
                flag = name
            else:
                raise KubeadmOutputError(
                    "expected only --token, --discovery-token-ca-cert-hash, --control-plane and --certificate-key "
                    "%s, found %s" % (where, excerpt(word))
                )
        elif endpoint is None and word != _WITHHELD_WORD:
            try:
                endpoint = parse_endpoint(word)
            except KubeadmOutputError as exc:
                raise KubeadmOutputError("%s %s" % (exc, where)) from None
        else:
            raise KubeadmOutputError(
                "expected one API server endpoint %s, found another argument %s" % (where, excerpt(word))
            )
        index += 1
    if endpoint is None:
        raise KubeadmOutputError("expected an API server endpoint %s, found none" % where)
    if token is None and not token_withheld:
        raise KubeadmOutputError("expected --token %s, found none" % where)
    if not hashes:
        raise KubeadmOutputError("expected --discovery-token-ca-cert-hash %s, found none" % where)
    if (key is not None or key_withheld) and flag is None:
        raise KubeadmOutputError("expected --control-plane before --certificate-key %s, found none" % where)
    return JoinCommand(
        api_endpoint=endpoint,
        token=token,
        ca_cert_hashes=_unique(hashes),
        control_plane_flag=flag,
        certificate_key=key,
        token_withheld=token_withheld,
        certificate_key_withheld=key_withheld,
    )


def _nonblank(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    return [(number, line) for number, line in lines if line.strip()]


# ----------------------------------------------------------------------------------------------
# parsers


def parse_join_command(text: str) -> JoinCommand:
    """A single join command: ``--print-join-command`` output, or one copied from the message."""
    lines = _lines(text)
    commands = _collect_commands(lines)
    if not commands:
        first = _nonblank(lines)
        raise KubeadmOutputError(
            "expected a 'kubeadm join' command, found %s"
            % (excerpt(first[0][1]) + " on line %d" % first[0][0] if first else "no text")
        )
    if len(commands) > 1:
        raise KubeadmOutputError("expected one 'kubeadm join' command, found %d" % len(commands))
    number, start, end, command_text = commands[0]
    for index, (line_number, line) in enumerate(lines):
        if not start <= index <= end and line.strip():
            raise KubeadmOutputError(
                "expected only a 'kubeadm join' command, found also %s on line %d" % (excerpt(line), line_number)
            )
    return _parse_command_text(command_text, number)


def parse_init_log(text: str) -> InitLog:
    """The token(s) and certificate key named in ``[bootstrap-token]``/``[upload-certs]`` log lines."""
    lines = _lines(text)
    tokens: list[str] = []
    keys: list[str] = []
    uploaded = None
    for index, (number, line) in enumerate(lines):
        stripped = line.strip()
        match = _TOKEN_LOG_RE.match(stripped)
        if match:
            try:
                tokens.append(normalize_token(match.group("token")))
            except KubeadmOutputError as exc:
                raise KubeadmOutputError("%s in the [bootstrap-token] log line %d" % (exc, number)) from None
            continue
        match = _TOKENS_LOG_RE.match(stripped)
        if match:
            words = match.group("tokens").split()
            if not words:
                raise KubeadmOutputError("expected tokens in the [bootstrap-token] log line %d, found none" % number)
            for word in words:
                try:
                    tokens.append(normalize_token(word))
                except KubeadmOutputError as exc:
                    raise KubeadmOutputError("%s in the [bootstrap-token] log line %d" % (exc, number)) from None
            continue
        if _UPLOAD_STORED_RE.match(stripped):
            uploaded = True
            continue
        if _UPLOAD_SKIPPED_RE.match(stripped):
            uploaded = False if uploaded is None else uploaded
            continue
        match = _KEY_LOG_RE.match(stripped)
        if match:
            value = match.group("key")
            if not value:
                if index + 1 >= len(lines) or not lines[index + 1][1].strip():
                    raise KubeadmOutputError(
                        "expected the certificate key on the line after '[upload-certs] Using certificate key:' "
                        "(line %d), found %s (truncated output?)" % (number, _end_or_blank(lines, index + 1))
                    )
                value = lines[index + 1][1].strip()
            try:
                keys.append(normalize_certificate_key(value))
            except KubeadmOutputError as exc:
                raise KubeadmOutputError("%s after the [upload-certs] log line %d" % (exc, number)) from None
    if len(set(keys)) > 1:
        raise KubeadmOutputError(
            "expected one certificate key in the [upload-certs] log lines, found %d different" % len(set(keys))
        )
    return InitLog(tokens=_unique(tokens), certificate_key=keys[0] if keys else None, certificates_uploaded=uploaded)


def _split_block(
    lines: list[tuple[int, str]], start: int, end: int, block_commands: list[tuple[int, int, str]]
) -> tuple[list[JoinCommand], list[JoinCommand]]:
    """The control-plane and worker commands of one success message, checked against its layout.

    The layout is what tells a complete message from a truncated one: a control-plane command cut
    just before its trailing backslash would otherwise pass for a worker command.
    """
    success_line = lines[start][0]
    worker_intro = cp_intro = None
    for index in range(start, end):
        stripped = lines[index][1].strip()
        if worker_intro is None and _WORKER_INTRO_RE.match(stripped):
            worker_intro = index
        elif cp_intro is None and _CP_INTRO_RE.match(stripped):
            cp_intro = index
    if worker_intro is None:
        raise KubeadmOutputError(
            "expected 'Then you can join any number of worker nodes ...' after the success message on line %d, "
            "found none (truncated output?)" % success_line
        )
    workers = [_parse_command_text(cmd, number) for index, number, cmd in block_commands if index > worker_intro]
    before = [
        (number, _parse_command_text(cmd, number)) for index, number, cmd in block_commands if index < worker_intro
    ]
    if len(workers) != 1:
        raise KubeadmOutputError(
            "expected one worker 'kubeadm join' command after the success message on line %d, found %d%s"
            % (success_line, len(workers), " (truncated output?)" if not workers else "")
        )
    if workers[0].control_plane:
        raise KubeadmOutputError(
            "expected a worker join command after 'Then you can join any number of worker nodes' (line %d), "
            "found one with %s" % (lines[worker_intro][0], workers[0].control_plane_flag)
        )
    if cp_intro is None and before:
        raise KubeadmOutputError(
            "expected no join command before the worker one without a control-plane paragraph, found one on line %d"
            % before[0][0]
        )
    if cp_intro is not None and cp_intro > worker_intro:
        raise KubeadmOutputError("expected the control-plane paragraph before the worker one, found it after")
    if cp_intro is not None and (len(before) != 1 or not before[0][1].control_plane):
        raise KubeadmOutputError(
            "expected one control-plane join command (with --control-plane) after 'You can now join any number "
            "of control-plane nodes' (line %d), found %s (truncated output?)"
            % (lines[cp_intro][0], "a command without --control-plane" if len(before) == 1 else len(before))
        )
    return [cmd for _n, cmd in before], workers


def parse_init_output(text: str) -> InitOutput:
    """``kubeadm init`` output with its success message (log lines optional)."""
    lines = _lines(text)
    starts = [index for index, (_n, line) in enumerate(lines) if _SUCCESS_RE.match(line.strip())]
    if not starts:
        first = _nonblank(lines)
        raise KubeadmOutputError(
            "expected kubeadm init output with 'Your Kubernetes control-plane has initialized successfully!', "
            "found %s"
            % ("no text" if not first else "none in %d lines (first: %s)" % (len(first), excerpt(first[0][1])))
        )
    log = parse_init_log(text)
    commands = _collect_commands(lines)
    if commands and commands[0][1] < starts[0]:
        raise KubeadmOutputError(
            "expected join commands only after the success message, found one on line %d before it" % commands[0][0]
        )
    parsed: list[JoinCommand] = []
    block_tokens: list[str] = []
    withheld_blocks = 0
    for block, start in enumerate(starts):
        end = starts[block + 1] if block + 1 < len(starts) else len(lines)
        success_line = lines[start][0]
        block_commands = [(index, number, cmd) for number, index, _e, cmd in commands if start <= index < end]
        control_planes, workers = _split_block(lines, start, end, block_commands)
        worker = workers[0]
        for other in control_planes:
            if other.token != worker.token or other.token_withheld != worker.token_withheld:
                raise KubeadmOutputError(
                    "expected the same token in the worker and control-plane join commands after the success "
                    "message on line %d, found different ones" % success_line
                )
        if worker.token is None:  # withheld
            withheld_blocks += 1
        else:
            block_tokens.append(worker.token)
        parsed.extend(control_planes + workers)
    if withheld_blocks and withheld_blocks != len(starts):
        raise KubeadmOutputError("expected the token to be withheld in every success message or in none, found a mix")
    first = parsed[0]
    for cmd in parsed[1:]:
        if cmd.api_endpoint != first.api_endpoint:
            raise KubeadmOutputError(
                "expected one API server endpoint in all join commands, found %s and %s"
                % (first.api_endpoint, cmd.api_endpoint)
            )
        if cmd.ca_cert_hashes != first.ca_cert_hashes:
            raise KubeadmOutputError(
                "expected the same CA certificate hashes in all join commands, found different sets"
            )
    control_planes = [cmd for cmd in parsed if cmd.control_plane]
    flags = _unique(cmd.control_plane_flag for cmd in control_planes)
    if len(flags) > 1:
        raise KubeadmOutputError("expected one control-plane flag spelling, found both %s" % " and ".join(flags))
    key_withheld = any(cmd.certificate_key_withheld for cmd in control_planes)
    keys = _unique(cmd.certificate_key for cmd in control_planes if cmd.certificate_key is not None)
    if len(keys) > 1 or (keys and key_withheld):
        raise KubeadmOutputError(
            "expected one certificate key in the control-plane join commands, found different ones"
        )
    key = keys[0] if keys else None
    if log.certificate_key is not None:
        if key_withheld or (key is not None and key != log.certificate_key):
            raise KubeadmOutputError(
                "expected the certificate key in the join command to match the one in the [upload-certs] log line, "
                "found a different one"
            )
        key = log.certificate_key
    tokens = _unique(block_tokens)
    if log.tokens:
        if withheld_blocks:
            raise KubeadmOutputError(
                "expected no token in the [bootstrap-token] log lines when the join commands withhold it, found %d"
                % len(log.tokens)
            )
        if set(log.tokens) != set(tokens):
            raise KubeadmOutputError(
                "expected the tokens in the [bootstrap-token] log lines to match the join commands, found %d and %d "
                "different" % (len(log.tokens), len(tokens))
            )
    return InitOutput(
        api_endpoint=first.api_endpoint,
        tokens=tokens,
        ca_cert_hashes=first.ca_cert_hashes,
        certificate_key=key,
        control_plane_flag=flags[0] if flags else None,
        token_withheld=bool(withheld_blocks),
        certificate_key_withheld=key_withheld,
        certificates_uploaded=log.certificates_uploaded,
        commands=tuple(parsed),
    )


def parse_upload_certs_output(text: str) -> UploadCertsOutput:
    """``kubeadm init phase upload-certs --upload-certs [--certificate-key K]`` output."""
    lines = _nonblank(_lines(text))
    if not lines:
        raise KubeadmOutputError("expected [upload-certs] lines from kubeadm init phase upload-certs, found no text")
    key_line = None
    for index, (number, line) in enumerate(lines):
        stripped = line.strip()
        if index == key_line:
            continue
        match = _KEY_LOG_RE.match(stripped)
        if match and not match.group("key"):
            key_line = index + 1
            continue
        if not stripped.startswith("[upload-certs] "):
            raise KubeadmOutputError(
                "expected only [upload-certs] log lines, found %s on line %d" % (excerpt(line), number)
            )
    log = parse_init_log(text)
    if log.certificates_uploaded is None and log.certificate_key is None:
        raise KubeadmOutputError(
            "expected '[upload-certs] Storing the certificates ...' or '[upload-certs] Skipping phase', found neither"
        )
    if log.certificates_uploaded is False and log.certificate_key is not None:
        raise KubeadmOutputError("expected no certificate key when the upload-certs phase was skipped, found one")
    uploaded = log.certificates_uploaded is not False
    return UploadCertsOutput(
        certificate_key=log.certificate_key,
        certificates_uploaded=uploaded,
        certificate_key_withheld=uploaded and log.certificate_key is None,
    )


def _single_line(text: str, what: str) -> tuple[int, str]:
    lines = _nonblank(_lines(text))
    if len(lines) != 1:
        raise KubeadmOutputError(
            "expected one line with %s, found %s"
            % (what, "no text" if not lines else "%d lines (first: %s)" % (len(lines), excerpt(lines[0][1])))
        )
    return lines[0][0], lines[0][1].strip()


def parse_certificate_key_output(text: str) -> str:
    """``kubeadm certs certificate-key`` (or ``kubeadm alpha certs certificate-key``) output."""
    _number, line = _single_line(text, "a certificate key")
    return normalize_certificate_key(line)


def parse_token_create_output(text: str) -> str:
    """``kubeadm token create`` output (without ``--print-join-command``)."""
    _number, line = _single_line(text, "a bootstrap token")
    return normalize_token(line)


_TABLE_HEADER = ["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"]
_TABLE_ROW_RE = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*?)\s+(\S+)$")


def _list_field(value: str) -> tuple[str, ...]:
    return () if value == "<none>" else tuple(v for v in value.split(",") if v)


def _parse_token_table(lines: list[tuple[int, str]]) -> tuple[BootstrapToken, ...]:
    number, header = lines[0]
    if re.split(r"\s{2,}|\t", header.strip()) != _TABLE_HEADER:
        raise KubeadmOutputError(
            "expected the token list header 'TOKEN TTL EXPIRES USAGES DESCRIPTION EXTRA GROUPS', found %s on line %d"
            % (excerpt(header), number)
        )
    tokens = []
    for number, line in lines[1:]:
        if re.split(r"\s{2,}|\t", line.strip()) == _TABLE_HEADER:
            continue  # concatenated listings
        match = _TABLE_ROW_RE.match(line.strip())
        if not match:
            raise KubeadmOutputError(
                "expected a token list row with 6 columns, found %s on line %d" % (excerpt(line), number)
            )
        token, ttl, expires, usages, description, groups = match.groups()
        try:
            tokens.append(
                BootstrapToken(
                    token=normalize_token(token),
                    ttl=ttl,
                    expires=None if expires == "<never>" else parse_rfc3339(expires),
                    usages=_list_field(usages),
                    groups=_list_field(groups),
                    description="" if description == "<none>" else description,
                )
            )
        except KubeadmOutputError as exc:
            raise KubeadmOutputError("%s in the token list row on line %d" % (exc, number)) from None
    return tuple(tokens)


def _json_strings(obj: dict, key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise KubeadmOutputError(
            "expected %r to be a list of strings in %s, found %s" % (key, where, type(value).__name__)
        )
    return tuple(value)


def _token_from_json(obj: object, where: str) -> BootstrapToken:
    if not isinstance(obj, dict):
        raise KubeadmOutputError("expected a JSON object in %s, found %s" % (where, type(obj).__name__))
    kind = obj.get("kind", "BootstrapToken")
    if kind != "BootstrapToken":
        raise KubeadmOutputError("expected kind BootstrapToken in %s, found %s" % (where, excerpt(str(kind))))
    token = obj.get("token")
    if isinstance(token, dict):  # BootstrapTokenString before it had its own JSON form
        token = "%s.%s" % (token.get("id"), token.get("secret"))
    expires = obj.get("expires")
    description = obj.get("description") or ""
    ttl = obj.get("ttl")
    if expires is not None and not isinstance(expires, str):
        raise KubeadmOutputError(
            "expected 'expires' to be a time string in %s, found %s" % (where, type(expires).__name__)
        )
    if not isinstance(description, str) or (ttl is not None and not isinstance(ttl, str)):
        raise KubeadmOutputError("expected 'description' and 'ttl' to be strings in %s" % where)
    try:
        return BootstrapToken(
            token=normalize_token(token),
            ttl=ttl,
            expires=None if expires is None else parse_rfc3339(expires),
            usages=_json_strings(obj, "usages", where),
            groups=_json_strings(obj, "groups", where),
            description=description,
        )
    except KubeadmOutputError as exc:
        raise KubeadmOutputError("%s in %s" % (exc, where)) from None


def _parse_token_json(text: str) -> tuple[BootstrapToken, ...]:
    decoder = json.JSONDecoder()
    tokens: list[BootstrapToken] = []
    position = 0
    count = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            break
        try:
            obj, position = decoder.raw_decode(text, position)
        except ValueError as exc:
            raise KubeadmOutputError(
                "expected a stream of JSON objects from kubeadm token list -o json, found invalid JSON at line %d "
                "column %d (%s)" % (getattr(exc, "lineno", 0), getattr(exc, "colno", 0), getattr(exc, "msg", "error"))
            ) from None
        count += 1
        where = "JSON document %d" % count
        if isinstance(obj, list):
            tokens.extend(_token_from_json(item, where) for item in obj)
        elif isinstance(obj, dict) and obj.get("kind") == "List":
            items = obj.get("items") or []
            if not isinstance(items, list):
                raise KubeadmOutputError("expected 'items' to be a list in %s" % where)
            tokens.extend(_token_from_json(item, where) for item in items)
        else:
            tokens.append(_token_from_json(obj, where))
    return tuple(tokens)


def parse_token_list(text: str) -> tuple[BootstrapToken, ...]:
    """``kubeadm token list``: the table (any version) or the ``-o json`` stream. Empty: no tokens."""
    lines = _nonblank(_lines(text))
    if not lines:
        return ()
    if _looks_like_json(lines[0][1]):
        return _parse_token_json("\n".join(line for _n, line in lines))
    return _parse_token_table(lines)


def _detect(lines: list[tuple[int, str]]) -> str:
    nonblank = _nonblank(lines)
    if not nonblank:
        raise KubeadmOutputError("expected kubeadm output, found no text")
    if any(_SUCCESS_RE.match(line.strip()) for _n, line in nonblank):
        return "init"
    if any(_is_join_start(line) for _n, line in nonblank):
        return "join-command"
    phases = {match.group(1) for match in (_PHASE_LINE_RE.match(line.strip()) for _n, line in nonblank) if match}
    if phases == {"upload-certs"}:
        return "upload-certs"
    first = nonblank[0][1].strip()
    if _looks_like_json(first) or first.split()[:2] == ["TOKEN", "TTL"]:
        return "token-list"
    if len(nonblank) == 1 and re.match(r"^[0-9a-fA-F]+$", first):
        return "certificate-key"
    if len(nonblank) == 1 and re.match(r"^[A-Za-z0-9]+\.[A-Za-z0-9]+$", first):
        return "token"
    if phases:
        raise KubeadmOutputError(
            "expected kubeadm init output with its success message, found %d lines of [%s] log without it "
            "(failed or truncated run, or --skip-phases=show-join-command?)"
            % (len(nonblank), "], [".join(sorted(phases)))
        )
    raise KubeadmOutputError(
        "expected kubeadm output (init, a join command, upload-certs, token list, token create or "
        "certificate-key), found %s on line %d" % (excerpt(first), nonblank[0][0])
    )


def parse_kubeadm_output(text: str) -> JoinMaterial:
    """Detect which kubeadm command printed ``text`` and return its join material."""
    kind = _detect(_lines(text))
    if kind == "init":
        return JoinMaterial.from_init(parse_init_output(text))
    if kind == "join-command":
        cmd = parse_join_command(text)
        return JoinMaterial(
            kind=kind,
            api_endpoint=cmd.api_endpoint,
            tokens=() if cmd.token is None else (cmd.token,),
            ca_cert_hashes=cmd.ca_cert_hashes,
            certificate_key=cmd.certificate_key,
            control_plane_flag=cmd.control_plane_flag,
            token_withheld=cmd.token_withheld,
            certificate_key_withheld=cmd.certificate_key_withheld,
        )
    if kind == "upload-certs":
        upload = parse_upload_certs_output(text)
        return JoinMaterial(
            kind=kind,
            certificate_key=upload.certificate_key,
            certificate_key_withheld=upload.certificate_key_withheld,
            certificates_uploaded=upload.certificates_uploaded,
        )
    if kind == "token-list":
        listed = parse_token_list(text)
        return JoinMaterial(kind=kind, tokens=tuple(t.token for t in listed), bootstrap_tokens=listed)
    if kind == "certificate-key":
        return JoinMaterial(kind=kind, certificate_key=parse_certificate_key_output(text))
    return JoinMaterial(kind=kind, tokens=(parse_token_create_output(text),))

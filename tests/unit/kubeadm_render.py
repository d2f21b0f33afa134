"""Test helper: render kubeadm output for given join material, the way each kubeadm era prints it.

The shared fixtures (rendered from kubeadm's own templates with fixed inputs) are used as templates:
their token, endpoint, CA hash and certificate key are replaced by the values under test. That keeps
every whitespace quirk of each era (4-space or TAB continuations, trailing spaces and TABs, the
``--print-join-command`` spacing) without re-implementing kubeadm's templates here.
"""

from __future__ import annotations

import re
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "kubeadm"

# the inputs the shared fixtures were rendered with (FORMATS.md)
FIXTURE_TOKEN = "abcdef.0123456789abcdef"
FIXTURE_ENDPOINT = "10.0.0.10:6443"
FIXTURE_HASH = "sha256:345959acb2c3b2feb87d281961c893f62a314207ef02599f1cc4a5fb255480b3"
FIXTURE_KEY = "e6a2eb8581237ab72a4f494f30285ec12a9694d750b9785706a83bfcbbbd2204"

SHARED = sorted(p.name for p in FIXTURES.glob("*.txt"))
INIT_TEMPLATES = [name for name in SHARED if ".init." in name]
JOIN_TEMPLATES = [name for name in SHARED if ".join." in name or ".print-join-command." in name]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8")


def render(template: str, *, endpoint: str, token: str, hashes: list[str], key: str | None = None) -> str:
    """The fixture ``template`` with the join material replaced."""
    text = fixture_text(template)
    text = text.replace(FIXTURE_TOKEN, token).replace(FIXTURE_ENDPOINT, endpoint)
    text = text.replace(FIXTURE_HASH, " --discovery-token-ca-cert-hash ".join(hashes))
    if key is not None:
        text = text.replace(FIXTURE_KEY, key)
    return text


def expected_from_name(name: str) -> dict:
    """What a shared fixture must parse to, from its name ``<version>.<what>.<case>.txt``."""
    version = name.split(".init.")[0].split(".join.")[0].split(".print-join-command.")[0].split(".token-list")[0]
    control_plane = bool(re.search(r"\.(cpe-upload|cpe-no-upload|cp)\.", name + "."))
    with_key = bool(re.search(r"\.(cpe-upload|cp)\.", name + "."))
    flag = None
    if control_plane:
        flag = "--experimental-control-plane" if version == "1.14.0" else "--control-plane"
    return {
        "version": version,
        "control_plane_flag": flag,
        "certificate_key": FIXTURE_KEY if with_key else None,
    }


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")

"""Property-based tests (Hypothesis, deterministic profile from conftest.py).

* The parsers raise nothing but KubeadmOutputError, whatever the input, and never half-fill a result.
* parse(render(x)) == x for generated tokens, hashes, keys and endpoints, rendered as every era prints them.
* Error messages never contain the secrets of the input.
"""

from __future__ import annotations

import ipaddress

import pytest
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_formats import (
    Endpoint,
    KubeadmOutputError,
    parse_endpoint,
)
from ansible_collections.kubeadm_ha.cluster.plugins.module_utils._kubeadm_output import (
    JoinMaterial,
    build_join_argv,
    parse_certificate_key_output,
    parse_init_log,
    parse_init_output,
    parse_join_command,
    parse_kubeadm_output,
    parse_token_create_output,
    parse_token_list,
    parse_upload_certs_output,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from kubeadm_render import (
    FIXTURE_KEY,
    FIXTURE_TOKEN,
    FIXTURES,
    INIT_TEMPLATES,
    JOIN_TEMPLATES,
    SHARED,
    expected_from_name,
    fixture_text,
    render,
)

PARSERS = [
    parse_kubeadm_output,
    parse_init_output,
    parse_init_log,
    parse_join_command,
    parse_upload_certs_output,
    parse_token_list,
    parse_certificate_key_output,
    parse_token_create_output,
]

ALL_FIXTURE_TEXTS = [fixture_text(name) for name in SHARED] + [
    p.read_bytes().decode() for p in sorted((FIXTURES / "combined").glob("*.txt"))
]

# ------------------------------------------------------------------------------------------------
# strategies

tokens = st.from_regex(r"\A[a-z0-9]{6}\.[a-z0-9]{16}\Z", fullmatch=True)
keys = st.binary(min_size=32, max_size=32).map(bytes.hex)
ca_hashes = st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex())
ports = st.integers(min_value=1, max_value=65535)
_label = st.from_regex(r"\A[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?\Z", fullmatch=True)
dns_names = st.lists(_label, min_size=1, max_size=4).map(".".join).filter(lambda n: not n.replace(".", "").isdigit())
hosts = st.one_of(
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda a: a.compressed),
    dns_names,
)
endpoints = st.builds(Endpoint, hosts, ports)


def _fixture_mutations():
    """Fixture texts with random damage: the inputs most likely to find a crash."""

    def mutate(text: str, data: st.DataObject) -> str:
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
        return "\n".join(lines)

    return st.data(), st.sampled_from(ALL_FIXTURE_TEXTS), mutate


def _check_result(result) -> None:
    """A result is never half filled."""
    if isinstance(result, JoinMaterial) and result.kind in ("init", "join-command"):
        assert result.api_endpoint is not None
        assert result.ca_cert_hashes
        assert result.tokens or result.token_withheld
        if not result.token_withheld:
            assert result.worker_join() is not None


# ------------------------------------------------------------------------------------------------
# robustness


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@given(text=st.text())
def test_arbitrary_text_raises_only_our_error(parser, text):
    try:
        _check_result(parser(text))
    except KubeadmOutputError:
        pass


@given(data=st.binary())
def test_arbitrary_bytes_raise_only_our_error(data):
    try:
        _check_result(parse_kubeadm_output(data))
    except KubeadmOutputError:
        pass


DATA, FIXTURE_TEXTS, MUTATE = _fixture_mutations()


@pytest.mark.parametrize(
    "parser", [parse_kubeadm_output, parse_init_output, parse_token_list], ids=lambda p: p.__name__
)
@given(data=DATA, text=FIXTURE_TEXTS)
def test_damaged_fixtures_raise_only_our_error_without_secrets(parser, data, text):
    damaged = MUTATE(text, data)
    secrets = {FIXTURE_TOKEN, FIXTURE_TOKEN.split(".")[1], FIXTURE_KEY}
    secrets |= {"9vr73a.a8uxyaju799qwdjv", "a8uxyaju799qwdjv", "u1p2zq.0k3j5h7g9f1d3s5a"}
    secrets |= {"f8902e114ef118304e561c3ecd4d0b543adc226b7a07f675f56564185ffe0c07"}
    try:
        _check_result(parser(damaged))
    except KubeadmOutputError as exc:
        for secret in secrets:
            assert secret not in str(exc)


@pytest.mark.parametrize("name", INIT_TEMPLATES, ids=lambda n: n[:-4])
def test_every_truncation_raises_or_gives_the_full_result(name):
    text = fixture_text(name)
    full = parse_init_output(text)
    for cut in range(len(text)):
        try:
            result = parse_init_output(text[:cut])
        except KubeadmOutputError:
            continue
        assert result == full, "prefix of %d characters parsed to a different result" % cut


# ------------------------------------------------------------------------------------------------
# round trips


@given(endpoint=endpoints)
def test_endpoint_round_trip(endpoint):
    assert parse_endpoint(str(endpoint)) == endpoint
    assert parse_endpoint("https://%s/" % endpoint) == endpoint


@pytest.mark.parametrize("template", JOIN_TEMPLATES, ids=lambda n: n[:-4])
@settings(max_examples=25)  # per template; every template is a separate test
@given(endpoint=endpoints, token=tokens, hashes=st.lists(ca_hashes, min_size=1, max_size=3, unique=True), key=keys)
def test_join_command_round_trip(template, endpoint, token, hashes, key):
    text = render(template, endpoint=str(endpoint), token=token, hashes=hashes, key=key)
    command = parse_join_command(text)
    expected = expected_from_name(template)
    assert command.api_endpoint == endpoint
    assert command.token == token
    assert command.ca_cert_hashes == tuple(hashes)
    assert command.control_plane_flag == expected["control_plane_flag"]
    assert command.certificate_key == (key if expected["certificate_key"] else None)
    assert command.argv() == build_join_argv(
        endpoint,
        token,
        hashes,
        control_plane_flag=command.control_plane_flag,
        certificate_key=command.certificate_key,
    )


@pytest.mark.parametrize("template", INIT_TEMPLATES, ids=lambda n: n[:-4])
@settings(max_examples=25)  # per template; every template is a separate test
@given(endpoint=endpoints, token=tokens, hashes=st.lists(ca_hashes, min_size=1, max_size=3, unique=True), key=keys)
def test_init_round_trip(template, endpoint, token, hashes, key):
    text = render(template, endpoint=str(endpoint), token=token, hashes=hashes, key=key)
    expected = expected_from_name(template)
    result = parse_kubeadm_output(text)
    assert result.kind == "init"
    assert result.api_endpoint == endpoint
    assert result.tokens == (token,)
    assert result.ca_cert_hashes == tuple(hashes)
    assert result.certificate_key == (key if expected["certificate_key"] else None)
    assert result.control_plane_flag == expected["control_plane_flag"]
    assert result.worker_join() == build_join_argv(endpoint, token, hashes)


@given(token=tokens, key=keys, upper=st.booleans())
def test_single_value_round_trips(token, key, upper):
    assert parse_token_create_output(token + "\n") == token
    assert parse_certificate_key_output((key.upper() if upper else key) + "\n") == key
    upload = "[upload-certs] Storing the certificates in Secret x\n[upload-certs] Using certificate key:\n%s\n" % key
    assert parse_upload_certs_output(upload).certificate_key == key


@given(
    rows=st.lists(
        st.tuples(
            tokens,
            st.sampled_from(["23h", "<forever>", "59m", "<invalid>"]),
            st.text("abc '.", min_size=1).map(str.strip),
        ),
        max_size=5,
    )
)
def test_token_table_round_trip(rows):
    lines = ["TOKEN                     TTL         EXPIRES                USAGES   DESCRIPTION   EXTRA GROUPS"]
    for token, ttl, description in rows:
        expires = "<never>" if ttl == "<forever>" else "2030-01-02T03:04:05Z"
        lines.append(
            "%s   %s   %s   authentication,signing   %s   system:bootstrappers:kubeadm:default-node-token"
            % (token, ttl, expires, description or "<none>")
        )
    parsed = parse_token_list("\n".join(lines) + "\n")
    assert [t.token for t in parsed] == [r[0] for r in rows]
    assert [t.description for t in parsed] == [r[2] for r in rows]
    assert all((t.expires is None) == (t.ttl == "<forever>") for t in parsed)


def test_ipv6_generation_is_canonical():
    # the strategy feeds compressed addresses; parse_endpoint normalises any spelling to that form
    assert (
        parse_endpoint("[2001:0db8:0000:0000:0000:0000:0000:0001]:6443").host
        == ipaddress.IPv6Address("2001:db8::1").compressed
    )


@given(endpoint=endpoints, token=tokens, hashes=st.lists(ca_hashes, min_size=1, max_size=2, unique=True))
def test_withheld_token_never_yields_argv(endpoint, token, hashes):
    text = render("1.28.4.init.cpe-upload.txt", endpoint=str(endpoint), token="<value withheld>", hashes=hashes)
    result = parse_kubeadm_output(text)
    assume(result.kind == "init")
    assert result.token_withheld and result.tokens == ()
    assert result.worker_join() is None and result.control_plane_join() is None

"""Filter kubeadm_ha.cluster.parse_kubeadm_output: adapter behaviour (the parser has its own tests)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.kubeadm_ha.cluster.plugins.filter.parse_kubeadm_output import FilterModule
from kubeadm_render import FIXTURE_HASH, FIXTURE_KEY, FIXTURE_TOKEN, fixture_text

parse = FilterModule().filters()["parse_kubeadm_output"]


def test_init_output():
    result = parse(fixture_text("1.28.4.init.cpe-upload.txt"))
    assert result["kind"] == "init"
    assert result["api_endpoint"] == "10.0.0.10:6443"
    assert result["tokens"] == [FIXTURE_TOKEN] and result["token"] == FIXTURE_TOKEN
    assert result["ca_cert_hashes"] == [FIXTURE_HASH]
    assert result["certificate_key"] == FIXTURE_KEY
    assert result["worker_join"][:3] == ["kubeadm", "join", "10.0.0.10:6443"]
    assert result["control_plane_join"][-3:] == ["--control-plane", "--certificate-key", FIXTURE_KEY]


def test_registered_result_and_kubeadm_path():
    registered = {"stdout": fixture_text("1.20.print-join-command.worker.txt").rstrip("\n"), "rc": 0}
    result = parse(registered, "/usr/bin/kubeadm")
    assert result["worker_join"][0] == "/usr/bin/kubeadm"
    assert result["control_plane_join"] is None and result["certificate_key"] is None


def test_every_key_is_plain_data():
    result = parse(fixture_text("token-list.ge-1.17.txt"))
    assert set(result) >= {
        "api_endpoint",
        "tokens",
        "ca_cert_hashes",
        "certificate_key",
        "worker_join",
        "control_plane_join",
    }
    assert result["bootstrap_tokens"][1]["expires"] is None
    assert result["api_endpoint"] is None and result["worker_join"] is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdxy --discovery-token-ca-cert-hash x", "hash"),
        ("kubeadm join 10.0.0.10:6443 --token ABCDEF.0123456789ABCDEF", "upper-case"),
        ("hello", "expected kubeadm output"),
        (None, "type NoneType"),
        ({"rc": 1}, "type dict"),
    ],
)
def test_invalid_input_raises_filter_error(value, message):
    with pytest.raises(AnsibleFilterError) as caught:
        parse(value)
    text = str(caught.value)
    assert text.startswith("parse_kubeadm_output: expected")
    assert message in text
    assert "0123456789abcd" not in text and "0123456789ABCD" not in text
    assert caught.value.__cause__ is None


def test_bad_kubeadm_argument():
    with pytest.raises(AnsibleFilterError, match="kubeadm argument"):
        parse(fixture_text("1.13.init.txt"), "")

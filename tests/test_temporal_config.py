"""How every process finds Temporal (temporal_app/connection.py, gateway.connect_config): the
standard TEMPORAL_* variables over a TOML profile, as the Temporal CLI reads them; the
settings' address and namespace resolved from the same sources; and the sentences for refused
credentials and untrusted certificates. No server needed (tests/test_tls.py is the live proof).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from temporal_app import connection, errors, gateway

ROOT = Path(__file__).resolve().parent.parent

PROFILES = """
[profile.default]
address = "default.example:7233"
namespace = "from-default-profile"

[profile.cloud]
address = "redline.a1b2c.tmprl.cloud:7233"
namespace = "redline.a1b2c"
api_key = "profile-key"

[profile.selfhosted]
address = "temporal.internal:7233"
namespace = "redline"
[profile.selfhosted.tls]
server_ca_cert_path = "{ca}"
server_name = "temporal.internal"
client_cert_path = "{cert}"
client_key_path = "{key}"
"""


@pytest.fixture
def clean_env(monkeypatch):
    """No TEMPORAL_* variable from the shell, and a config file without profiles."""
    for name in [k for k in os.environ if k.startswith("TEMPORAL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", os.devnull)
    return monkeypatch


@pytest.fixture
def toml(tmp_path, clean_env) -> Path:
    for name in ("ca.pem", "client.pem", "client.key"):
        (tmp_path / name).write_text(f"-----{name}-----\n")
    path = tmp_path / "temporal.toml"
    path.write_text(PROFILES.format(ca=tmp_path / "ca.pem", cert=tmp_path / "client.pem",
                                    key=tmp_path / "client.key"))
    clean_env.setenv("TEMPORAL_CONFIG_FILE", str(path))
    return path


# ------------------------------------------------------------------ address and namespace


def test_environment_only():
    env = {"TEMPORAL_ADDRESS": "temporal.example:7233", "TEMPORAL_NAMESPACE": "redline",
           "TEMPORAL_CONFIG_FILE": os.devnull}
    assert connection.configured_target(env) == ("temporal.example:7233", "redline")
    assert connection.configured_target({"TEMPORAL_CONFIG_FILE": os.devnull}) == (None, None)


def test_toml_profile_and_the_environment_over_it(toml):
    assert connection.configured_target({"TEMPORAL_CONFIG_FILE": str(toml)}) == (
        "default.example:7233", "from-default-profile")
    assert connection.configured_target(
        {"TEMPORAL_CONFIG_FILE": str(toml), "TEMPORAL_PROFILE": "cloud"}) == (
        "redline.a1b2c.tmprl.cloud:7233", "redline.a1b2c")
    assert connection.configured_target(
        {"TEMPORAL_CONFIG_FILE": str(toml), "TEMPORAL_PROFILE": "cloud",
         "TEMPORAL_ADDRESS": "elsewhere:7233"}) == ("elsewhere:7233", "redline.a1b2c")


def test_a_profile_that_cannot_be_read_names_nothing(toml):
    env = {"TEMPORAL_CONFIG_FILE": str(toml), "TEMPORAL_PROFILE": "missing"}
    assert connection.configured_target(env) == (None, None)


def _settings_in(env: dict[str, str]) -> tuple[str, str]:
    """settings.TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE as a fresh process resolves them."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.TEMPORAL_ADDRESS); print(settings.TEMPORAL_NAMESPACE)")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true",
             "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
             "TEMPORAL_CONFIG_FILE": os.devnull, **env})
    assert done.returncode == 0, done.stderr
    address, namespace = done.stdout.split()
    return address, namespace


def test_settings_resolve_like_the_cli(toml):
    # Nothing configured: the local dev server `make dev` starts.
    assert _settings_in({"TEMPORAL_PORT": "7999"}) == ("127.0.0.1:7999", "default")
    # The profile's address wins over that default (it is only a default).
    assert _settings_in({"TEMPORAL_CONFIG_FILE": str(toml), "TEMPORAL_PROFILE": "cloud"}) == (
        "redline.a1b2c.tmprl.cloud:7233", "redline.a1b2c")
    # The current variables keep working, over the profile.
    assert _settings_in({"TEMPORAL_CONFIG_FILE": str(toml), "TEMPORAL_ADDRESS": "t:7233",
                         "TEMPORAL_NAMESPACE": "ns"}) == ("t:7233", "ns")


# ------------------------------------------------------------------ what the client connects with


def test_api_key_turns_tls_on_unless_told_otherwise(settings, clean_env):
    clean_env.setenv("TEMPORAL_API_KEY", "k-123")
    config = gateway.connect_config()
    assert config["api_key"] == "k-123" and config["tls"] is True
    clean_env.setenv("TEMPORAL_TLS", "false")  # e.g. a plain-text proxy on localhost
    assert gateway.connect_config()["tls"] is False


def test_no_credentials_means_plain_text(settings, clean_env):
    config = gateway.connect_config()
    assert "api_key" not in config and "tls" not in config
    assert config["target_host"] == settings.TEMPORAL_ADDRESS
    assert config["namespace"] == settings.TEMPORAL_NAMESPACE


def test_server_ca_by_path_or_data_and_server_name(settings, clean_env, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"-----CA-----\n")
    clean_env.setenv("TEMPORAL_TLS", "true")
    clean_env.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(ca))
    clean_env.setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    tls = gateway.connect_config()["tls"]
    assert isinstance(tls, TLSConfig)
    assert (tls.server_root_ca_cert, tls.domain) == (b"-----CA-----\n", "temporal.internal")
    clean_env.delenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH")
    clean_env.setenv("TEMPORAL_TLS_SERVER_CA_CERT_DATA", "-----inline CA-----")
    assert gateway.connect_config()["tls"].server_root_ca_cert == b"-----inline CA-----"


def test_client_certificate_for_mtls(settings, clean_env, tmp_path):
    (tmp_path / "c.pem").write_bytes(b"cert")
    (tmp_path / "c.key").write_bytes(b"key")
    clean_env.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "c.pem"))
    clean_env.setenv("TEMPORAL_TLS_CLIENT_KEY_PATH", str(tmp_path / "c.key"))
    tls = gateway.connect_config()["tls"]
    assert (tls.client_cert, tls.client_private_key) == (b"cert", b"key")


def test_profile_supplies_tls_and_client_certificate(settings, toml, monkeypatch):
    monkeypatch.setenv("TEMPORAL_PROFILE", "selfhosted")
    tls = gateway.connect_config()["tls"]
    assert (tls.server_root_ca_cert, tls.domain) == (b"-----ca.pem-----\n", "temporal.internal")
    assert (tls.client_cert, tls.client_private_key) == (b"-----client.pem-----\n",
                                                          b"-----client.key-----\n")


def test_explicit_settings_override_the_profile(settings, toml, clean_env):
    clean_env.setenv("TEMPORAL_PROFILE", "cloud")
    settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE = "127.0.0.1:7233", "default"
    config = gateway.connect_config()
    assert (config["target_host"], config["namespace"]) == ("127.0.0.1:7233", "default")
    assert config["api_key"] == "profile-key" and config["tls"] is True  # the rest: the profile


def test_grpc_metadata_from_the_environment(settings, clean_env):
    clean_env.setenv("TEMPORAL_GRPC_META_X_TENANT", "redline")
    assert gateway.connect_config()["rpc_metadata"] == {"x-tenant": "redline"}


@pytest.mark.parametrize("env, detail", [
    ({"TEMPORAL_PROFILE": "missing"}, "Profile 'missing' not found"),
    ({"TEMPORAL_TLS_SERVER_CA_CERT_PATH": "/nonexistent/ca.pem"}, "/nonexistent/ca.pem"),
])
def test_unreadable_settings_are_a_sentence(settings, clean_env, env, detail):
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(errors.EngineUnavailable, match="client settings could not be read") as e:
        gateway.connect_config()
    assert detail in str(e.value) and e.value.code == "Misconfigured"


# ------------------------------------------------------------------ refusals become sentences

# What the Rust core raised against the nginx proxy of tests/test_tls.py.
NO_KEY = ('Failed client connect: `get_system_info` call error after connection: Status { code: '
          'Unauthenticated, message: "missing or wrong API key", metadata: MetadataMap { '
          'headers: {"server": "nginx/1.22.1"} }, source: None }')
UNTRUSTED = ("Failed client connect: Server connection error: tonic::transport::Error(Transport, "
             "ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) "
             "}))")
TLS_TO_PLAIN = ("Failed client connect: Server connection error: tonic::transport::Error("
                "Transport, ConnectError(Custom { kind: InvalidData, error: InvalidMessage("
                "InvalidContentType) }))")


class _RefusingClient:
    namespace = "default"

    def __init__(self, err: Exception) -> None:
        self.err = err

    async def count_workflows(self, *args, **kwargs):
        raise self.err


@pytest.fixture
def connect_raises(monkeypatch, settings):
    settings.TEMPORAL_ADDRESS = "temporal.example:7233"
    settings.TEMPORAL_NAMESPACE = "redline"
    gateway.reset_client()

    def install(err: Exception, *, after_connect: bool = False) -> None:
        async def connect(*args, **kwargs):
            if after_connect:
                return _RefusingClient(err)
            raise err

        monkeypatch.setattr(gateway.Client, "connect", connect)

    yield install
    gateway.reset_client()


@pytest.mark.parametrize("err, after, code, words", [
    (RuntimeError(NO_KEY), False, "Unauthenticated",
     "Temporal at temporal.example:7233 refused Redline's credentials (missing or wrong API "
     "key): set TEMPORAL_API_KEY"),
    (RPCError("Request unauthorized.", RPCStatusCode.UNAUTHENTICATED, b""), True,
     "Unauthenticated", "refused Redline's credentials (Request unauthorized.)"),
    (RPCError("Request unauthorized.", RPCStatusCode.PERMISSION_DENIED, b""), True,
     "PermissionDenied", "lack permission in namespace redline (Request unauthorized.). The "
     "app needs write access"),
    (RuntimeError(UNTRUSTED), False, "TLSUntrusted",
     "presented a TLS certificate Redline does not trust (UnknownIssuer): set "
     "TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
    (RuntimeError(TLS_TO_PLAIN), False, "TLSMismatch", "set TEMPORAL_TLS=false"),
    (RuntimeError("Failed client connect: Server connection error: Connection refused"), False,
     "Unavailable", "could not be reached"),
    (RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b""), True, "Unavailable",
     "could not be reached"),
])
def test_refusals_are_sentences(connect_raises, err, after, code, words):
    connect_raises(err, after_connect=after)
    with pytest.raises(errors.EngineUnavailable) as raised:
        gateway.counts(["WorkflowType = 'DraftReview'"], rpc_timeout=2)
    assert words in str(raised.value)
    assert "Nothing was recorded" in str(raised.value)
    assert raised.value.code == code

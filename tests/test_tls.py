"""TLS and an API key, for real. The dev server speaks plain gRPC only, so Temporal is put
behind a TLS-terminating gRPC proxy: Debian's nginx with `grpc_pass`, a CA and a server
certificate made here with openssl, and a rule that answers UNAUTHENTICATED to any call without
the right `authorization: Bearer <key>`, as Temporal Cloud does. Through it:

- a worker process (`manage.py run_worker`, configured by a TOML profile) and the web side
  (configured by the TEMPORAL_* variables) run a review from submit to approved;
- a client without the key, or with a wrong one, is refused with the gateway's sentence (the
  web answers 503 with it, the worker exits with it);
- a key that may only read (PERMISSION_DENIED for the rest, as a Read permission on Temporal
  Cloud) lists workflows but cannot start a review: the draft fails saying why;
- a client that does not trust the proxy's certificate is refused with its sentence.

`make test` installs nginx (Makefile, tls-proxy); without it these tests are skipped, except
under CI, where they fail.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.urls import reverse

from drafts import services
from rulebook.states import ReviewState
from temporal_app import connection, devserver, errors, gateway
from tests.conftest import database_url, wait_for_status, workflow_result
from tests.test_web_common import client_for, make_draft

ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK)
                                  else None)
OPENSSL = shutil.which("openssl")

NGINX_CONF = r"""
{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    # Two keys Temporal "accepts" here: {key} may do anything, {read_key} only read (as a
    # Read permission on Temporal Cloud). Anything else is refused before reaching Temporal.
    map $uri $read_call {{
        default 0;
        ~/(GetSystemInfo|DescribeNamespace|Describe\w+|List\w+|Count\w+|QueryWorkflow|Get\w+)$ 1;
    }}
    map "$http_authorization $read_call" $verdict {{
        default unauthenticated;
        "Bearer {key} 0" ok;
        "Bearer {key} 1" ok;
        "Bearer {read_key} 1" ok;
        "Bearer {read_key} 0" denied;
    }}
    server {{
        listen 127.0.0.1:{port} ssl http2;
        ssl_certificate {dir}/server.pem;
        ssl_certificate_key {dir}/server.key;
        client_max_body_size 0;      # Temporal payloads can be megabytes
        grpc_read_timeout 300s;      # workers' long polls last about a minute
        grpc_send_timeout 300s;
        location / {{
            if ($verdict = unauthenticated) {{ return 401; }}
            if ($verdict = denied) {{ return 403; }}
            grpc_pass grpc://{upstream};
        }}
        error_page 401 = @unauthenticated;
        error_page 403 = @denied;
        location @unauthenticated {{  # a gRPC answer: status 16, UNAUTHENTICATED
            default_type application/grpc;
            add_header grpc-status 16 always;
            add_header grpc-message "missing or wrong API key" always;
            return 204;
        }}
        location @denied {{  # status 7, PERMISSION_DENIED, as Temporal Cloud answers
            default_type application/grpc;
            add_header grpc-status 7 always;
            add_header grpc-message "Request unauthorized." always;
            return 204;
        }}
    }}
}}
"""


def _require(tool: str | None, what: str) -> str:
    if tool:
        return tool
    if os.environ.get("CI", "").lower() not in ("", "0", "false"):
        pytest.fail(f"{what} is missing; under CI the TLS proof must run (make test installs "
                    "nginx as root: apt-get install nginx)")
    pytest.skip(f"{what} is not installed (make test installs it as root: "
                "apt-get install -y nginx openssl)")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certificates(folder: Path) -> None:
    """A CA, and a server certificate it signs for localhost and 127.0.0.1."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=Redline test CA", "-keyout", "ca.key", "-out", "ca.pem",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-keyout", "server.key", "-out", "server.csr", cwd=folder)
    (folder / "server.ext").write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem",
             cwd=folder)


@dataclass
class Proxy:
    address: str
    key: str
    read_key: str
    ca: Path
    folder: Path

    def calls(self) -> list[tuple[str, int]]:
        """(gRPC method, HTTP status) of each call the proxy saw; 204 = refused by the rule."""
        log = (self.folder / "access.log").read_text()
        return [(m, int(s)) for m, s in
                re.findall(r'"POST /temporal\.api\.\w+\.v1\.\w+/(\w+) HTTP/2\.0" (\d+)', log)]


@pytest.fixture(scope="module")
def tls_proxy(temporal_server, tmp_path_factory):
    nginx = _require(NGINX, "nginx")
    _require(OPENSSL, "openssl")
    folder = tmp_path_factory.mktemp("tls-proxy")
    make_certificates(folder)
    port = devserver.free_port()
    key, read_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    (folder / "nginx.conf").write_text(NGINX_CONF.format(
        dir=folder, port=port, key=key, read_key=read_key, upstream=temporal_server,
        user="user root;" if os.geteuid() == 0 else ""))  # temp files: same owner as folder
    proc = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                             "-e", str(folder / "error.log"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        devserver.wait_for_port(port, timeout=15, proc=proc)
    except (RuntimeError, TimeoutError) as err:
        proc.kill()
        pytest.fail(f"nginx did not start ({err}): {(folder / 'error.log').read_text()}")
    yield Proxy(address=f"127.0.0.1:{port}", key=key, read_key=read_key, ca=folder / "ca.pem",
                folder=folder)
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def through_proxy(tls_proxy, settings, monkeypatch):
    """This process (the web side) configured as an operator would: the TEMPORAL_* variables,
    read by envconfig when the gateway connects. Yields a function that sets them."""

    def configure(*, key: str | None = tls_proxy.key, ca: bool = True) -> None:
        for name in [k for k in os.environ if k.startswith("TEMPORAL_")]:
            monkeypatch.delenv(name)
        env = {"TEMPORAL_CONFIG_FILE": os.devnull, "TEMPORAL_ADDRESS": tls_proxy.address,
               "TEMPORAL_TLS": "true", "TEMPORAL_TLS_SERVER_NAME": "localhost"}
        if key is not None:
            env["TEMPORAL_API_KEY"] = key
        if ca:
            env["TEMPORAL_TLS_SERVER_CA_CERT_PATH"] = str(tls_proxy.ca)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        # What config/settings.py resolves at start, from the same variables.
        settings.TEMPORAL_ADDRESS, settings.TEMPORAL_NAMESPACE = connection.target()
        gateway.reset_client()

    yield configure
    gateway.reset_client()


def _worker_env(tls_proxy: Proxy, tmp_path: Path, task_queue: str, *, key: str) -> dict:
    """A worker process configured by a TOML profile only (no TEMPORAL_ADDRESS)."""
    profile = tmp_path / "temporal.toml"
    profile.write_text(f"""
[profile.redline]
address = "{tls_proxy.address}"
namespace = "default"
api_key = "{key}"
[profile.redline.tls]
server_ca_cert_path = "{tls_proxy.ca}"
server_name = "localhost"
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEMPORAL_")}
    env.pop("TEST_DATABASE_NAME", None)
    return {**env, "TEMPORAL_CONFIG_FILE": str(profile), "TEMPORAL_PROFILE": "redline",
            "TEMPORAL_TASK_QUEUE": task_queue, "DATABASE_URL": database_url(),
            "DEBUG": os.environ.get("DEBUG", "true"), "PYTHONUNBUFFERED": "1"}


@pytest.mark.django_db(transaction=True)
def test_review_runs_through_tls_and_an_api_key(tls_proxy, through_proxy, task_queue, tmp_path,
                                                author, editor):
    through_proxy()
    assert gateway.connect_config()["target_host"] == tls_proxy.address
    before = len(tls_proxy.calls())
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "run_worker"], cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT, env=_worker_env(tls_proxy, tmp_path, task_queue,
                                                      key=tls_proxy.key))
    try:
        draft, _ = services.submit_draft(author=author, topic="Tides through a proxy")
        draft = wait_for_status(draft, ReviewState.AWAITING_REVIEW, timeout=60)
        response = client_for(editor).post(reverse("review:decide", args=[draft.pk]),
                                           {"decision": "approve", "version": 1})
        assert response.status_code == 302, html.unescape(response.content.decode())
        wait_for_status(draft, ReviewState.APPROVED)
        assert workflow_result(draft.pk).state == ReviewState.APPROVED
        gateway.run(_stop_outbox(task_queue), timeout=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
    assert worker.returncode == 0, log.read_text()
    # Every call went through the proxy with the key: the web's start and update, the
    # worker's polls and completions; none was refused (499: polls the stopping worker ended).
    calls = tls_proxy.calls()[before:]
    methods = {m for m, status in calls if status == 200}
    assert {"StartWorkflowExecution", "UpdateWorkflowExecution", "PollWorkflowTaskQueue",
            "RespondWorkflowTaskCompleted"} <= methods, calls
    assert {status for _, status in calls} <= {200, 499}, calls


async def _stop_outbox(task_queue: str) -> None:
    await gateway.stop_outbox(await gateway.get_client(), task_queue)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key", [None, "not-the-key"], ids=["no key", "wrong key"])
def test_a_client_without_the_key_is_refused(tls_proxy, through_proxy, task_queue, author,
                                             editor, key):
    through_proxy(key=key)
    before = len(tls_proxy.calls())
    with pytest.raises(errors.EngineUnavailable) as refused:
        gateway.counts(["ExecutionStatus = 'Running'"], rpc_timeout=5)
    assert refused.value.code == "Unauthenticated"
    assert str(refused.value) == (
        f"Temporal at {tls_proxy.address} refused Redline's credentials (missing or wrong API "
        "key): set TEMPORAL_API_KEY, or TEMPORAL_TLS_CLIENT_CERT_PATH and "
        "TEMPORAL_TLS_CLIENT_KEY_PATH, to ones namespace default accepts. Nothing was recorded.")
    # An editor's decision: a 503 page with that sentence, and nothing recorded.
    draft = make_draft(author)
    response = client_for(editor).post(reverse("review:decide", args=[draft.pk]),
                                       {"decision": "approve", "version": 1})
    assert response.status_code == 503
    assert str(refused.value) in html.unescape(response.content.decode())
    # The proxy refused them (204 + grpc-status 16); the server never saw them.
    assert {status for _, status in tls_proxy.calls()[before:]} == {204}


@pytest.mark.django_db(transaction=True)
def test_read_only_credentials_can_list_but_not_start_a_review(tls_proxy, through_proxy,
                                                                task_queue, author):
    through_proxy(key=tls_proxy.read_key)
    [running] = gateway.counts(["ExecutionStatus = 'Running'"], rpc_timeout=5)  # reads work
    assert running >= 0
    draft, _ = services.submit_draft(author=author, topic="Not with a read-only key")
    draft = wait_for_status(draft, ReviewState.FAILED)
    assert (f"Temporal at {tls_proxy.address} refused this call: Redline's credentials lack "
            "permission in namespace default (Request unauthorized.). The app needs write "
            "access to the namespace") in draft.status_message
    assert ("StartWorkflowExecution", 204) in tls_proxy.calls()


@pytest.mark.django_db(transaction=True)
def test_a_worker_without_the_key_exits_saying_why(tls_proxy, task_queue, tmp_path):
    done = subprocess.run([sys.executable, "manage.py", "run_worker"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60,
                          env=_worker_env(tls_proxy, tmp_path, task_queue, key="not-the-key"))
    assert done.returncode == 1, done.stderr
    assert "refused Redline's credentials (missing or wrong API key)" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.django_db
def test_a_client_that_does_not_trust_the_certificate_is_refused(tls_proxy, through_proxy):
    through_proxy(ca=False)  # the system's CAs only: the test CA is not among them
    before = len(tls_proxy.calls())
    with pytest.raises(errors.EngineUnavailable) as refused:
        gateway.counts(["ExecutionStatus = 'Running'"], rpc_timeout=5)
    assert refused.value.code == "TLSUntrusted"
    assert (f"Temporal at {tls_proxy.address} presented a TLS certificate Redline does not "
            "trust (UnknownIssuer): set TEMPORAL_TLS_SERVER_CA_CERT_PATH") in str(refused.value)
    assert tls_proxy.calls()[before:] == []  # the handshake failed: no call was made


@pytest.mark.django_db
def test_an_api_key_against_a_server_without_tls_says_so(temporal_server, settings, monkeypatch):
    """An API key turns TLS on (as in every Temporal SDK); the dev server has none."""
    monkeypatch.setenv("TEMPORAL_API_KEY", "any")
    gateway.reset_client()
    try:
        with pytest.raises(errors.EngineUnavailable, match="set TEMPORAL_TLS=false") as refused:
            gateway.counts(["ExecutionStatus = 'Running'"], rpc_timeout=5)
    finally:
        gateway.reset_client()
    assert refused.value.code == "TLSMismatch"
    assert f"Redline spoke TLS to Temporal at {temporal_server}" in str(refused.value)

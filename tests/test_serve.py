"""`make serve` for real: scripts/serve.py in production mode (DEBUG off, gunicorn, hashed
and compressed static files, separate review and LLM worker processes) against the test
PostgreSQL and the session's Temporal dev server, driven over HTTP like a browser: an author
submits, an editor approves, and a hashed static file comes back compressed and cached."""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from drafts.models import Draft
from drafts.roles import AUTHORS, EDITORS
from rulebook.states import ReviewState
from temporal_app import devserver
from tests.conftest import database_url, make_user, wait_for

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PASSWORD = "a long production password 42"


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str, headers: dict | None = None):
        request = urllib.request.Request(self.base + path, headers=headers or {})
        return self.opener.open(request, timeout=30)

    def post_form(self, path: str, data: dict, form_path: str | None = None) -> str:
        page = self.get(form_path or path).read().decode()
        data = {**data, "csrfmiddlewaretoken": CSRF.search(page).group(1)}
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": self.base + (form_path or path)})
        with self.opener.open(request, timeout=30) as response:
            return response.geturl()

    def login(self, username: str) -> None:
        landed = self.post_form("/login/", {"username": username, "password": PASSWORD})
        assert not landed.endswith("/login/"), f"{username} could not sign in"


@pytest.mark.django_db(transaction=True)
def test_make_serve_takes_a_draft_from_submit_to_approved(temporal_server, task_queue):
    author = make_user("writer", AUTHORS)
    editor = make_user("checker", EDITORS)
    for user in (author, editor):
        user.set_password(PASSWORD)
        user.save()
    port = devserver.free_port()
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50),
           "DATABASE_URL": database_url(), "TEMPORAL_ADDRESS": temporal_server,
           "TEMPORAL_TASK_QUEUE": task_queue, "WEB_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": "2", "ALLOWED_HOSTS": "127.0.0.1",
           # Plain HTTP on loopback: the TLS-only defaults would redirect and drop cookies.
           "SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false",
           "CSRF_COOKIE_SECURE": "false"}
    env.pop("TEST_DATABASE_NAME", None)
    proc = subprocess.Popen([sys.executable, "scripts/serve.py"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        devserver.wait_for_port(port, timeout=90, proc=proc)
        base = f"http://127.0.0.1:{port}"
        writer = Browser(base)
        writer.login("writer")
        landed = writer.post_form("/drafts/new/", {"topic": "Served in production",
                                                   "target_words": 300})
        draft = Draft.objects.get(pk=int(re.search(r"/drafts/(\d+)/", landed).group(1)))
        wait_for(lambda: Draft.objects.get(pk=draft.pk).status == ReviewState.AWAITING_REVIEW,
                 timeout=60, what="the LLM worker process to write the draft")

        checker = Browser(base)
        checker.login("checker")
        checker.post_form(f"/review/{draft.pk}/decide/", {"decision": "approve", "version": 1},
                          form_path=f"/review/{draft.pk}/")
        assert Draft.objects.get(pk=draft.pk).status == ReviewState.APPROVED

        page = checker.get(f"/review/{draft.pk}/").read().decode()
        css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
        assert css, "the page links a hashed stylesheet"
        with checker.get(css.group(1), headers={"Accept-Encoding": "gzip"}) as response:
            assert response.status == 200
            assert response.headers["Content-Encoding"] == "gzip"
            assert "immutable" in response.headers["Cache-Control"]
        with checker.get("/healthz") as response:
            assert response.status == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert "serving on 127.0.0.1" in output, output

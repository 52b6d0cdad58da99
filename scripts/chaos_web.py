"""The chaos suite's browser: plain HTTP to the stack's web server, as a browser sends it (a
session cookie, the CSRF cookie echoed in the form, htmx's HX-Request header on the review
panel's posts). One new connection per request, so any number of threads can share a user.
"""

from __future__ import annotations

import http.client
import re
import threading
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from rulebook.states import DecisionKind

SUBMISSION_KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')
DRAFT_URL = re.compile(r"/drafts/(\d+)/$")


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    def __init__(self, base_url: str, username: str = "", timeout: float = 60.0) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.username = username
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self._lock = threading.Lock()

    def request(self, method: str, path: str, data: dict | list | bytes | None = None, *,
                htmx: bool = False, csrf: bool = True, headers: dict | None = None
                ) -> Response:
        """One request. `data` is form-encoded (NUL, CR/LF and all, as a browser would)."""
        body: bytes | None = None
        sent = dict(headers or {})
        if data is not None:
            body = data if isinstance(data, bytes) else urlencode(data).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        with self._lock:
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            token = self.cookies.get("csrftoken")
        if csrf and token and method not in ("GET", "HEAD"):
            sent["X-CSRFToken"] = token
        if htmx:
            sent["HX-Request"] = "true"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=sent)
            raw = conn.getresponse()
            text = raw.read().decode("utf-8", "replace")
            cookies = raw.headers.get_all("Set-Cookie") or []
            response = Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            conn.close()
        with self._lock:
            for header in cookies:
                for name, morsel in SimpleCookie(header).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value
        return response

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data=None, **kw) -> Response:
        return self.request("POST", path, data if data is not None else {}, **kw)

    # ---------------------------------------------------------------- what users do

    def login(self, password: str) -> None:
        self.get("/login/")  # sets the CSRF cookie
        response = self.post("/login/", {"username": self.username, "password": password,
                                         "csrfmiddlewaretoken": self.cookies["csrftoken"],
                                         "next": "/"}, csrf=False)
        if response.status != 302:
            raise RuntimeError(f"login as {self.username} answered {response.status}")

    def new_form_key(self) -> str:
        """The submission key the new-draft form carries (a fresh one if the page fails)."""
        page = self.get("/drafts/new/")
        match = SUBMISSION_KEY.search(page.text) if page.status == 200 else None
        return match.group(1) if match else str(uuid.uuid4())

    def submit(self, topic: str, *, brief: str = "", key: str | None = None,
               **fields) -> tuple[Response, int | None]:
        """Submit the new-draft form; (response, the new draft's id when it redirected)."""
        data = {"topic": topic, "brief": brief, "audience": "", "tone": "",
                "target_words": "300", "submission_key": key or self.new_form_key(), **fields}
        response = self.post("/drafts/new/", data)
        match = DRAFT_URL.search(response.location) if response.status == 302 else None
        return response, int(match.group(1)) if match else None

    def decide(self, draft_id: int, kind: DecisionKind, version: int | str, comment: str = "",
               text: str = "", **kw) -> Response:
        """The review panel's post (htmx): 200 recorded, 202 being recorded, 409 refused,
        422 invalid, 403 not allowed, 503 NOT recorded."""
        data = {"decision": kind.value, "version": str(version), "comment": comment}
        if text:
            data["text"] = text
        return self.post(f"/review/{draft_id}/decide/", data, htmx=kw.pop("htmx", True), **kw)

"""A local webhook receiver for the publishing tests: the other side of a destination.

It answers each request from a script (a status code, or HANG: no answer for `hang_seconds`),
then `default`; records every request; and checks signatures with the Standard Webhooks
reference library, independently of the code that signed them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

HANG = "hang"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int | str  # the status code sent, or HANG


class Receiver:
    def __init__(self, script=(), *, default: int = 204, hang_seconds: float = 5.0) -> None:
        self.script = list(script)
        self.default = default
        self.hang_seconds = hang_seconds
        self.received: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.lock:
                    action = receiver.script.pop(0) if receiver.script else receiver.default
                    receiver.received.append(Received(
                        {k.lower(): v for k, v in self.headers.items()}, body, action))
                if action == HANG:
                    time.sleep(receiver.hang_seconds)
                    return
                self.send_response(action)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def verified(self, secret: str) -> list[dict]:
        """Every request's JSON payload, each checked against its signature (raises if one
        does not verify)."""
        hook = Webhook(secret)
        return [hook.verify(r.body, r.headers) for r in self.received]

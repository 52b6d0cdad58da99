"""A local stand-in for an OpenAI-compatible server: POST /v1/chat/completions, plain JSON or
SSE streaming (`data: {...}` chunks, then `data: [DONE]`), with scripted failures.

    server = FakeOpenAI().start()
    server.push(Reply(status=429, headers={"Retry-After": "2"}), Reply(text="# Hi\\n"))
    ... point OPENAI_BASE_URL at server.url ...
    server.requests  # what arrived: body, headers, start and end times

Replies come from the pushed queue, then from `responder(body)` if set, then `default`.
stdlib only; runs in a thread on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    text: str = "# A fake draft\n\nWritten by the fake server.\n"
    headers: dict = field(default_factory=dict)
    error: dict | None = None  # the `error` object of a non-200 answer
    raw: bytes | None = None  # send this body as is (a malformed answer)
    delay: float = 0.0  # before the first byte
    chunk_size: int = 16
    chunk_delay: float = 0.0
    stall_after: int | None = None  # stream this many chunks, then go silent for `stall`
    stall: float = 0.0
    # stream `hold_after` chunks, then wait until `hold` is set (at most 30 s): a test sees
    # the words so far before the answer ends
    hold_after: int | None = None
    hold: threading.Event | None = None
    usage: tuple[int, int] | None = (12, 34)
    finish_reason: str = "stop"
    refusal: str | None = None
    model: str = "gpt-4o-mini-2024-07-18"


@dataclass
class Request:
    path: str
    body: dict
    headers: dict
    started: float
    finished: float = 0.0
    # each content chunk as it left: (time.monotonic(), characters sent so far)
    chunks: list[tuple[float, int]] = field(default_factory=list)

    @property
    def user(self) -> str:
        return next((m["content"] for m in self.body.get("messages", [])
                     if m.get("role") == "user"), "")


class FakeOpenAI:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.queue: list[Reply] = []
        self.responder: Callable[[Request], Reply | None] | None = None
        self.default = Reply()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def push(self, *replies: Reply) -> None:
        with self.lock:
            self.queue.extend(replies)

    def _reply_for(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append(request)
            if self.queue:
                return self.queue.pop(0)
        if self.responder is not None:
            reply = self.responder(request)
            if reply is not None:
                return reply
        return self.default

    def start(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                request = Request(self.path, body, {k.lower(): v for k, v in
                                                   self.headers.items()}, time.monotonic())
                reply = fake._reply_for(request)
                try:
                    if not self.path.endswith("/chat/completions"):
                        self._json(404, {"error": {"message": "Not found", "code": None}})
                    else:
                        fake._answer(self, request, reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a stall, a timeout)
                finally:
                    request.finished = time.monotonic()

            def _json(self, status: int, data: dict, headers: dict | None = None) -> None:
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True,
                         name="fake-openai").start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # ------------------------------------------------------------------ answers
    def _answer(self, handler, request: Request, reply: Reply) -> None:
        if reply.delay:
            self.stopping.wait(reply.delay)
        if reply.status != 200:
            error = reply.error or {"message": f"fake error {reply.status}", "type": "error",
                                    "code": None}
            handler._json(reply.status, {"error": error}, reply.headers)
            return
        stream = bool(request.body.get("stream"))
        if reply.raw is not None:
            handler.send_response(200)
            handler.send_header("Content-Type",
                                "text/event-stream" if stream else "application/json")
            handler.send_header("Content-Length", str(len(reply.raw)))
            handler.end_headers()
            handler.wfile.write(reply.raw)
            return
        usage = None
        if reply.usage is not None:
            usage = {"prompt_tokens": reply.usage[0], "completion_tokens": reply.usage[1],
                     "total_tokens": sum(reply.usage)}
        if not stream:
            message = {"role": "assistant", "content": reply.text, "refusal": reply.refusal}
            handler._json(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": 0,
                "model": reply.model,
                "choices": [{"index": 0, "message": message,
                             "finish_reason": reply.finish_reason}],
                "usage": usage,
            }, reply.headers)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.end_headers()

        def send(data: dict | str) -> None:
            text = data if isinstance(data, str) else json.dumps(data)
            handler.wfile.write(f"data: {text}\n\n".encode())
            handler.wfile.flush()

        def chunk(delta: dict, finish: str | None = None) -> dict:
            return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                    "model": reply.model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        send(chunk({"role": "assistant", "content": ""}))
        if reply.refusal:
            send(chunk({"refusal": reply.refusal}))
        pieces = [reply.text[i:i + reply.chunk_size]
                  for i in range(0, len(reply.text), reply.chunk_size)]
        for n, piece in enumerate(pieces):
            if reply.stall_after is not None and n == reply.stall_after:
                self.stopping.wait(reply.stall)
            if reply.hold is not None and n == reply.hold_after:
                reply.hold.wait(30)
            if reply.chunk_delay:
                self.stopping.wait(reply.chunk_delay)
            send(chunk({"content": piece}))
            request.chunks.append((time.monotonic(), n * reply.chunk_size + len(piece)))
        send(chunk({}, reply.finish_reason))
        if usage and (request.body.get("stream_options") or {}).get("include_usage"):
            send({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                  "model": reply.model, "choices": [], "usage": usage})
        send("[DONE]")

"""A Redline webhook receiver to copy: Python's standard library only.

    WEBHOOK_SECRET=whsec_… PORT=9000 python3 webhook_receiver.py    (or: … SECRET PORT)

Checks each request as Standard Webhooks says (https://www.standardwebhooks.com): the
`webhook-signature` (v1: HMAC-SHA256 over "{id}.{timestamp}.{body}" with the secret's base64
key after "whsec_"), a timestamp at most 5 minutes off (401 otherwise), and drops a
`webhook-id` it already processed (200, nothing done again: Redline sends the same id on
every retry). Then prints the draft's topic and version and answers 204.
"""

import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE = 5 * 60  # seconds
SECRET = sys.argv[1] if len(sys.argv) > 1 else os.environ["WEBHOOK_SECRET"]
PORT = int(sys.argv[2] if len(sys.argv) > 2 else os.environ.get("PORT", "9000"))
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))
seen: set[str] = set()  # processed webhook-ids; keep them in your database in real life


def verified(headers, body: bytes) -> bool:
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE:
        return False
    signed = f"{msg_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    # Several signatures may come, space-separated ("v1,<b64> v1,<b64>"): one must match.
    return any(hmac.compare_digest(given.encode(), f"v1,{expected}".encode())
               for given in headers.get("webhook-signature", "").split())


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if not verified(self.headers, body):
            return self.answer(401)
        msg_id = self.headers["webhook-id"]
        if msg_id in seen:  # a retry of a message already processed
            return self.answer(200)
        data = json.loads(body)["data"]
        print(f"received draft {data['draft_id']} version {data['version']}: "
              f"{data['topic']} ({msg_id})", flush=True)
        seen.add(msg_id)  # only once processed: a crash before this gets the retry
        self.answer(204)

    def answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):  # quiet: only the lines above
        pass


if __name__ == "__main__":
    print(f"listening on http://127.0.0.1:{PORT}/", flush=True)
    HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()  # one request at a time

"""The chaos stack's mail backend (EMAIL_BACKEND=chaos_mail.EmailBackend): Django's filebased
backend, with each message on disk before the next is written, and slowed down while the
file `mail-slow` exists next to the mail directory (it holds the seconds per message), so
the mail_kill fault can kill the worker in the middle of a send."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend


class EmailBackend(FileBackend):
    def write_message(self, message) -> None:
        super().write_message(message)
        self.stream.flush()
        slow = Path(self.file_path).parent / "mail-slow"
        if slow.exists():
            time.sleep(float(slow.read_text() or "0.5"))

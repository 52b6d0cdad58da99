"""An email backend that fails its first FAIL_FIRST sends, then delivers to locmem."""

from django.core.mail.backends.locmem import EmailBackend as LocMemBackend

STATE = {"fail_first": 0, "attempts": 0}


class FlakyBackend(LocMemBackend):
    def send_messages(self, messages):
        STATE["attempts"] += 1
        if STATE["attempts"] <= STATE["fail_first"]:
            raise ConnectionRefusedError("mail server down (test)")
        return super().send_messages(messages)

"""The one module that talks to LLMs.

`get_backend()` picks the OpenAI-compatible backend when OPENAI_API_KEY or OPENAI_BASE_URL is
set, and the offline backend otherwise. Both return a `Completion`; errors come out as
`LLMError` with `retryable` telling Temporal whether another attempt can help.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings

OFFLINE_MODEL = "offline-template"


@dataclass(frozen=True)
class Prompt:
    version: str
    system: str
    user: str


@dataclass(frozen=True)
class Completion:
    text: str
    backend: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: int = 0


class LLMError(Exception):
    def __init__(self, message: str, *, retryable: bool, kind: str = "LLMError",
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.kind = kind
        self.retry_after = retry_after


class OfflineBackend:
    """Deterministic Markdown built from the prompt: no network, clearly labelled offline."""

    name = "offline"

    def complete(self, prompt: Prompt, meta: dict) -> Completion:
        started = time.monotonic()
        if settings.OFFLINE_LLM_LATENCY:
            time.sleep(settings.OFFLINE_LLM_LATENCY)
        text = offline_markdown(meta)
        words = len(text.split())
        return Completion(
            text=text,
            backend=self.name,
            model=OFFLINE_MODEL,
            prompt_tokens=len((prompt.system + prompt.user).split()),
            completion_tokens=words,
            latency_ms=int((time.monotonic() - started) * 1000),
        )


def offline_markdown(meta: dict) -> str:
    topic = meta["topic"].strip()
    seed = int(hashlib.sha256(topic.encode()).hexdigest()[:8], 16)
    angles = ["why it matters", "what to watch", "how to start", "common mistakes",
              "what the evidence says", "next steps"]
    picked = [angles[(seed + i) % len(angles)] for i in range(3)]
    lines = [f"# {topic}", ""]
    lines.append("> *Offline draft: written by Redline's built-in template, not by a language "
                 "model. Set OPENAI_API_KEY (or OPENAI_BASE_URL) for real drafts.*")
    lines.append("")
    intro = f"This piece introduces **{topic}**"
    if meta.get("audience"):
        intro += f" for {meta['audience']}"
    if meta.get("tone"):
        intro += f", in a {meta['tone']} tone"
    lines += [intro + ".", ""]
    if meta.get("brief"):
        lines += [f"The brief asks for: {meta['brief'].strip()}", ""]
    for angle in picked:
        lines += [f"## {angle.capitalize()}", "",
                  f"A few paragraphs on {angle} for {topic} would go here "
                  f"(about {max(int(meta.get('target_words', 600)) // 4, 50)} words).", ""]
    if meta.get("feedback"):
        lines += ["## Changes in this revision", "",
                  f"Revised following the editor's feedback: {meta['feedback'].strip()}", ""]
    return "\n".join(lines).rstrip() + "\n"


class OpenAIBackend:
    name = "openai"

    def __init__(self) -> None:
        import openai

        self._openai = openai
        self.client = openai.OpenAI(
            api_key=settings.OPENAI_API_KEY or "not-needed",
            base_url=settings.OPENAI_BASE_URL or None,
            timeout=settings.LLM_REQUEST_TIMEOUT,
            max_retries=0,  # Temporal retries, by error class
        )
        self.model = settings.OPENAI_MODEL

    def complete(self, prompt: Prompt, meta: dict) -> Completion:
        openai = self._openai
        started = time.monotonic()
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": prompt.system},
                          {"role": "user", "content": prompt.user}],
                temperature=settings.LLM_TEMPERATURE,
                max_tokens=settings.LLM_MAX_TOKENS,
            )
        except openai.AuthenticationError as err:
            raise LLMError("The LLM provider rejected the API key.", retryable=False,
                           kind="LLMAuth") from err
        except openai.RateLimitError as err:
            raise LLMError("The LLM provider is rate-limiting requests.", retryable=True,
                           kind="LLMRateLimited") from err
        except openai.APIStatusError as err:
            retryable = err.status_code >= 500
            raise LLMError(f"The LLM provider answered HTTP {err.status_code}.",
                           retryable=retryable, kind="LLMStatus") from err
        except (openai.APIConnectionError, openai.APITimeoutError) as err:
            raise LLMError("Could not reach the LLM provider.", retryable=True,
                           kind="LLMConnection") from err
        try:
            text = response.choices[0].message.content or ""
        except (AttributeError, IndexError, TypeError) as err:
            raise LLMError("The LLM provider sent a malformed answer.", retryable=True,
                           kind="LLMMalformed") from err
        if not text.strip():
            raise LLMError("The LLM provider returned an empty draft.", retryable=True,
                           kind="LLMEmpty")
        usage = getattr(response, "usage", None)
        return Completion(
            text=text.strip() + "\n",
            backend=self.name,
            model=getattr(response, "model", None) or self.model,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            latency_ms=int((time.monotonic() - started) * 1000),
        )


def get_backend() -> OfflineBackend | OpenAIBackend:
    if settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL:
        return OpenAIBackend()
    return OfflineBackend()


def backend_label() -> str:
    return "OpenAI-compatible" if (settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL) \
        else "offline"

"""The one module that talks to LLMs.

`get_backend()` picks the OpenAI-compatible backend when OPENAI_API_KEY or OPENAI_BASE_URL is
set (OpenAI, Azure-compatible gateways, LiteLLM, Ollama, vLLM, llama.cpp server …), and the
offline backend otherwise. Both stream: `complete(prompt, meta, on_progress)` calls
`on_progress(chars_so_far)` as text arrives and returns a `Completion` with usage and cost.

Errors come out as `LLMError`: `retryable` says whether another attempt can help (rate limits,
5xx, timeouts, dropped connections, garbled answers) or not (bad key, unknown model, refused
content, a rejected request); `retry_after` carries the provider's Retry-After.
`to_application_error()` turns one into the ApplicationError Temporal retries by, and its
message is what the author reads on the draft page, so it is a plain sentence.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from temporalio.exceptions import ApplicationError

from temporal_app.offline import (  # noqa: F401 - OFFLINE_LABEL is part of this module's API
    OFFLINE_LABEL,
    offline_markdown,
    offline_outline,
    offline_passage,
    offline_section,
    previous_text,
)

OFFLINE_MODEL = "offline-template"
CHARS_PER_TOKEN = 6  # generous: English runs about 4; past this a stream is cut off

# on_progress(characters so far, the text so far): the text is a function, called only when
# the caller stores it (joining the chunks on every one would cost the stream's length
# squared).
Progress = Callable[[int, Callable[[], str]], None]


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
    cost_usd: float = 0.0


class LLMError(Exception):
    def __init__(self, message: str, *, retryable: bool, kind: str = "LLMError",
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.kind = kind
        self.retry_after = retry_after


def to_application_error(err: LLMError) -> ApplicationError:
    """The ApplicationError Temporal acts on: non-retryable ends the run as failed with the
    message; a Retry-After becomes the delay before the next attempt (capped by settings)."""
    delay = None
    if err.retryable and err.retry_after is not None and err.retry_after > 0:
        delay = timedelta(seconds=min(err.retry_after, settings.LLM_RETRY_AFTER_MAX))
    return ApplicationError(err.message, type=err.kind, non_retryable=not err.retryable,
                            next_retry_delay=delay)


# --- usage and cost --------------------------------------------------------------------------


def price_for(model: str) -> tuple[float, float]:
    """(input, output) USD per million tokens: the env override, else the longest key of
    LLM_PRICES that the model name starts with (providers append dates), else (0, 0)."""
    table = settings.LLM_PRICES
    best = ""
    for key in table:
        if model.startswith(key) and len(key) > len(best):
            best = key
    base_in, base_out = table.get(best, (0.0, 0.0)) if best else (0.0, 0.0)
    override_in = settings.LLM_PRICE_INPUT_PER_MTOK
    override_out = settings.LLM_PRICE_OUTPUT_PER_MTOK
    return (base_in if override_in is None else override_in,
            base_out if override_out is None else override_out)


def estimate_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float:
    price_in, price_out = price_for(model)
    return round((prompt_tokens * price_in + completion_tokens * price_out) / 1_000_000, 6)


def estimate_tokens(text: str) -> int:
    """About four characters a token in English; used only when the server sends no usage
    (or a stop cancelled the call before it did)."""
    return max(1, math.ceil(len(text) / 4)) if text else 0


# --- offline ------------------------------------------------------------------------------------


class OfflineBackend:
    """Deterministic, readable Markdown built from the inputs by temporal_app/offline.py: no
    network, clearly labelled offline. A revision starts from the previous version the prompt
    quotes. With OFFLINE_LLM_LATENCY it takes that long and reports progress as it goes, like
    a streamed answer would."""

    name = "offline"
    model = OFFLINE_MODEL

    def complete(self, prompt: Prompt, meta: dict, on_progress: Progress | None = None
                 ) -> Completion:
        started = time.monotonic()
        kind = meta.get("kind", "draft")
        if meta.get("feedback") and not meta.get("previous_text"):
            meta = {**meta, "previous_text": previous_text(prompt.user, meta["feedback"])}
        if kind == "outline":
            text = offline_outline(meta)
        elif kind == "section":
            text = offline_section(meta)
        elif kind == "passage":
            text = offline_passage(meta)
        else:
            text = offline_markdown(meta)
        _simulate_stream(text, settings.OFFLINE_LLM_LATENCY, on_progress)
        return Completion(
            text=text,
            backend=self.name,
            model=OFFLINE_MODEL,
            prompt_tokens=len((prompt.system + prompt.user).split()),
            completion_tokens=len(text.split()),
            latency_ms=int((time.monotonic() - started) * 1000),
            cost_usd=0.0,
        )


    def judge(self, prompt: Prompt, schema: dict) -> Completion:
        """No offline judge: a made-up verdict would read as a real one."""
        raise LLMError("the judge needs an LLM provider, and Redline runs offline (set "
                       "OPENAI_API_KEY or OPENAI_BASE_URL).", retryable=False,
                       kind="JudgeOffline")


def _simulate_stream(text: str, latency: float, on_progress: Progress | None) -> None:
    if not latency:
        if on_progress:
            on_progress(len(text), lambda: text)
        return
    steps = max(1, min(50, int(latency / 0.1)))
    for i in range(1, steps + 1):
        time.sleep(latency / steps)
        if on_progress:
            cut = len(text) * i // steps
            on_progress(cut, lambda cut=cut: text[:cut])


# --- OpenAI-compatible --------------------------------------------------------------------------


def _retry_after(headers) -> float | None:
    """Seconds from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return float(raw_ms) / 1000
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _provider_detail(err) -> str:
    body = getattr(err, "body", None)
    detail = ""
    if isinstance(body, dict):
        inner = body.get("error")
        detail = str(body.get("message") or (inner.get("message") if isinstance(inner, dict)
                                              else inner) or "")
    if not detail:
        detail = getattr(err, "message", "") or ""
    detail = " ".join(detail.split())
    return detail[:300]


def _error_code(err) -> str:
    code = getattr(err, "code", None)
    body = getattr(err, "body", None)
    if not code and isinstance(body, dict):
        code = body.get("code") or body.get("type")
    return str(code or "").lower()


def map_error(err: Exception, model: str, base_url: str = "") -> LLMError:
    """Translate an OpenAI SDK (or transport) exception into an LLMError with a sentence the
    author can act on."""
    import openai

    where = base_url or "api.openai.com"
    if isinstance(err, LLMError):
        return err
    if isinstance(err, openai.APITimeoutError):
        return LLMError("The LLM provider did not answer in time.",
                        retryable=True, kind="LLMTimeout")
    if isinstance(err, openai.APIConnectionError):
        return LLMError(f"Could not reach the LLM provider at {where}.",
                        retryable=True, kind="LLMConnection")
    if isinstance(err, openai.APIStatusError):
        status = err.status_code
        code = _error_code(err)
        detail = _provider_detail(err)
        after = _retry_after(getattr(err.response, "headers", None))
        if status == 401:
            return LLMError("The LLM provider rejected the API key (HTTP 401). Check "
                            "OPENAI_API_KEY, then retry the draft.",
                            retryable=False, kind="LLMAuth")
        if status == 403:
            return LLMError(f"The LLM provider refused access to model '{model}' with this API "
                            "key (HTTP 403). Check the key's permissions or OPENAI_MODEL.",
                            retryable=False, kind="LLMForbidden")
        if status == 404 or "model_not_found" in code or (
                status == 400 and "model" in detail.lower()
                and ("not exist" in detail.lower() or "invalid" in detail.lower()
                     or "not found" in detail.lower())):
            return LLMError(f"The LLM provider does not know model '{model}' (HTTP {status}). "
                            "Check OPENAI_MODEL and OPENAI_BASE_URL.",
                            retryable=False, kind="LLMModel")
        if status == 429:
            if "insufficient_quota" in code or "quota" in detail.lower():
                return LLMError("The LLM account has run out of quota or credit (HTTP 429). "
                                "Top it up, then retry the draft.",
                                retryable=False, kind="LLMQuota")
            return LLMError("The LLM provider is rate-limiting requests (HTTP 429).",
                            retryable=True, kind="LLMRateLimited", retry_after=after)
        if "content_policy" in code or "content_filter" in code:
            return LLMError("The LLM provider refused to write this draft under its content "
                            "policy. Change the topic or brief and submit it again.",
                            retryable=False, kind="LLMRefused")
        if status in (408, 409) or status >= 500:
            return LLMError(f"The LLM provider had a temporary problem (HTTP {status}).",
                            retryable=True, kind="LLMUnavailable", retry_after=after)
        extra = f": {detail}" if detail else "."
        return LLMError(f"The LLM provider rejected the request (HTTP {status}){extra}",
                        retryable=False, kind="LLMRejected")
    if isinstance(err, (openai.APIResponseValidationError, ValueError, KeyError, TypeError,
                        AttributeError, IndexError)):
        return LLMError("The LLM provider sent an answer Redline could not read.",
                        retryable=True, kind="LLMMalformed")
    return LLMError(f"Writing the draft failed: {err}", retryable=True, kind="LLMError")


class OpenAIBackend:
    name = "openai"

    def __init__(self, stall_timeout: float | None = None) -> None:
        import openai

        self._openai = openai
        total = settings.LLM_REQUEST_TIMEOUT
        # A stream that stops sending is given up after `stall_timeout` (the heartbeat
        # timeout), so the worker thread is freed about when Temporal retries elsewhere.
        read = min(total, stall_timeout) if stall_timeout else total
        self.base_url = settings.OPENAI_BASE_URL or ""
        self.client = openai.OpenAI(
            api_key=settings.OPENAI_API_KEY or "not-needed",
            base_url=self.base_url or None,
            timeout=openai.Timeout(total, read=read),
            max_retries=0,  # Temporal retries, by error class
        )
        self.model = settings.OPENAI_MODEL

    def _create(self, prompt: Prompt, with_usage: bool, max_tokens: int):
        kwargs = {}
        if with_usage:
            kwargs["stream_options"] = {"include_usage": True}
        return self.client.chat.completions.create(
            model=self.model,
            messages=[{"role": "system", "content": prompt.system},
                      {"role": "user", "content": prompt.user}],
            temperature=settings.LLM_TEMPERATURE,
            max_tokens=max_tokens,
            stream=True,
            **kwargs,
        )

    def complete(self, prompt: Prompt, meta: dict, on_progress: Progress | None = None
                 ) -> Completion:
        started = time.monotonic()
        # The draft's budget may leave less than the site's ceiling (rulebook.budgets).
        limit = min(settings.LLM_MAX_TOKENS, meta.get("max_tokens") or settings.LLM_MAX_TOKENS)
        try:
            try:
                stream = self._create(prompt, with_usage=True, max_tokens=limit)
            except self._openai.BadRequestError as err:
                # Some OpenAI-compatible servers do not know stream_options: ask without it.
                if "stream_options" not in str(err):
                    raise
                stream = self._create(prompt, with_usage=False, max_tokens=limit)
            return self._read(prompt, stream, started, on_progress, limit)
        except LLMError:
            raise
        except Exception as err:  # noqa: BLE001 - every failure becomes an LLMError
            raise map_error(err, self.model, self.base_url) from err

    def judge(self, prompt: Prompt, schema: dict) -> Completion:
        """One structured answer (the JSON-schema response format), not streamed."""
        started = time.monotonic()
        try:
            response = self.client.chat.completions.create(
                model=self.model,
                messages=[{"role": "system", "content": prompt.system},
                          {"role": "user", "content": prompt.user}],
                temperature=0, max_tokens=min(settings.LLM_MAX_TOKENS, 2_000),
                response_format={"type": "json_schema", "json_schema": {
                    "name": "redline_judge", "strict": True, "schema": schema}})
        except Exception as err:  # noqa: BLE001 - every failure becomes an LLMError
            raise map_error(err, self.model, self.base_url) from err
        choice = response.choices[0] if response.choices else None
        text = (choice.message.content or "") if choice else ""
        usage = response.usage
        model = response.model or self.model
        prompt_tokens = getattr(usage, "prompt_tokens", 0) or estimate_tokens(prompt.user)
        completion_tokens = getattr(usage, "completion_tokens", 0) or estimate_tokens(text)
        return Completion(text=text, backend=self.name, model=model,
                          prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                          latency_ms=int((time.monotonic() - started) * 1000),
                          cost_usd=estimate_cost(model, prompt_tokens, completion_tokens))

    def _read(self, prompt: Prompt, stream, started: float, on_progress: Progress | None,
              limit: int = 0) -> Completion:
        """The streamed answer. A server that writes past `limit` tokens (it ignored
        max_tokens) is cut off there: the text so far, at about CHARS_PER_TOKEN a token."""
        parts: list[str] = []
        chars = 0
        usage = None
        model = ""
        finish = None
        refusal = ""
        try:
            for chunk in stream:
                model = getattr(chunk, "model", None) or model
                if getattr(chunk, "usage", None):
                    usage = chunk.usage
                for choice in chunk.choices or []:
                    delta = choice.delta
                    if delta is not None:
                        if getattr(delta, "refusal", None):
                            refusal += delta.refusal
                        if delta.content:
                            parts.append(delta.content)
                            chars += len(delta.content)
                            if on_progress:
                                on_progress(chars, lambda: "".join(parts))
                    if choice.finish_reason:
                        finish = choice.finish_reason
                if limit and chars > limit * CHARS_PER_TOKEN:
                    finish = "length"
                    break
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        text = "".join(parts).strip()
        if refusal or finish == "content_filter":
            why = f" It said: {' '.join(refusal.split())[:200]}" if refusal else ""
            raise LLMError("The LLM provider refused to write this draft under its content "
                           f"policy.{why} Change the topic or brief and submit it again.",
                           retryable=False, kind="LLMRefused")
        if not text:
            raise LLMError("The LLM provider returned an empty draft.",
                           retryable=True, kind="LLMEmpty")
        model = model or self.model
        prompt_tokens = getattr(usage, "prompt_tokens", 0) or 0
        completion_tokens = getattr(usage, "completion_tokens", 0) or 0
        if usage is None:  # the server sent no usage: estimate, for the cost column
            prompt_tokens = estimate_tokens(prompt.system + prompt.user)
            completion_tokens = estimate_tokens(text)
        return Completion(
            text=text + "\n",
            backend=self.name,
            model=model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            latency_ms=int((time.monotonic() - started) * 1000),
            cost_usd=estimate_cost(model, prompt_tokens, completion_tokens),
        )


def use_openai() -> bool:
    return bool(settings.OPENAI_API_KEY or settings.OPENAI_BASE_URL)


def get_backend(stall_timeout: float | None = None) -> OfflineBackend | OpenAIBackend:
    if use_openai():
        return OpenAIBackend(stall_timeout=stall_timeout)
    return OfflineBackend()

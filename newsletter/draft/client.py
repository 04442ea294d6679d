"""Asking an OpenAI-compatible chat-completions endpoint for a paper's fields, as JSON.

Built on the official ``openai`` package with ``base_url``: it speaks to OpenAI and to the
local servers editors run (Ollama, vLLM, llama.cpp, LM Studio all serve
``/v1/chat/completions``), and it already retries 429 and 5xx answers with backoff that
honours ``Retry-After``, and times requests out. The JSON is asked for in the message's
content (``response_format``: a JSON schema, or JSON mode), not through tool calls, which
local servers support unevenly.

The endpoint is treated as hostile, since a pull request can change it in newsletter.toml:
the answer is read through a byte cap (streamed, never held whole past it), parsed by a
model of its own, and only the fields asked are taken from it; each then goes through the
paper model's validation, and an answer that fails it is asked for again with the reason,
a bounded number of times. The API key goes only where the editor meant it to go (see
``key_for``): no redirect is followed (it would carry the request to another server), no
answer that holds the key is written or printed, and the key is never shown.

The cap holds for every answer, an error's too (the openai package reads an error's body
whole to build its exception): the body of each response is counted as it arrives, and
compression is asked not to be used and refused when it is (a small gzip body can unpack
to gigabytes). The timeout is a deadline for the whole answer, not only between two reads:
a server that sends a byte a second would otherwise keep a run waiting for days.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx2  # the openai package's HTTP client: only 'newsletter draft' imports this module
from pydantic import BaseModel, ConfigDict, ValidationError

from newsletter.entries.hosts import is_local
from newsletter.errors import NewsletterError

if TYPE_CHECKING:
    from newsletter.draft.prompts import Prompt

KEY_VARIABLES = ("NEWSLETTER_DRAFT_API_KEY", "OPENAI_API_KEY")
ENDPOINT_VARIABLE = "NEWSLETTER_DRAFT_ENDPOINT"
MAX_ANSWER_BYTES = 1024 * 1024
OPENAI_HOST = "api.openai.com"


class DraftError(NewsletterError):
    """The model could not give a usable answer; the message names the paper."""


class _Refused(Exception):
    """An answer given up on while it was read (too large, compressed): why, for
    DraftError. Not an httpx error, so that the openai package passes it on unretried."""


# The deadline of the request this thread is making (time.monotonic()), if any: every read,
# write and connect of its socket waits at most until then (see ``_DeadlineBackend``).
_deadline = threading.local()


def _until_deadline(timeout: float | None) -> float | None:
    import httpcore2

    end = getattr(_deadline, "at", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise httpcore2.ReadTimeout("the deadline for the whole answer has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream:
    """A connection whose every wait ends by the deadline of the thread using it."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return bytes(self._stream.read(max_bytes, _until_deadline(timeout)))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _until_deadline(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> _DeadlineStream:
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname,
                                                      _until_deadline(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend:
    """httpcore's network backend, its connections made ``_DeadlineStream``s."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> Any:
        return _DeadlineStream(self._backend.connect_tcp(
            host, port, _until_deadline(timeout), local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> Any:
        return _DeadlineStream(self._backend.connect_unix_socket(
            path, _until_deadline(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class _Capped(httpx2.SyncByteStream):
    """A response body that stops at MAX_ANSWER_BYTES, however the response is read."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        count = 0
        for chunk in self._stream:
            count += len(chunk)
            if count > MAX_ANSWER_BYTES:
                raise _Refused(f"is larger than {MAX_ANSWER_BYTES // 1024} KiB; refused")
            yield chunk

    def close(self) -> None:
        self._stream.close()


def _guard(response: Any) -> None:
    """The httpx response hook: before any of a body is read, refuse a compressed one and
    cap the rest."""
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        response.close()
        raise _Refused(f"is compressed ({_shown(encoding, 40)}) though it was asked not to "
                       "be; refused")
    response.stream = _Capped(response.stream)


def _http_client(timeout: float) -> Any:
    """An httpx client that follows no redirect, takes no compressed answer, caps every
    body and keeps every request to its deadline."""
    transport = httpx2.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    if pool is not None and hasattr(pool, "_network_backend"):
        pool._network_backend = _DeadlineBackend(pool._network_backend)
    return httpx2.Client(transport=transport, timeout=timeout, follow_redirects=False,
                         headers={"Accept-Encoding": "identity"},
                         event_hooks={"response": [_guard]})


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    content: str | None = None
    refusal: str | None = None


class _Choice(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message: _Message
    finish_reason: str | None = None


class _Usage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    prompt_tokens: int = 0
    completion_tokens: int = 0


class _Completion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    choices: list[_Choice]
    usage: _Usage | None = None


@dataclass
class Usage:
    """Tokens the endpoint reported, summed over a run."""

    prompt: int = 0
    completion: int = 0
    requests: int = 0

    def add(self, usage: _Usage | None) -> None:
        self.requests += 1
        if usage is not None:
            self.prompt += max(0, usage.prompt_tokens)
            self.completion += max(0, usage.completion_tokens)


def key_for(endpoint: str, *, endpoint_chosen: bool) -> str | None:
    """The API key to send to ``endpoint``: from NEWSLETTER_DRAFT_API_KEY, else
    OPENAI_API_KEY, never a file. newsletter.toml comes with pull requests, so a key goes
    to the endpoint it names only when that is OpenAI's API or this machine; any other host
    must be chosen by the editor (``--endpoint`` or NEWSLETTER_DRAFT_ENDPOINT,
    ``endpoint_chosen``), or a changed line in a pull request could collect the key."""
    key = next((value for name in KEY_VARIABLES if (value := os.environ.get(name))), None)
    if key is None:
        return None
    host = (urlsplit(endpoint).hostname or "").lower()
    openai_api = host == OPENAI_HOST and urlsplit(endpoint).scheme == "https"
    if endpoint_chosen or openai_api or is_local(endpoint):
        return key
    raise DraftError(
        f"newsletter.toml's [draft] endpoint is {host or endpoint!a}, neither OpenAI's API "
        "nor this machine; to send your API key there, name it yourself with --endpoint "
        f"(or {ENDPOINT_VARIABLE})")


def _shown(text: str, limit: int = 160) -> str:
    from newsletter.entries.problems import printable

    one = " ".join(printable(text).split())
    return one if len(one) <= limit else one[:limit - 1] + "…"


@dataclass
class ModelClient:
    """One endpoint and model, shared by the threads of a run (the openai client is)."""

    endpoint: str
    model: str
    temperature: float = 0.2
    timeout: float = 120.0
    attempts: int = 3
    response_format: str = "json_schema"
    key: str | None = None
    max_retries: int = 3  # the openai client's, for 429/5xx and dropped connections
    usage: Usage = field(default_factory=Usage)
    _client: Any = field(default=None, init=False, repr=False)

    def _openai(self) -> Any:
        if self._client is None:
            from openai import OpenAI

            # A local server takes any key; the package refuses to start without one.
            self._client = OpenAI(base_url=self.endpoint, api_key=self.key or "no-key",
                                  timeout=self.timeout, max_retries=self.max_retries,
                                  http_client=_http_client(self.timeout))
        return self._client

    def ask(self, where: str, prompt: Prompt,
            valid: Callable[[dict[str, Any]], list[str]]) -> dict[str, Any]:
        """The fields ``prompt`` asks for, once ``valid`` finds no problem with them (it
        returns the problems); DraftError naming ``where`` after ``attempts`` answers."""
        messages = list(prompt.messages)
        problems: list[str] = []
        for _ in range(self.attempts):
            content = self._complete(where, messages, prompt)
            fields, problems = _fields(content, prompt.fields)
            if not problems:
                problems = valid(fields)
                if not problems:
                    return fields
            messages = [*prompt.messages, {"role": "assistant", "content": content[:20000]},
                        {"role": "user", "content": "That answer cannot be used: "
                         + "; ".join(problems[:10]) + ". Answer again with one JSON object "
                         "holding exactly the fields asked for."}]
        raise DraftError(f"{where}: {self.attempts} answers from {self.model} could not be "
                         f"used; the last: {_shown('; '.join(problems))}")

    def _format(self, prompt: Prompt) -> dict[str, Any]:
        if self.response_format == "json_object":
            return {"type": "json_object"}
        return {"type": "json_schema", "json_schema": {
            "name": "paper_fields", "strict": True, "schema": prompt.schema}}

    def _hidden(self, text: str) -> str:
        """``text`` as it may be shown: the key, should a server echo it, replaced."""
        return text.replace(self.key, "[the API key]") if self.key else text

    def _complete(self, where: str, messages: list[dict[str, str]], prompt: Prompt) -> str:
        import openai

        # What the endpoint is called in messages: its host and port, never a user name or
        # password the URL may carry.
        host = _shown(urlsplit(self.endpoint).netloc.rpartition("@")[2] or self.endpoint)
        timed_out = DraftError(f"{where}: no answer from {host} within {self.timeout:g} s")
        _deadline.at = time.monotonic() + self.timeout
        try:
            with self._openai().chat.completions.with_streaming_response.create(
                    model=self.model, messages=messages, temperature=self.temperature,
                    response_format=self._format(prompt)) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise _Refused(f"is larger than {MAX_ANSWER_BYTES // 1024} KiB; "
                                       "refused")
        except _Refused as refused:
            raise DraftError(f"{where}: the answer from {host} {refused}") from None
        except (openai.APITimeoutError, httpx2.TimeoutException):
            raise timed_out from None
        except openai.APIConnectionError as error:
            cause = self._hidden(str(error.__cause__ or error))
            raise DraftError(f"{where}: cannot reach {host} ({_shown(cause, 80)})") from None
        except httpx2.HTTPError as error:  # while the body was read, past the openai client
            raise DraftError(f"{where}: the answer from {host} broke off "
                             f"({_shown(self._hidden(str(error)), 80)})") from None
        except openai.AuthenticationError:
            raise DraftError(f"{where}: {host} refused the API key (HTTP 401); set "
                             f"{KEY_VARIABLES[0]}") from None
        except openai.RateLimitError:
            raise DraftError(f"{where}: {host} is rate limiting (HTTP 429) after "
                             f"{self.max_retries} retries; try again later, or lower "
                             "[draft] concurrency") from None
        except openai.APIStatusError as error:
            if 300 <= error.status_code < 400:
                raise DraftError(f"{where}: {host} answered HTTP {error.status_code}, a "
                                 "redirect, which is not followed (it would take the "
                                 "request elsewhere); name the endpoint it leads to") \
                    from None
            raise DraftError(f"{where}: {host} answered HTTP {error.status_code}: "
                             f"{_shown(self._hidden(error.message), 120)}") from None
        finally:
            _deadline.at = None
        if self.key and self.key.encode() in body:
            raise DraftError(f"{where}: the answer from {host} holds your API key; refused "
                             "(nothing of it is written or shown)")
        try:
            completion = _Completion.model_validate_json(bytes(body))
        except ValidationError:
            raise DraftError(f"{where}: {host} did not answer a chat completion") from None
        self.usage.add(completion.usage)
        if not completion.choices:
            raise DraftError(f"{where}: {host} answered no choice")
        choice = completion.choices[0]
        if self.key and self.key in (choice.message.content or "") + (choice.message.refusal
                                                                      or ""):
            raise DraftError(f"{where}: the answer from {host} holds your API key; refused "
                             "(nothing of it is written or shown)")
        if choice.message.refusal:
            raise DraftError(f"{where}: the model refused: {_shown(choice.message.refusal)}")
        if choice.finish_reason == "content_filter":
            raise DraftError(f"{where}: the endpoint's content filter stopped the answer")
        return choice.message.content or ""


def _fields(content: str, asked: tuple[str, ...]) -> tuple[dict[str, Any], list[str]]:
    """The asked fields of the JSON object ``content`` (others are dropped: only what was
    asked is ever written), or what is wrong with it."""
    text = content.strip()
    if text.startswith("```"):  # some local models fence JSON even in JSON mode
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return {}, ["it is not valid JSON"]
    if not isinstance(data, dict):
        return {}, ["it is not a JSON object"]
    missing = [name for name in asked if name not in data]
    if missing:
        return {}, [f"it lacks {', '.join(missing)}"]
    return {name: data[name] for name in asked}, []

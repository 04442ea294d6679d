"""A stand-in for an OpenAI-compatible chat-completions endpoint, on 127.0.0.1.

``ChatStandIn(server).script(...)`` queues answers, served one per request in order (the
last one again once the queue is empty): a message content (a fixture of
tests/fixtures/chat/ or a string), an HTTP status with headers, a refusal, or a delay past
the client's timeout. Every request body is kept, for tests that read what was asked.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

CHAT = Path(__file__).parent.parent / "fixtures" / "chat"
PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Answer:
    content: str | None = None
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    refusal: str | None = None
    delay: float = 0.0
    body: bytes | None = None  # sent as it is, instead of a completion


def fixture(name: str) -> Answer:
    return Answer(content=(CHAT / name).read_text(encoding="utf-8"))


@dataclass
class ChatStandIn:
    server: HTTPServer
    answers: list[Answer] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server.expect_request(PATH, method="POST").respond_with_handler(self._answer)

    @property
    def endpoint(self) -> str:
        return self.server.url_for("/v1")

    def script(self, *answers: Answer) -> ChatStandIn:
        self.answers = list(answers)
        return self

    def _next(self) -> Answer:
        with self._lock:
            if len(self.answers) > 1:
                return self.answers.pop(0)
            return self.answers[0] if self.answers else fixture("good-briefing.json")

    def _answer(self, request: Request) -> Response:
        self.requests.append(json.loads(request.get_data()))
        answer = self._next()
        if answer.delay:
            time.sleep(answer.delay)
        if answer.body is not None:
            return Response(answer.body, answer.status, content_type="application/json")
        if answer.status != 200:
            return Response(json.dumps({"error": {"message": "slow down", "type": "rate"}}),
                            answer.status, headers=dict(answer.headers),
                            content_type="application/json")
        message: dict[str, Any] = {"role": "assistant", "content": answer.content}
        if answer.refusal is not None:
            message = {"role": "assistant", "content": None, "refusal": answer.refusal}
        completion = {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion",
            "created": 1767225600, "model": self.requests[-1].get("model", "stand-in"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 400, "completion_tokens": 120, "total_tokens": 520},
        }
        return Response(json.dumps(completion), 200, content_type="application/json")


def main() -> None:
    """``python -m tests.support.chat [PORT] [FIXTURE]``: the chat-completions stand-in on
    127.0.0.1, answering every request with a fixture of tests/fixtures/chat/ (default
    good-briefing.json), to try ``newsletter draft`` by hand; prints the variable to set."""
    import sys

    server = HTTPServer(host="127.0.0.1", port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    standin = ChatStandIn(server)
    if len(sys.argv) > 2:
        standin.script(fixture(sys.argv[2]))
    from tests.support.standin import serve_until_interrupted

    serve_until_interrupted(server, [f"export NEWSLETTER_DRAFT_ENDPOINT={standin.endpoint}",
                                     "# serving a chat-completions stand-in; Ctrl-C stops"])


def completion(content: str) -> bytes:
    """A whole chat completion whose message content is ``content``, as JSON bytes."""
    return json.dumps({
        "id": "chatcmpl-raw", "object": "chat.completion", "created": 1767225600,
        "model": "stand-in", "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": content}}]}).encode()


@dataclass
class RawServer:
    """A server on 127.0.0.1 that answers each connection with ``handle(connection,
    request_head)``, for answers no well-behaved HTTP server sends: a body that never
    ends, one sent a byte at a time, a connection closed mid-body. Keeps each request's
    head (the request line and headers), and counts the bytes each answer sent."""

    handle: Callable[[socket.socket, bytes], None]
    heads: list[bytes] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    _socket: socket.socket | None = None
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> RawServer:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        assert self._socket is not None
        self._socket.close()

    @property
    def port(self) -> int:
        assert self._socket is not None
        return int(self._socket.getsockname()[1])

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _serve(self) -> None:
        assert self._socket is not None
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._one, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _one(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                head, _, rest = head.partition(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(rest) < length:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    rest += chunk
                self.heads.append(head)
                counting = _Counting(connection, self._stop)
                try:
                    self.handle(counting, head)  # type: ignore[arg-type]
                finally:
                    self.sent.append(counting.count)
            except OSError:  # the client hung up: what it would not read is not sent
                pass


class _Counting:
    """A socket's sendall, counting what was sent, and stopping once the server stops."""

    def __init__(self, connection: socket.socket, stop: threading.Event) -> None:
        self.connection = connection
        self.stop = stop
        self.count = 0

    def sendall(self, data: bytes) -> None:
        if self.stop.is_set():
            raise OSError("the server stopped")
        self.connection.sendall(data)
        self.count += len(data)

    def close(self) -> None:
        self.connection.close()


if __name__ == "__main__":
    main()

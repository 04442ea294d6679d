"""A stand-in for an OpenAI-compatible chat-completions endpoint, on 127.0.0.1.

``ChatStandIn(server).script(...)`` queues answers, served one per request in order (the
last one again once the queue is empty): a message content (a fixture of
tests/fixtures/chat/ or a string), an HTTP status with headers, a refusal, or a delay past
the client's timeout. Every request body is kept, for tests that read what was asked.
"""

from __future__ import annotations

import json
import threading
import time
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
    server.start()
    print(f"export NEWSLETTER_DRAFT_ENDPOINT={standin.endpoint}")
    print("# serving a chat-completions stand-in; Ctrl-C stops", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()

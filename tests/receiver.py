"""A real HTTP receiver on 127.0.0.1 standing in for the channels outside the system.

It records every request (method, path, raw and parsed query, headers, body)
and answers with the status and body a test sets.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OK_ROBOT = b'{"errcode":0,"errmsg":"ok"}'


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class Receiver:
    """Records requests; answers with ``status``/``body`` after ``delay`` seconds."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.status = 200
        self.body = OK_ROBOT
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                parts = urlsplit(self.path)
                receiver.requests.append(
                    Recorded(
                        method=self.command,
                        path=parts.path,
                        raw_query=parts.query,
                        query=parse_qs(parts.query),
                        headers={k.lower(): v for k, v in self.headers.items()},
                        body=body,
                    )
                )
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def answer(self, status: int, body: bytes | dict[str, Any] = b"") -> None:
        self.status = status
        self.body = json.dumps(body).encode() if isinstance(body, dict) else body

    @property
    def only(self) -> Recorded:
        assert len(self.requests) == 1
        return self.requests[0]

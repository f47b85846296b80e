"""A local HTTP receiver on 127.0.0.1 that stands in for the outside world.

It records every request (arrival time, path, webhook-id, body) and answers as
scripted per path: a list of answers consumed in order, then the default. An answer
is a status code, or ("hang", seconds) to sit on the request, or (status, headers).
The benchmark uses it too.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hit:
    path: str
    key: str
    arrived: float  # time.time()
    body: bytes
    headers: dict[str, str]


@dataclass
class Receiver:
    hits: list[Hit] = field(default_factory=list)
    script: dict[str, list[Any]] = field(default_factory=dict)
    default: Any = 200
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def keys(self, path: str | None = None) -> Counter[str]:
        with self.lock:
            return Counter(h.key for h in self.hits if path is None or h.path == path)

    def for_path(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]

    def answer(self, path: str) -> Any:
        with self.lock:
            queue = self.script.get(path)
            return queue.pop(0) if queue else self.default

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                arrived = time.time()
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    receiver.hits.append(
                        Hit(
                            self.path,
                            self.headers.get("webhook-id", ""),
                            arrived,
                            body,
                            {k.lower(): v for k, v in self.headers.items()},
                        )
                    )
                answer = receiver.answer(self.path)
                headers: dict[str, str] = {}
                if isinstance(answer, tuple) and answer[0] == "hang":
                    time.sleep(answer[1])
                    answer = 200
                elif isinstance(answer, tuple):
                    answer, headers = answer
                self.send_response(answer)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "2")
                self.end_headers()
                with contextlib.suppress(OSError):  # the sender may have given up
                    self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            # socketserver's backlog of 5 overflows when 50 sends arrive together, and a
            # dropped connection attempt comes back a whole second later.
            request_queue_size = 1024

            def server_bind(self) -> None:
                # http.server writes headers and body in two sends; with Nagle's algorithm
                # the body waits 40 ms for the client's delayed ACK. Accepted sockets
                # inherit this from the listening one.
                self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                super().server_bind()

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

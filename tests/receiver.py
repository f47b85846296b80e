"""A local HTTP receiver on 127.0.0.1 that stands in for the outside world.

It records every request (arrival time, path, webhook-id, body) and answers as
scripted per path: a list of answers consumed in order, then the default. An answer
is a status code, or ("hang", seconds) to sit on the request, or (status, headers).
The benchmark uses it too.

One asyncio event loop in one thread serves every connection: arrival times are
taken in the order requests really arrive, not when a handler thread got the GIL
(with a thread per connection, fifty requests arriving together were stamped over
~80 ms on two cores).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
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
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Cancelled by stop() while a client keeps its connection open: end quietly (asyncio
        # logs a cancelled connection handler as an error in the test output).
        quiet = (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError)
        with contextlib.suppress(*quiet):
            while True:  # HTTP/1.1 keep-alive: requests one after another
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                hit = Hit(path, headers.get("webhook-id", ""), time.time(), body, headers)
                with self.lock:
                    self.hits.append(hit)
                answer, extra = self.answer(path), {}
                if isinstance(answer, tuple) and answer[0] == "hang":
                    await asyncio.sleep(answer[1])
                    answer = 200
                elif isinstance(answer, tuple):
                    answer, extra = answer
                lines = [f"HTTP/1.1 {answer} Scripted", "content-length: 2"]
                lines += [f"{k}: {v}" for k, v in extra.items()]
                writer.write(("\r\n".join(lines) + "\r\n\r\nok").encode())
                await writer.drain()
        writer.close()

    def start(self) -> Receiver:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.close()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def shutdown() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)

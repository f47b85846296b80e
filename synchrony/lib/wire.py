"""One HTTP request, connected ahead of its moment and written at it.

A launch's channels must be hit together. With an HTTP client, each request at the
moment still costs a connection (DNS, TCP, TLS) and a millisecond or so of Python per
request, paid one thread at a time under the GIL: ten requests left over tens of
milliseconds, and more when the worker was busy. Here everything is done ahead: the
request's bytes are built, the host is resolved and checked (`check_url`), and the
connection is opened, TLS handshake included, to the address that was checked, so a
name that changes its answer afterwards cannot redirect the send. At the moment,
`write` is one `sendall`; `answer` then reads the reply.

Only what the launch engine needs: a POST, `Connection: close`, no redirects, a
bounded read of the reply.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from dataclasses import dataclass
from email.message import Message
from functools import cache
from urllib.parse import quote, urlsplit

import certifi

from synchrony.lib.outbound import check_url

USER_AGENT = "Synchrony launch engine"
MAX_ANSWER_BYTES = 64 * 1024
# Characters kept as they are in the request target; anything else (spaces, controls,
# non-ASCII) is percent-encoded, so a URL can never add a header line.
_TARGET_SAFE = "!#$%&'()*+,/:;=?@[]~-._"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    text: str


@cache
def _tls() -> ssl.SSLContext:
    # The same certificate authorities as httpx (certifi); loading them takes a while,
    # so once per process.
    return ssl.create_default_context(cafile=certifi.where())


class Wire:
    """A POST of `body` to `url`, ready to go: `connect()` ahead, then `write()`, `answer()`.

    `connect` raises `UnsafeURL` for an address that may not be called and `OSError`
    when the host cannot be reached; `write` and `answer` raise `OSError` (a timeout is
    `TimeoutError`) and `http.client.HTTPException` for a reply that is not HTTP.
    """

    def __init__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
        parts = urlsplit(url)
        self.url = url
        self.tls = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.tls else 80)
        self.timeout = timeout
        name = self.host if self.host.isascii() else self.host.encode("idna").decode()
        if ":" in name:
            name = f"[{name}]"  # an IPv6 literal
        host_header = name if parts.port is None else f"{name}:{parts.port}"
        target = quote(parts.path or "/", safe=_TARGET_SAFE)
        if parts.query:
            target += "?" + quote(parts.query, safe=_TARGET_SAFE)
        lines = [
            f"POST {target} HTTP/1.1",
            f"host: {host_header}",
            f"user-agent: {USER_AGENT}",
            f"content-length: {len(body)}",
            "connection: close",
        ]
        for key, value in headers.items():
            if any(c in f"{key}{value}" for c in "\r\n\0"):
                raise ValueError(f"header {key!r} has a line break")
            lines.append(f"{key}: {value}")
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def connect(self) -> None:
        """Check the URL, resolve it, and open the connection to the address checked."""
        addresses = check_url(self.url)
        error: OSError | None = None
        for family, address in addresses:
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.connect(address)
                if self.tls:
                    sock = _tls().wrap_socket(sock, server_hostname=self.host)
            except OSError as failed:
                sock.close()
                error = failed
                continue
            with self._lock:
                self._sock = sock
            return
        raise error or OSError(f"{self.host} has no address to connect to")

    def write(self) -> None:
        """Put the request on the wire: one sendall on the open connection.

        A connection the other side closed while it waited (an idle timeout shorter than
        the wait) is opened again first: before a request, a readable socket can only
        mean the server hung up (or will), and it has seen nothing of this request.
        """
        if self._sock is None or self._hung_up(self._sock):
            self.close()
            self.connect()
        self._current().sendall(self.request)

    def answer(self) -> Answer:
        response = http.client.HTTPResponse(self._current(), method="POST")  # type: ignore[arg-type]
        try:
            response.begin()
            text = response.read(MAX_ANSWER_BYTES).decode("utf-8", "replace")
            return Answer(response.status, response.msg, text)
        finally:
            response.close()
            self.close()

    def close(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def _hung_up(self, sock: socket.socket) -> bool:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        if not poller.poll(0):
            return False
        # Readable: a hang-up, or (TLS 1.3) session tickets the server sent after the
        # handshake. Read without waiting to tell them apart.
        try:
            if isinstance(sock, ssl.SSLSocket):
                sock.setblocking(False)
                try:
                    sock.recv(1)
                finally:
                    sock.settimeout(self.timeout)
            else:
                sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except OSError:
            return True
        return True  # closed (b""), or talking before it was asked: start again

    def _current(self) -> socket.socket:
        sock = self._sock
        if sock is None:
            raise ConnectionResetError("the connection was closed")
        return sock

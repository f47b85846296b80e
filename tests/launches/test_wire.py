"""A launch send connects ahead and writes at the moment (synchrony/lib/wire.py).

Real sockets on 127.0.0.1: the receiver, a server that hangs up on the first
connection, and a TLS server with a certificate from a test authority (trustme).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator

import pytest
import trustme

from synchrony.launches.adapters import post
from synchrony.lib import outbound, wire


def test_connected_ahead_written_at_the_moment(receiver):
    send = post(receiver.url + "/a path/é?q=x y", b'{"hello": 1}', {"webhook-id": "k1"}, timeout=5)
    send.ready()
    assert receiver.hits == []  # connected, nothing sent yet
    send.write()
    result = send.answer()
    assert result.outcome == "delivered" and result.status_code == 200
    (hit,) = receiver.hits
    assert hit.path == "/a%20path/%C3%A9?q=x%20y"
    assert hit.key == "k1" and hit.body == b'{"hello": 1}'
    assert hit.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert hit.headers["connection"] == "close"


def test_a_5xx_answer_is_worth_a_retry_with_its_retry_after(receiver):
    receiver.script["/busy"] = [(503, {"retry-after": "7"})]
    result = post(receiver.url + "/busy", b"{}", {}, timeout=5)()
    assert (result.outcome, result.status_code, result.retry_after) == ("retry", 503, 7.0)


@pytest.fixture
def hangs_up_first() -> Iterator[tuple[int, list[bytes]]]:
    """A server that closes the first connection unread (an idle timeout shorter than
    our wait), and answers 200 on the next."""
    listener = socket.create_server(("127.0.0.1", 0))
    requests: list[bytes] = []

    def serve() -> None:
        first, _ = listener.accept()
        first.close()
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            requests.append(data)
            conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], requests
    listener.close()
    thread.join(5)


def test_a_connection_closed_while_waiting_is_opened_again(hangs_up_first):
    port, requests = hangs_up_first
    send = post(f"http://127.0.0.1:{port}/hook", b"", {}, timeout=5)
    send.ready()
    threading.Event().wait(0.2)  # the server hangs up meanwhile
    send.write()
    assert send.answer().outcome == "delivered"
    assert len(requests) == 1 and requests[0].startswith(b"POST /hook HTTP/1.1\r\n")


@pytest.fixture
def tls_server() -> Iterator[tuple[int, trustme.CA, list[int]]]:
    ca = trustme.CA()
    accepted: list[int] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = conn.recv(65536)
                        if not chunk:
                            raise ConnectionResetError
                        data += chunk
                    conn.sendall(b"HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n")
            except (ssl.SSLError, OSError):
                continue  # a client that refused our certificate

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], ca, accepted
    listener.close()


def test_https_with_a_trusted_certificate(tls_server, monkeypatch):
    port, ca, accepted = tls_server
    trusted = ssl.create_default_context()
    ca.configure_trust(trusted)
    monkeypatch.setattr(wire, "_tls", lambda: trusted)
    send = post(f"https://localhost:{port}/hook", b"{}", {}, timeout=5)
    send.ready()
    threading.Event().wait(0.2)  # TLS 1.3 session tickets arrive meanwhile: not a hang-up
    send.write()
    result = send.answer()
    assert (result.outcome, result.status_code) == ("delivered", 201)
    assert len(accepted) == 1  # the connection opened ahead was the one used


def test_https_refuses_a_certificate_nobody_vouches_for(tls_server):
    port, _, _ = tls_server
    result = post(f"https://localhost:{port}/hook", b"{}", {}, timeout=5)()
    assert result.outcome == "retry"
    assert "CERTIFICATE_VERIFY_FAILED" in result.error


def test_a_name_that_turns_private_after_the_check_is_refused_at_the_moment(receiver, monkeypatch):
    """DNS rebinding: the name passed when the send was prepared, then answers with an
    internal address. The connection goes only to addresses checked just before it."""
    answers = iter(["127.0.0.1", "10.0.0.7", "10.0.0.7"])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "hooks.example.test":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(outbound.socket, "getaddrinfo", rebinding)
    result = post(f"http://hooks.example.test:{receiver.port}/x", b"{}", {}, timeout=5)()
    assert result.outcome == "failed"
    assert "10.0.0.7" in result.error and "private" in result.error
    assert receiver.hits == []

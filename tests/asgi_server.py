"""uvicorn serving the real ASGI application in a thread, on a free loopback port.

pytest-django's live_server is WSGI, which cannot stream server-sent events; the
browser tests and the live-update benchmark use this instead.
"""

from __future__ import annotations

import socket
import threading
import time


class AsgiServer:
    def __init__(self) -> None:
        import uvicorn

        from synchrony.asgi import application

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        from asgiref.sync import SyncToAsync
        from django.db import connections

        self.server.should_exit = True
        self.thread.join(timeout=10)
        # Django's sync code ran in asgiref's one sync thread; close its database
        # connection there, or the test database cannot be dropped.
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)

"""`make run`'s process runner: web (ASGI), Celery worker and beat in the foreground.

Ctrl-C stops them all (honcho forwards the signal and waits). When no Redis
answers at REDIS_URL and a local redis-server is installed, one is started
under var/ for the session; otherwise the user gets a clear message.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from honcho.manager import Manager
from honcho.printer import Printer

from synchrony.lib.local_secret import local_secret_key

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
BIN = Path(sys.executable).parent


def redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def main() -> int:
    # Development defaults; the environment wins. The children (web, worker, beat) inherit.
    os.environ.setdefault("DEBUG", "true")
    if "SECRET_KEY" not in os.environ:
        os.environ["SECRET_KEY"] = local_secret_key()
    url = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    host, port = url.hostname or "127.0.0.1", url.port or 6379
    port_web = os.environ.get("PORT", "8000")
    # Links in e-mails and webhook payloads point at this server unless told otherwise.
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port_web}")
    processes = {
        "web": f"{BIN / 'uvicorn'} synchrony.asgi:application --host 127.0.0.1 --port {port_web}"
        " --reload --reload-dir synchrony --reload-dir templates",
        "worker": f"{BIN / 'celery'} -A synchrony worker --loglevel INFO",
        "beat": f"{BIN / 'celery'} -A synchrony beat --loglevel INFO"
        f" --schedule {VAR / 'celerybeat-schedule'}",
    }
    redis_child = None
    if not redis_answers(host, port):
        server = shutil.which("redis-server")
        if server is None or host not in ("127.0.0.1", "localhost"):
            print(
                f"Synchrony needs Redis at {host}:{port} and none answers.\n"
                "Install it (Debian: apt-get install redis-server) or set REDIS_URL.",
                file=sys.stderr,
            )
            return 1
        print(f"No Redis answered at {host}:{port}; starting a local redis-server under var/.")
        VAR.mkdir(exist_ok=True)
        redis_child = subprocess.Popen(  # noqa: S603 - our own fixed command line
            [
                server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(VAR),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(VAR / "redis.log"),
            ]
        )
        for _ in range(50):
            if redis_answers(host, port):
                break
            time.sleep(0.1)
    try:
        # Redis is up first: the demo workspace's notifications enqueue e-mails.
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput"], check=True, cwd=ROOT)  # noqa: S603
        subprocess.run([*manage, "load_demo", "--if-empty"], check=True, cwd=ROOT)  # noqa: S603
        return run_processes(processes, port_web)
    except subprocess.CalledProcessError as error:
        return error.returncode
    finally:
        if redis_child is not None:
            redis_child.terminate()
            redis_child.wait(timeout=10)


def run_processes(processes: dict[str, str], port_web: str) -> int:
    logins = VAR / "demo-logins.txt"
    if logins.exists():
        print(logins.read_text())
    print(f"Synchrony: http://127.0.0.1:{port_web}/  (Ctrl-C stops web, worker and beat)\n")
    manager = Manager(Printer(sys.stdout))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name, cmd in processes.items():
        manager.add_process(name, cmd, env=env, cwd=str(ROOT))
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main())

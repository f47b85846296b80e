"""Where a bench page spends its CPU: a sampling profile on `make bench`'s data set.

    python -m benchmarks.profile month            # by line of our code (synchrony/…)
    python -m benchmarks.profile portfolio --by incl --top 60 --runs 50

Pages: month, week, agenda, project, portfolio (as `make bench` fetches them, as its
manager). The data set must exist (`make bench` makes it). A SIGPROF timer samples the
stack every 0.5 ms of this process's CPU time, so PostgreSQL's time and waiting are not
in it, and other load on a shared machine moves the shares far less than wall times:
read the percentages. `--by own` charges each sample to the innermost line of our code
on the stack, `leaf` to the line running, `incl` to every function on the stack.
Unlike cProfile it adds almost nothing per call, so many small calls are not inflated.
"""

from __future__ import annotations

import argparse
import collections
import gc
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from benchmarks import run

ROOT = str(Path(__file__).resolve().parent.parent)
PAGES = {
    "month": "calendar month",
    "week": "calendar week",
    "agenda": "calendar agenda",
    "project": "project timeline",
    "portfolio": "portfolio timeline",
}


def where(frame: FrameType) -> str:
    name = frame.f_code.co_filename
    for prefix in ("site-packages/", f"{ROOT}/", "/lib/python3."):
        if prefix in name:
            name = name.split(prefix, 1)[1]
            break
    return f"{name}:{frame.f_code.co_name}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", choices=PAGES)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--by", choices=("own", "leaf", "incl"), default="own")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)

    run.configure()
    import django

    django.setup()
    from django.test import Client
    from django.utils import timezone

    from benchmarks import dataset, server
    from synchrony.accounts.models import User
    from synchrony.projects.models import Project

    manager = User.objects.get(username=dataset.MANAGER)
    timezone.activate(manager.time_zone)
    project = Project.objects.get(name=dataset.LIVE_PROJECT)
    cases = server.cases(manager, project, timezone.localdate())
    url = next(c.url for c in cases if c.name == PAGES[args.page])
    client = Client()
    client.force_login(manager)
    for _ in range(3):
        client.get(url)

    counts: collections.Counter[str] = collections.Counter()
    samples = 0

    def sample(signum: int, frame: FrameType | None) -> None:
        nonlocal samples
        samples += 1
        if frame is None:
            return
        if args.by == "leaf":
            counts[f"{where(frame)}:{frame.f_lineno}"] += 1
            return
        seen = set()
        f: FrameType | None = frame
        while f is not None:
            if args.by == "own" and f.f_code.co_filename.startswith(f"{ROOT}/synchrony/"):
                counts[f"{where(f)}:{f.f_lineno}"] += 1
                return
            if args.by == "incl" and (name := where(f)) not in seen:
                seen.add(name)
                counts[name] += 1
            f = f.f_back
        if args.by == "own":
            counts["(outside synchrony/)"] += 1

    gc.collect()
    gc.freeze()  # as the bench does: each run pays for its own garbage only
    signal.signal(signal.SIGPROF, sample)
    signal.setitimer(signal.ITIMER_PROF, 0.0005, 0.0005)
    started = time.process_time()
    for _ in range(args.runs):
        client.get(url)
        gc.collect()
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    cpu = (time.process_time() - started) * 1000 / args.runs
    print(f"{PAGES[args.page]}: {cpu:.1f} ms of CPU a run, {samples} samples")
    for name, n in counts.most_common(args.top):
        print(f"{100 * n / max(samples, 1):5.1f}%  {cpu * n / max(samples, 1):6.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

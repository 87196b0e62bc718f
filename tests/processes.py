"""Helpers for tests that run real server processes (scrapyd, datasette, redis, demo portals).

Why one module: every such test needs a free port on 127.0.0.1 and a stop that cannot hang the
run (terminate, then kill a child that ignores it); these were written again in each test file.
"""
from __future__ import annotations

import socket
import subprocess


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()

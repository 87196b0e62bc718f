"""Run a slow or risky reader in a child process with a wall-clock timeout and a memory ceiling.

Why a child process: pdfminer on a hostile PDF, python-docx on a zip bomb or LibreOffice on a
broken DOC can loop or allocate without bound, and neither a thread nor a signal can stop C code
reliably. A forked child inherits the already-imported readers (cheap to start), gets an
address-space limit (``resource.setrlimit(RLIMIT_AS)``) so an allocation fails instead of the
machine swapping, and is killed when the deadline passes. The parent only ever sees a
``Document`` — with a finding (``timeout``, ``memory_limit``, ``reader_crashed``) when the child
did not finish — so one bad file costs bounded time and memory and the crawl carries on.
"""
from __future__ import annotations

import faulthandler
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .document import Document
from .findings import Finding

if TYPE_CHECKING:  # pragma: no cover
    from .api import ExtractOptions

#: bytes of address space a reader may add on top of what the process already maps
DEFAULT_MEMORY = 1536 * 1024 * 1024
#: set NIANBAO_NO_FORK=1 to run readers in-process (debugging with pdb)
_NO_FORK_ENV = "NIANBAO_NO_FORK"


def _current_address_space() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _limit_memory(extra: int) -> None:
    import resource
    limit = _current_address_space() + extra
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def run_limited(func: Callable[[bytes, "ExtractOptions"], Document], data: bytes, opts: "ExtractOptions",
                kind: str, timeout: float | None = None, memory: int | None = None) -> Document:
    """``func(data, opts)`` in a forked child under limits; always returns a ``Document``."""
    timeout = float(timeout if timeout is not None else getattr(opts, "timeout", 60.0) or 60.0)
    memory = int(memory if memory is not None else getattr(opts, "max_memory", DEFAULT_MEMORY) or DEFAULT_MEMORY)
    if os.environ.get(_NO_FORK_ENV) or not hasattr(os, "fork"):
        return _guarded(func, data, opts, kind)
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(rfd)
            os.setpgid(0, 0)  # own process group: a timeout kills converters it started too
            faulthandler.disable()  # a crashing reader is reported by the parent, not dumped to stderr
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _limit_memory(memory)
            doc = _guarded(func, data, opts, kind)
            try:
                payload = pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                payload = pickle.dumps(Document(kind, findings=[Finding("memory_limit", "out of memory")]))
            view = memoryview(payload)
            while view:
                n = os.write(wfd, view[:1 << 20])
                view = view[n:]
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(wfd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([rfd], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(rfd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(rfd)
    if timed_out:
        _kill(pid)
        return Document(kind, findings=[Finding("timeout", f"reading this {kind} took longer than {timeout:g}s; stopped",
                                                {"timeout": timeout})])
    _, status = os.waitpid(pid, 0)
    if chunks:
        try:
            doc = pickle.loads(b"".join(chunks))
            if isinstance(doc, Document):
                return doc
        except Exception:
            pass
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        rule = "memory_limit" if sig in (signal.SIGKILL, signal.SIGSEGV) else "reader_crashed"
        return Document(kind, findings=[Finding(rule, f"the {kind} reader died with signal {sig}")])
    return Document(kind, findings=[Finding("reader_crashed", f"the {kind} reader exited with status {os.WEXITSTATUS(status)}")])


def _kill(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def _guarded(func, data: bytes, opts, kind: str) -> Document:
    try:
        return func(data, opts)
    except MemoryError:
        return Document(kind, findings=[Finding("memory_limit", f"the {kind} reader ran out of its memory allowance")])
    except RecursionError:
        return Document(kind, findings=[Finding("corrupt_file", f"the {kind} is nested too deeply to read")])
    except Exception as exc:
        return Document(kind, findings=[Finding("read_error", f"{type(exc).__name__}: {exc}"[:500])])

"""Legacy DOC and WPS: convert with LibreOffice headless to DOCX, then read that DOCX.

Why a converter and not a parser: the binary Word/WPS formats are only read faithfully by an
office suite, and Debian ships one. Each conversion gets its own temporary directory and its
own LibreOffice profile (``-env:UserInstallation``) so parallel conversions never share a lock
or a crashed profile, and a timeout kills a converter that hangs on a hostile file.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .document import Document
from .findings import Finding
from .textnorm import garbled_ratio, is_garbled

if TYPE_CHECKING:  # pragma: no cover
    from .api import ExtractOptions

SOFFICE_CANDIDATES = ("soffice", "libreoffice", "/usr/lib/libreoffice/program/soffice")


def soffice_path() -> str | None:
    for c in SOFFICE_CANDIDATES:
        found = shutil.which(c)
        if found:
            return found
    return None


def read_legacy(data: bytes, opts: "ExtractOptions") -> Document:
    """Entry point for ``doc`` and ``wps`` in ``api.READERS``."""
    from .limits import run_limited
    kind = _kind(opts)
    timeout = float(getattr(opts, "timeout", 60.0) or 60.0)
    # the child's own deadline is a little longer than the converter's, so a hanging soffice
    # is reported as a conversion timeout rather than as a generic reader timeout
    return run_limited(lambda d, o: read_legacy_direct(d, o, kind), data, opts, kind=kind, timeout=timeout + 15)


def _kind(opts) -> str:
    name = (getattr(opts, "filename", None) or "").lower()
    return "wps" if name.endswith(".wps") else "doc"


def convert_to_docx(data: bytes, suffix: str, timeout: float) -> tuple[bytes | None, str]:
    """(docx bytes, "") on success, (None, reason) otherwise."""
    exe = soffice_path()
    if exe is None:
        return None, "LibreOffice (soffice) is not installed"
    work = Path(tempfile.mkdtemp(prefix="nianbao-lo-"))
    try:
        src = work / f"input{suffix}"
        src.write_bytes(data)
        profile = work / "profile"
        out = work / "out"
        out.mkdir()
        cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--nolockcheck",
               "--nodefault", "--nofirststartwizard", "--convert-to", "docx:MS Word 2007 XML",
               "--outdir", str(out), str(src)]
        env = dict(os.environ, HOME=str(work), SAL_USE_VCLPLUGIN="svp")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                start_new_session=True)
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            return None, f"conversion took longer than {timeout:g}s"
        produced = out / "input.docx"
        if proc.returncode != 0 or not produced.exists():
            msg = (err or b"").decode("utf-8", "replace").strip().splitlines()
            return None, f"LibreOffice could not convert it (exit {proc.returncode}){': ' + msg[-1] if msg else ''}"[:300]
        return produced.read_bytes(), ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


def read_legacy_direct(data: bytes, opts: "ExtractOptions", kind: str = "doc") -> Document:
    from .docx import read_docx_direct
    timeout = float(getattr(opts, "timeout", 60.0) or 60.0)
    converted, reason = convert_to_docx(data, "." + kind, timeout)
    if converted is None:
        rule = "timeout" if "longer than" in reason else "conversion_failed"
        return Document(kind, findings=[Finding(rule, f"{kind.upper()}: {reason}")])
    doc = read_docx_direct(converted, opts, kind=kind)
    doc.findings.insert(0, Finding("converted", f"{kind.upper()} converted to DOCX by LibreOffice before reading"))
    text = "\n".join(doc.lines())
    if is_garbled(text):
        # LibreOffice "opens" any bytes as text; garbage in means garbage out, not a report
        doc.blocks = []
        doc.findings.append(Finding("garbled_text", f"{kind.upper()}: the converted text is not readable "
                                    f"({garbled_ratio(text):.0%} implausible characters); file damaged or not a {kind.upper()}"))
    return doc

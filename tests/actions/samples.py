"""Running the sample action services (samples/actions/) as they are, in a subprocess."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "actions"
LANGS = ("python", "node")


class Sample:
    """``python3 samples/actions/python/<name>.py --port 0`` (or ``node .../<name>.js``)."""

    def __init__(self, lang: str, name: str, *args: str) -> None:
        if lang == "python":
            command = [sys.executable, str(SAMPLES / "python" / f"{name}.py")]
        else:
            node = shutil.which("node")
            if node is None:
                raise RuntimeError("node is not installed (scripts/setup.sh --system installs it)")
            command = [node, str(SAMPLES / "node" / f"{name}.js")]
        self.command = [*command, "--port", "0", *args]
        self.url = ""
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Sample:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IDENTRA_")}
        self.proc = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 20
        line = b""
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 1024)
                if not chunk:
                    break
                line += chunk
        text = line.decode().strip()
        if not text.startswith("listening on "):
            self.__exit__()
            raise RuntimeError(f"{self.command} did not start: {text!r}")
        self.url = text.removeprefix("listening on ").rstrip("/")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

"""Real Identra processes (`identra serve`) on one database and cache, for scale-out tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port


class Node:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> Node:
        command = [
            sys.executable,
            "-m",
            "identra",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not become ready: {self.log_path.read_text()[-2000:]}")

    def log_tail(self, size: int = 4000) -> str:
        """The end of the node's log, for assertion messages."""
        return self.log_path.read_text(errors="replace")[-size:] if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks run, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def listening_pids(port: int) -> set[int]:
    """The processes holding a listening TCP socket on ``port`` (from /proc, Linux only)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{inode}]")
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            links = {os.readlink(fd) for fd in fd_dir.iterdir()}
        except OSError:  # gone, or not ours to read
            continue
        if links & inodes:
            pids.add(int(fd_dir.parent.name))
    return pids


def cluster_env(settings: Any) -> dict[str, str]:
    """Environment for nodes that share ``settings``' database, cache and master key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IDENTRA_")}
    env.update(
        IDENTRA_DATABASE_URL=settings.effective_database_url,
        IDENTRA_MASTER_KEY=settings.master_key.get_secret_value(),
        IDENTRA_BOOTSTRAP_ADMIN_PASSWORD=settings.bootstrap_admin_password.get_secret_value(),
        IDENTRA_CACHE_PREFIX=settings.cache_prefix,
        IDENTRA_DATA_DIR=str(settings.data_dir),
        IDENTRA_ISSUER="http://127.0.0.1:8000",
        IDENTRA_LOG_JSON="true",
    )
    if settings.redis_url:
        env["IDENTRA_REDIS_URL"] = settings.redis_url
    return env

"""Test fixture: one real `montu serve` (the built CLI) on a loopback port for the whole run.

Needs `npm run build` (or `npx tsc -b packages/cli`) first. The server runs on a fresh temporary
data directory; its first-run admin token is read from the server's stderr.
"""
from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from typing import Any, Dict, Iterator, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(CLIENT_ROOT))
BIN = os.path.join(REPO, "packages", "cli", "dist", "bin.js")
sys.path.insert(0, CLIENT_ROOT)

from montu_client import MontuClient  # noqa: E402


class Server:
    def __init__(self, extra_env: Optional[Dict[str, str]] = None) -> None:
        if not os.path.exists(BIN):
            raise RuntimeError(f"{BIN} is missing: run `npm run build` (or `npx tsc -b packages/cli`) first")
        self.data_dir = tempfile.mkdtemp(prefix="montu-pytest-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONTU_")}
        env.update(extra_env or {})
        self.proc = subprocess.Popen(
            [os.environ.get("NODE", "node"), BIN, "serve", "--data-dir", self.data_dir, "--host", "127.0.0.1", "--port", "0", "--log-level", "warn"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            cwd=self.data_dir,
        )
        self.token: Optional[str] = None
        self.url: Optional[str] = None
        self.log: List[str] = []
        ready = threading.Event()

        def pump() -> None:
            assert self.proc.stderr is not None
            for raw in self.proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.log.append(line)
                m = re.search(r"API token:\s*(\S+)", line)
                if m:
                    self.token = m.group(1)
                m = re.search(r"serving (http://\S+)", line)
                if m:
                    self.url = m.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(180) or self.url is None or self.token is None:
            self.stop()
            raise RuntimeError("montu serve did not start:\n" + "\n".join(self.log))
        self.port = int(self.url.rsplit(":", 1)[1])

    def client(self, **kw: Any) -> MontuClient:
        assert self.url and self.token
        kw.setdefault("timeout", 30)
        kw.setdefault("backoff", 0.05)
        return MontuClient(self.url, self.token, **kw)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    # -------- raw HTTP helpers for set-up the client does not cover (users, sessions)

    def raw(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = {"Authorization": f"Bearer {self.token}"}
        h.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        text = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        conn.close()
        return r.status, hdrs, (json.loads(text) if text else None)

    def make_user(self, username: str, project_id: str, role: str) -> MontuClient:
        """A user with `role` in `project_id` and an API token, as a client."""
        password = "pw-" + username + "-0123456789"
        status, _, user = self.raw("POST", "/api/v1/users", {"username": username, "password": password})
        assert status == 201, user
        status, _, _ = self.raw("PUT", f"/api/v1/projects/{project_id}/members/{user['id']}", {"role": role})
        assert status == 200, status
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request("POST", "/api/v1/auth/login", body=json.dumps({"username": username, "password": password}), headers={"Content-Type": "application/json"})
        r = conn.getresponse()
        login = json.loads(r.read())
        cookie = "; ".join(c.split(";", 1)[0] for k, c in r.getheaders() if k.lower() == "set-cookie")
        conn.request(
            "POST",
            "/api/v1/tokens",
            body=json.dumps({"name": "tests"}),
            headers={"Content-Type": "application/json", "Cookie": cookie, "X-CSRF-Token": login["csrfToken"]},
        )
        r = conn.getresponse()
        created = json.loads(r.read())
        conn.close()
        assert r.status == 201, created
        return MontuClient(self.url or "", created["token"], timeout=30, backoff=0.05)

    def make_pipeline_token(self, username: str, project_id: str, role: str, token_name: str) -> str:
        """A service user with `role` in `project_id` and a pipeline token (actForOthers) made by the admin."""
        status, _, user = self.raw("POST", "/api/v1/users", {"username": username})
        assert status == 201, user
        status, _, _ = self.raw("PUT", f"/api/v1/projects/{project_id}/members/{user['id']}", {"role": role})
        assert status == 200, status
        status, _, created = self.raw("POST", f"/api/v1/users/{user['id']}/tokens", {"name": token_name, "actForOthers": True})
        assert status == 201 and created["info"]["actForOthers"] is True, created
        return str(created["token"])


_server: Optional[Server] = None
_lock = threading.Lock()


def server() -> Server:
    """The shared server, started on first use and stopped at exit."""
    global _server
    with _lock:
        if _server is None:
            _server = Server()
            atexit.register(_server.stop)
        return _server


_projects: set = set()


def project(client: MontuClient, project_id: str) -> str:
    if project_id not in _projects:
        client.create_project(project_id, name=project_id)
        _projects.add(project_id)
    return project_id


def png_bytes(width: int = 16, height: int = 16, rgb: Tuple[int, int, int] = (200, 40, 40), seed: int = 0) -> bytes:
    """A valid RGB PNG; `seed` varies a pixel so every file has its own sha256."""
    rows = []
    for y in range(height):
        row = bytearray(b"\x00" + bytes(rgb) * width)
        if y == 0:
            row[1:4] = bytes(((seed >> 16) & 255, (seed >> 8) & 255, seed & 255))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 1))
        + chunk(b"IEND", b"")
    )


def write_png(path: str, **kw: Any) -> str:
    with open(path, "wb") as f:
        f.write(png_bytes(**kw))
    return path


def big_png(path: str, width: int = 512, height: int = 512, seed: int = 1) -> str:
    """A PNG of a few hundred KiB (incompressible noise) for upload/resume tests."""
    import random

    rnd = random.Random(seed)
    raw = b"".join(b"\x00" + rnd.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 0))
        + chunk(b"IEND", b"")
    )
    with open(path, "wb") as f:
        f.write(data)
    return path


def ffmpeg(*args: str) -> None:
    """Runs ffmpeg quietly (media for the tests is made, not stored in the repository)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@contextlib.contextmanager
def environment(**values: Optional[str]) -> Iterator[None]:
    """Sets (a value) or unsets (None) environment variables for the duration."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, old in saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old


def wait_until(pred: Any, timeout: float = 30, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)

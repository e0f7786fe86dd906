"""Resuming tus uploads after a cut connection, and walking 250 search results page by page."""
from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor
from typing import List, Optional

from montu_server import big_png, project, server, write_png

from montu_client import MontuClient, UploadInterrupted


def setUpModule() -> None:
    server()


class CuttingProxy:
    """A loopback TCP proxy to the server that cuts chosen connections.

    `cut_request_after`: for the next N PATCH connections, close after that many request bytes.
    `swallow_response`: for the next N PATCH connections, forward the request but close
    without relaying the answer (the server finished; the client never hears it).
    """

    def __init__(self, port: int) -> None:
        self.upstream = port
        self.cut_request_after = 0
        self.cuts_left = 0
        self.swallow_left = 0
        self.patches = 0
        self.heads = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.closed = True
        self.sock.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream))
        first = client.recv(65536)
        is_patch = first.startswith(b"PATCH ")
        if first.startswith(b"HEAD "):
            self.heads += 1
        cut: Optional[int] = None
        swallow = False
        if is_patch:
            self.patches += 1
            if self.cuts_left > 0:
                self.cuts_left -= 1
                cut = self.cut_request_after
            elif self.swallow_left > 0:
                self.swallow_left -= 1
                swallow = True
        sent = [0]

        def up() -> None:
            data = first
            try:
                while data:
                    if cut is not None and sent[0] + len(data) > cut:
                        upstream.sendall(data[: max(0, cut - sent[0])])
                        raise OSError("cut")
                    upstream.sendall(data)
                    sent[0] += len(data)
                    data = client.recv(65536)
            except OSError:
                pass
            finally:
                if cut is not None:
                    for s in (client, upstream):
                        try:
                            s.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                        s.close()

        def down() -> None:
            try:
                while True:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    if swallow:
                        break  # the answer arrived at the proxy; the client never gets it
                    client.sendall(data)
            except OSError:
                pass
            finally:
                for s in (client, upstream):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    s.close()

        threading.Thread(target=up, daemon=True).start()
        down()


def sha(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class ResumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.admin = server().client()
        cls.project = project(cls.admin, "RES")
        cls.tmp = tempfile.mkdtemp(prefix="montu-resume-")
        cls.big = big_png(os.path.join(cls.tmp, "plate.png"), 512, 512, seed=3)

    def setUp(self) -> None:
        self.proxy = CuttingProxy(server().port)
        self.client = MontuClient(f"http://127.0.0.1:{self.proxy.port}", server().token, timeout=20, retries=3, backoff=0.05)

    def tearDown(self) -> None:
        self.proxy.close()

    def test_resume_after_cut_connection(self) -> None:
        size = os.path.getsize(self.big)
        self.proxy.cut_request_after = size // 3
        self.proxy.cuts_left = 2
        progress: List[int] = []
        item = self.client.upload_media(self.big, "ep01_sq010_sh010_plate", project_id=self.project, progress=lambda d, t: progress.append(d))
        self.assertEqual(item["sha256"], sha(self.big))
        self.assertEqual(item["size"], size)
        self.assertGreaterEqual(self.proxy.patches, 3, "two cut PATCHes, then one that finished")
        self.assertGreaterEqual(self.proxy.heads, 2, "the offset is asked after each cut")
        restarts = [b for a, b in zip(progress, progress[1:]) if b < a]
        self.assertGreaterEqual(len(restarts), 2)
        self.assertGreater(max(restarts), 0, "resumed from the server's offset, not from zero")
        self.assertEqual(progress[-1], size)

    def test_resume_when_final_answer_is_lost(self) -> None:
        path = write_png(os.path.join(self.tmp, "small.png"), seed=77)
        self.proxy.swallow_left = 1
        item = self.client.upload_media(path, "ep01_sq010_sh020_plate", project_id=self.project)
        self.assertEqual(item["sha256"], sha(path))
        self.assertEqual(item["version"], "v001")
        # Exactly one item: the lost answer did not make the client upload twice.
        self.assertEqual(len(self.admin.get_media_by_task("ep01_sq010_sh020_plate", project_id=self.project)), 1)

    def test_interrupted_then_resumed_later(self) -> None:
        size = os.path.getsize(self.big)
        client = MontuClient(server().url or "", server().token, chunk_size=64 * 1024, backoff=0.05)
        urls: List[str] = []

        def cancel(done: int, total: int) -> None:
            if done > total // 2:
                raise RuntimeError("render farm node pre-empted")

        with self.assertRaises(UploadInterrupted) as cm:
            client.upload_media(self.big, "ep01_sq010_sh030_plate", project_id=self.project, progress=cancel, on_upload_created=urls.append)
        err = cm.exception
        self.assertEqual(err.upload_url, urls[0])
        self.assertGreater(err.offset, 0)
        self.assertLess(err.offset, size)
        progress: List[int] = []
        item = client.upload_media(self.big, "ep01_sq010_sh030_plate", upload_url=err.upload_url, progress=lambda d, t: progress.append(d))
        self.assertGreaterEqual(progress[0], err.offset - 64 * 1024)
        self.assertGreater(progress[0], 0)
        self.assertEqual(item["sha256"], sha(self.big))
        self.assertEqual(item["taskId"], "ep01_sq010_sh030_plate")

    def test_changed_file_is_refused(self) -> None:
        path = os.path.join(self.tmp, "changing.png")
        big_png(path, 256, 256, seed=9)
        client = MontuClient(server().url or "", server().token, chunk_size=32 * 1024, backoff=0.05)

        def cancel(done: int, total: int) -> None:
            if done > total // 2:
                raise RuntimeError("stop")

        with self.assertRaises(UploadInterrupted) as cm:
            client.upload_media(path, "ep01_sq010_sh040_plate", project_id=self.project, progress=cancel)
        big_png(path, 256, 256, seed=10)  # same size, other bytes: the declared sha256 no longer matches
        from montu_client import ChecksumMismatch

        with self.assertRaises(ChecksumMismatch) as cm2:
            client.upload_media(path, "ep01_sq010_sh040_plate", upload_url=cm.exception.upload_url)
        self.assertEqual(cm2.exception.code, "checksum_mismatch")
        self.assertEqual(cm2.exception.status, 422)


class PaginationTest(unittest.TestCase):
    def test_walk_250_results(self) -> None:
        admin = server().client()
        pid = project(admin, "PAGE")
        tmp = tempfile.mkdtemp(prefix="montu-page-")
        paths = [write_png(os.path.join(tmp, f"p{i:03d}.png"), seed=10_000 + i) for i in range(250)]

        def up(i: int) -> str:
            return admin.upload_media(paths[i], f"ep09_sq001_sh{i:03d}_anim", project_id=pid, tags=["pagewalk"])["id"]

        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(up, range(250)))
        self.assertEqual(len(set(ids)), 250)
        walked = [m["id"] for m in admin.search_media(project_id=pid, tags=["pagewalk"], page_size=40)]
        self.assertEqual(len(walked), 250)
        self.assertEqual(set(walked), set(ids))
        created = [m["createdAt"] for m in admin.search_media(project_id=pid, page_size=100)]
        self.assertEqual(created, sorted(created, reverse=True), "newest first across pages")
        self.assertEqual(len(list(admin.search_media(project_id=pid, page_size=500))), 250)
        self.assertEqual(len(list(admin.search_media(project_id=pid, page_size=7, max_items=30))), 30)
        page = admin.search_media_page(project_id=pid, limit=100)
        self.assertEqual(len(page["items"]), 100)
        self.assertTrue(page["nextCursor"])


if __name__ == "__main__":
    unittest.main()

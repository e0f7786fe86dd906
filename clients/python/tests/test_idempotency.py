"""The client sends an Idempotency-Key with each upload's creation (issue 20, item 10), so a
creation it retries after losing the answer gets the same upload back instead of a second one."""
from __future__ import annotations

import os
import sqlite3
import tempfile
import unittest
import uuid

from montu_server import project, server, write_png


class IdempotencyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.client = server().client()
        cls.project = project(cls.client, "IDEM")
        cls.tmp = tempfile.mkdtemp(prefix="montu-idem-")

    def keys(self) -> list:
        db = sqlite3.connect(os.path.join(server().data_dir, "montu.db"))
        try:
            return db.execute("SELECT key, scope, state, result FROM idempotency_key WHERE scope = 'POST /uploads'").fetchall()
        finally:
            db.close()

    def test_each_upload_creation_carries_its_own_key(self) -> None:
        before = {k[0] for k in self.keys()}
        urls: list = []
        for seed in (1, 2):
            self.client.upload_media(
                write_png(os.path.join(self.tmp, f"p{seed}.png"), seed=seed),
                "ep01_sq010_sh010_comp",
                project_id=self.project,
                on_upload_created=urls.append,
            )
        new = [k for k in self.keys() if k[0] not in before]
        self.assertEqual(len(new), 2)
        for key, _scope, state, result in new:
            uuid.UUID(key)
            self.assertEqual(state, "done")
        self.assertEqual(sorted(k[3] for k in new), sorted(u.rsplit("/", 1)[1] for u in urls))

    def test_a_retried_creation_gets_the_same_upload(self) -> None:
        key = str(uuid.uuid4())
        headers = {"Tus-Resumable": "1.0.0", "Upload-Length": "10", "Upload-Metadata": "filename YS5wbmc=,projectId SURFTQ==,taskId dDE=", "Idempotency-Key": key}
        first = self.client._call("POST", "/uploads", headers=headers, idempotent=True)
        again = self.client._call("POST", "/uploads", headers=headers, idempotent=True)
        self.assertEqual(first.status, 201)
        self.assertEqual(again.headers["location"], first.headers["location"])
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")


if __name__ == "__main__":
    unittest.main()

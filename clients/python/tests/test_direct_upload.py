"""Direct-to-S3 uploads (decision 160) from the Python client, against a real `montu serve`
whose storage is a real S3 protocol server (s3rver, the one the TypeScript tests use)."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from montu_server import REPO, Server, write_png

from montu_client import MontuClient

MIB = 1024 * 1024

# The s3rver child the TypeScript helper (packages/core/test/helpers/s3rver.ts) runs.
_S3RVER = """
const S3rver = require(process.env.S3RVER_MODULE);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR,
  configureBuckets: [{ name: 'montu-py-direct', configs: [] }], vhostBuckets: false });
server.run().then((addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
"""


def _padded_png(path: str, size: int) -> bytes:
    write_png(path)
    with open(path, "rb") as f:
        head = f.read()
    data = head + os.urandom(size - len(head))
    with open(path, "wb") as f:
        f.write(data)
    return data


class DirectUploadTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.s3dir = tempfile.mkdtemp(prefix="montu-py-s3rver-")
        cls.s3 = subprocess.Popen(
            [os.environ.get("NODE", "node"), "--openssl-legacy-provider", "-e", _S3RVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "S3RVER_MODULE": os.path.join(REPO, "node_modules", "s3rver"), "S3RVER_DIR": cls.s3dir},
        )
        assert cls.s3.stdout is not None
        port = json.loads(cls.s3.stdout.readline())["port"]
        cls.server = Server(
            {
                "MONTU_STORAGE": "s3",
                "MONTU_S3_BUCKET": "montu-py-direct",
                "MONTU_S3_ENDPOINT": f"http://127.0.0.1:{port}",
                "MONTU_S3_FORCE_PATH_STYLE": "true",
                "MONTU_S3_ACCESS_KEY_ID": "S3RVER",
                "MONTU_S3_SECRET_ACCESS_KEY": "S3RVER",
            }
        )
        cls.work = tempfile.mkdtemp(prefix="montu-py-direct-")
        cls.client: MontuClient = cls.server.client()
        cls.client.create_project("PYD", "Python direct")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()
        assert cls.s3.stdin is not None
        cls.s3.stdin.close()
        cls.s3.wait(15)
        shutil.rmtree(cls.s3dir, ignore_errors=True)
        shutil.rmtree(cls.work, ignore_errors=True)

    def _session_kind(self, upload_id: str) -> str:
        status, _, body = self.server.raw("GET", f"/api/v1/uploads/direct/{upload_id}")
        self.assertEqual(status, 200, body)
        return str(body["state"])

    def test_offered_and_a_full_upload_goes_direct(self) -> None:
        self.assertTrue(self.client.direct_uploads_offered())
        path = os.path.join(self.work, "plate.png")
        data = _padded_png(path, 2 * 8 * MIB + 4321)  # 3 parts
        ids = []
        seen = []
        item = self.client.upload_media(
            path, "sh010_comp", project_id="PYD", tags=["py"], progress=lambda d, t: seen.append(d), on_direct_upload_created=ids.append
        )
        self.assertEqual(item["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(item["size"], len(data))
        self.assertEqual(item["tags"], ["py"])
        self.assertEqual(seen[-1], len(data))
        self.assertEqual(len(ids), 1)
        self.assertEqual(self._session_kind(ids[0]), "complete")

    def test_resume_lists_stored_parts_and_sends_the_rest(self) -> None:
        path = os.path.join(self.work, "resume.png")
        data = _padded_png(path, 3 * 8 * MIB + 5)  # 4 parts
        ids = []
        partial = self.client.upload_media(path, "sh020_comp", project_id="PYD", direct_parts=[2, 3], on_direct_upload_created=ids.append)
        self.assertIsNone(partial)
        status, _, listed = self.server.raw("GET", f"/api/v1/uploads/direct/{ids[0]}")
        self.assertEqual([p["partNumber"] for p in listed["parts"]], [2, 3])
        # A new client (a restarted process) continues with the id alone.
        seen = []
        item = self.server.client().upload_media(path, "sh020_comp", direct_upload_id=ids[0], progress=lambda d, t: seen.append(d))
        self.assertEqual(item["sha256"], hashlib.sha256(data).hexdigest())
        self.assertEqual(seen[0], 2 * 8 * MIB)

    def test_small_files_and_direct_false_go_through_the_server(self) -> None:
        path = os.path.join(self.work, "small.png")
        _padded_png(path, 64 * 1024)
        item = self.client.upload_media(path, "sh030_comp", project_id="PYD")
        self.assertEqual(item["size"], 64 * 1024)
        big = os.path.join(self.work, "big.png")
        data = _padded_png(big, 9 * MIB)
        item = self.client.upload_media(big, "sh030_comp", project_id="PYD", direct=False)
        self.assertEqual(item["sha256"], hashlib.sha256(data).hexdigest())


if __name__ == "__main__":
    unittest.main()

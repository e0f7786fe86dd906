"""Bodies over a limit get their 413, not a broken pipe (issue 20, item 8).

Python's http.client (under urllib and this client) writes the whole body before it reads the
answer: when the server answered 413 and closed while the body was still coming, the client
failed with BrokenPipeError and never saw the status. The server now reads and discards a
bounded rest before closing, and answers ``Expect: 100-continue`` (which this client sends for
bodies of 1 MiB or more) before the body is sent.
"""
from __future__ import annotations

import http.client
import json
import os
import select
import tempfile
import unittest
import urllib.error
import urllib.request

from montu_server import project, server, write_png

from montu_client import PayloadTooLarge

# The server's JSON body limit is 1 MiB: 8 MiB of JSON is over it, and more than a socket buffers.
BIG = 8 << 20


class TooLargeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.client = server().client(retries=0)
        cls.project = project(cls.client, "BIG")
        cls.tmp = tempfile.mkdtemp(prefix="montu-big-")

    def test_urllib_gets_413_for_a_json_body_over_the_limit(self) -> None:
        body = json.dumps({"id": "HUGE", "name": "x" * BIG}).encode()
        req = urllib.request.Request(
            f"{server().url}/api/v1/projects",
            data=body,
            method="POST",
            headers={"Authorization": f"Bearer {server().token}", "Content-Type": "application/json"},
        )
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(req, timeout=30)
        self.assertEqual(caught.exception.code, 413)
        self.assertEqual(json.loads(caught.exception.read())["code"], "payload_too_large")

    def test_urllib_gets_413_for_a_tus_patch_longer_than_the_upload(self) -> None:
        status, headers, _ = server().raw(
            "POST",
            "/api/v1/uploads",
            headers={
                "Tus-Resumable": "1.0.0",
                "Upload-Length": "1000",
                "Upload-Metadata": "filename YS5wbmc=,projectId QklH,taskId dDE=",
            },
        )
        self.assertEqual(status, 201)
        req = urllib.request.Request(
            f"{server().url}{headers['location']}",
            data=bytes(BIG),
            method="PATCH",
            headers={
                "Authorization": f"Bearer {server().token}",
                "Tus-Resumable": "1.0.0",
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        with self.assertRaises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(req, timeout=30)
        self.assertEqual(caught.exception.code, 413)

    def test_the_client_gets_payload_too_large(self) -> None:
        item = self.client.upload_media(write_png(os.path.join(self.tmp, "a.png")), "ep01_sq010_sh010_comp", project_id=self.project)
        with self.assertRaises(PayloadTooLarge):
            self.client.update_media_metadata(item["id"], {"notes": "x" * BIG})

    def test_expect_100_continue_is_refused_before_the_body(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server().port, timeout=30)
        try:
            conn.putrequest("POST", "/api/v1/projects")
            conn.putheader("Authorization", f"Bearer {server().token}")
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(BIG))
            conn.putheader("Expect", "100-continue")
            conn.endheaders()
            # No body sent: the answer comes anyway, and it is the final one.
            ready, _, _ = select.select([conn.sock], [], [], 30)
            self.assertTrue(ready, "no answer to Expect: 100-continue")
            resp = conn.getresponse()
            self.assertEqual(resp.status, 413)
            self.assertEqual(json.loads(resp.read())["code"], "payload_too_large")
        finally:
            conn.close()

    def test_expect_100_continue_then_the_body_when_it_is_wanted(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server().port, timeout=30)
        body = json.dumps({"id": "EXPECTED", "name": "continue"}).encode()
        try:
            conn.putrequest("POST", "/api/v1/projects")
            conn.putheader("Authorization", f"Bearer {server().token}")
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
            conn.putheader("Expect", "100-continue")
            conn.endheaders()
            fp = conn.sock.makefile("rb")
            self.assertTrue(fp.readline().startswith(b"HTTP/1.1 100"))
            self.assertEqual(fp.readline(), b"\r\n")
            conn.send(body)
            resp = conn.getresponse()
            self.assertEqual(resp.status, 201, resp.read())
        finally:
            conn.close()

    def test_large_uploads_still_work_with_expect(self) -> None:
        # Over the 1 MiB threshold: the PATCH goes with Expect: 100-continue.
        path = os.path.join(self.tmp, "big.png")
        with open(path, "wb") as f:
            with open(write_png(os.path.join(self.tmp, "seed.png")), "rb") as seed:
                f.write(seed.read())
            f.write(bytes(3 << 20))
        item = self.client.upload_media(path, "ep01_sq010_sh020_comp", project_id=self.project)
        self.assertEqual(item["taskId"], "ep01_sq010_sh020_comp")


if __name__ == "__main__":
    unittest.main()

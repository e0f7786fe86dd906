"""Image sequences: patterns, folders, frame downloads, resuming a partial sequence upload."""
from __future__ import annotations

import os
import tempfile
import unittest

from montu_server import project, server, write_png

from montu_client import ChecksumMismatch, UploadInterrupted, ValidationError, resolve_sequence


def setUpModule() -> None:
    server()


class SequenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.client = server().client()
        cls.project = project(cls.client, "SEQ")
        cls.tmp = tempfile.mkdtemp(prefix="montu-seq-")

    def frames(self, folder: str, name: str, first: int, last: int, skip: tuple = ()) -> str:
        os.makedirs(os.path.join(self.tmp, folder), exist_ok=True)
        for n in range(first, last + 1):
            if n not in skip:
                write_png(os.path.join(self.tmp, folder, name % n), seed=n * 7 + len(folder))
        return os.path.join(self.tmp, folder)

    def test_resolve_patterns(self) -> None:
        d = self.frames("res", "beauty.%04d.png", 1001, 1005, skip=(1003,))
        for pattern in ("beauty.####.png", "beauty.%04d.png", "beauty.@@@@.png", "beauty.$F4.png"):
            seq = resolve_sequence(os.path.join(d, pattern))
            self.assertEqual([f.frame for f in seq.frames], [1001, 1002, 1004, 1005], pattern)
            self.assertEqual(seq.name, "beauty.####.png")
            self.assertEqual(seq.missing, [1003])
        self.assertEqual(len(resolve_sequence(d).frames), 4)
        with self.assertRaises(ValueError):
            resolve_sequence(os.path.join(d, "nothing.####.exr"))

    def test_upload_pattern_and_download_frames(self) -> None:
        d = self.frames("pat", "sh010_comp.%04d.png", 1001, 1010)
        seen = []
        item = self.client.upload_media(
            os.path.join(d, "sh010_comp.####.png"),
            "ep01_sq010_sh010_comp",
            project_id=self.project,
            description="comp v1",
            tags=["comp"],
            fps="24",
            progress=lambda done, total: seen.append((done, total)),
        )
        self.assertEqual(item["mediaType"], "sequence")
        self.assertEqual(item["fileName"], "sh010_comp.####.png")
        self.assertEqual(item["version"], "v001")
        self.assertEqual(item["description"], "comp v1")
        frames = sorted(f["frame"] for f in item["files"] if f["role"] == "frame")
        self.assertEqual(frames, list(range(1001, 1011)))
        total = sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))
        self.assertEqual(seen[-1], (total, total))
        out = self.client.download(item["id"], os.path.join(self.tmp, "pat_out"))
        self.assertEqual(sorted(os.listdir(out)), sorted(os.listdir(d)))
        for n in os.listdir(d):
            with open(os.path.join(d, n), "rb") as a, open(os.path.join(out, n), "rb") as b:
                self.assertEqual(a.read(), b.read())
        # A printf pattern and a folder publish further versions of the same task.
        v2 = self.client.upload_media(os.path.join(d, "sh010_comp.%04d.png"), "ep01_sq010_sh010_comp", project_id=self.project)
        self.assertEqual(v2["version"], "v002")
        v3 = self.client.create_media_version(item["id"], d)
        self.assertEqual(v3["version"], "v003")
        self.assertEqual(v3["mediaType"], "sequence")
        ready = self.client.wait_for_processing(item["id"], timeout=120)
        self.assertIn(ready["processingState"], ("ready", "partial"))
        self.client.download(item["id"], os.path.join(self.tmp, "pat_thumb.jpg"), rendition="thumbnail")

    def test_resume_sequence_upload(self) -> None:
        d = self.frames("resume", "plate.%04d.png", 1, 6)
        calls = {"n": 0}

        def stop_midway(done: int, total: int) -> None:
            calls["n"] += 1
            if done > total // 2:
                raise KeyError("artist pressed cancel")

        with self.assertRaises(UploadInterrupted) as cm:
            self.client.upload_media(os.path.join(d, "plate.####.png"), "ep01_sq010_sh070_plate", project_id=self.project, progress=stop_midway)
        upload_id = cm.exception.details["uploadId"]
        self.assertGreater(cm.exception.offset, 0)
        seen = []
        item = self.client.upload_sequence(
            os.path.join(d, "plate.####.png"),
            "ep01_sq010_sh070_plate",
            project_id=self.project,
            upload_id=upload_id,
            progress=lambda done, total: seen.append(done),
        )
        self.assertGreater(seen[0], 0, "frames already stored are not sent again")
        self.assertEqual(len([f for f in item["files"] if f["role"] == "frame"]), 6)

    def test_sequence_errors(self) -> None:
        with self.assertRaises(ValueError):
            self.client.upload_media(os.path.join(self.tmp, "none", "x.####.png"), "ep01_sq010_sh010_comp", project_id=self.project)
        d = self.frames("bad", "bad.%04d.png", 1, 2)
        with self.assertRaises(ValidationError):
            self.client.upload_media(os.path.join(d, "bad.####.png"), "ep01_sq010_sh010_comp", project_id="not a project!")
        # A frame changed after its sha256 was declared is refused.
        from montu_client import sequences

        seq = sequences.resolve_sequence(os.path.join(d, "bad.####.png"))
        original = self.client._call

        def tamper(method: str, path: str, **kw):  # type: ignore[no-untyped-def]
            if method == "PUT":
                kw["query"] = {"sha256": "f" * 64}
            return original(method, path, **kw)

        self.client._call = tamper  # type: ignore[method-assign]
        try:
            with self.assertRaises((ChecksumMismatch, ValidationError)) as cm:
                self.client.upload_sequence(seq, "ep01_sq010_sh080_comp", project_id=self.project)
            self.assertIn("uploadId", cm.exception.details)
        finally:
            del self.client._call  # type: ignore[attr-defined]


if __name__ == "__main__":
    unittest.main()

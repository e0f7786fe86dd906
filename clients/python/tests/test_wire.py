"""montu_client/wire.py is what scripts/generate_wire.py makes from the committed OpenAPI document,
and its snake_case mapping walks every record the document declares."""
from __future__ import annotations

import importlib.util
import json
import os
import unittest

from montu_server import CLIENT_ROOT, REPO

from montu_client import to_snake
from montu_client.wire import FIELDS

SCRIPT = os.path.join(CLIENT_ROOT, "scripts", "generate_wire.py")
OPENAPI = os.path.join(REPO, "packages", "client", "openapi.json")


def generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generate_wire", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class WireTest(unittest.TestCase):
    def test_wire_py_is_generated_from_the_openapi_document(self) -> None:
        with open(os.path.join(CLIENT_ROOT, "montu_client", "wire.py"), encoding="utf-8") as f:
            committed = f.read()
        self.assertTrue(
            committed == generator().generate(OPENAPI),
            "montu_client/wire.py is out of date: run `python3 clients/python/scripts/generate_wire.py` and commit it",
        )

    def test_every_component_schema_has_its_record(self) -> None:
        with open(OPENAPI, encoding="utf-8") as f:
            schemas = json.load(f)["components"]["schemas"]
        for name, schema in schemas.items():
            self.assertEqual(set(FIELDS[name]), set(schema.get("properties", {})), name)

    def test_to_snake_walks_nested_records_lists_and_maps_and_keeps_undeclared_keys(self) -> None:
        media = {
            "id": "m1",
            "projectId": "SWA",
            "approval": {"by": "Review Supervisor", "at": "t", "comment": None},
            "metadata": {"fileSize": 7, "audio": {"sampleRate": 48000}, "streams": [{"sampleRate": 1}], "renderEngine": "Arnold", "tags": {"keyName": "v"}},
            "files": [{"role": "original", "contentType": "image/png", "info": {"ocio": {"config": "c"}}}],
            "customProperties": {"shotgunId": 1},
            "newerField": {"keptAs": "is"},
        }
        self.assertEqual(
            to_snake(media, "Media"),
            {
                "id": "m1",
                "project_id": "SWA",
                "approval": {"by": "Review Supervisor", "at": "t", "comment": None},
                "metadata": {"file_size": 7, "audio": {"sample_rate": 48000}, "streams": [{"sample_rate": 1}], "renderEngine": "Arnold", "tags": {"keyName": "v"}},
                "files": [{"role": "original", "content_type": "image/png", "info": {"ocio": {"config": "c"}}}],
                "custom_properties": {"shotgunId": 1},
                "newerField": {"keptAs": "is"},
            },
        )
        stats = {"byStatus": {"pending": 2}, "authors": [{"author": "a", "count": 1}], "versions": {"averagePerTask": 1.5}}
        self.assertEqual(to_snake(stats, "Statistics"), {"by_status": {"pending": 2}, "authors": [{"author": "a", "count": 1}], "versions": {"average_per_task": 1.5}})

    def test_names(self) -> None:
        snake = generator().snake
        for camel, expected in [("projectId", "project_id"), ("renditionSha256", "rendition_sha256"), ("fNumber", "f_number"), ("xMin", "x_min"), ("targetURL", "target_url"), ("id", "id")]:
            self.assertEqual(snake(camel), expected)


if __name__ == "__main__":
    unittest.main()

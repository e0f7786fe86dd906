#!/usr/bin/env python3
"""Generates montu_client/wire.py from the server's OpenAPI document (standard library only).

    python3 clients/python/scripts/generate_wire.py            # writes clients/python/montu_client/wire.py
    python3 clients/python/scripts/generate_wire.py --check    # exits 1 when wire.py is out of date

For every record in ``components.schemas`` (and every object declared inside one) it writes:

- a ``TypedDict`` of the record as it travels (camelCase keys, the API's own names);
- ``FIELDS[record]``: each wire name with its snake_case name and the shape of its value, which
  ``montu_client.records.to_snake`` walks to give any record in snake_case.

Nothing here knows a particular record: a field added to the server's schemas appears in both
after ``npm run generate -w @montu/client`` (which rewrites openapi.json) and this script. The
test ``clients/python/tests/test_wire.py`` fails when wire.py is not what this script makes.
"""
from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(CLIENT))
OPENAPI = os.path.join(REPO, "packages", "client", "openapi.json")
OUT = os.path.join(CLIENT, "montu_client", "wire.py")

Schema = Dict[str, Any]
# The shape of a value for the snake_case walk: None (kept as it is), a record name,
# ("list", shape) or ("map", shape).
Shape = Any

HEADER = '''"""Wire records of the Montu API: TypedDicts and their snake_case names.

Generated from packages/client/openapi.json by clients/python/scripts/generate_wire.py.
Do not edit: change the server's schemas, run ``npm run generate -w @montu/client``, then the script.

``FIELDS[record][wire_name] = (snake_name, shape)``, where a shape is None (a plain value), a record
name, ``("list", shape)`` or ``("map", shape)``; ``montu_client.records.to_snake`` walks it.
Records may carry keys not listed here (newer servers, a studio's own metadata): they are kept.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Tuple, TypedDict, Union

if TYPE_CHECKING:  # Python 3.11+; the types below are strings, never evaluated at run time
    from typing import NotRequired
'''


def snake(name: str) -> str:
    """``projectId`` → ``project_id``, ``renditionSha256`` → ``rendition_sha256``, ``targetURL`` → ``target_url``."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def pascal(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", name) if p)


class Generator:
    def __init__(self, doc: Schema) -> None:
        self.schemas: Dict[str, Schema] = doc.get("components", {}).get("schemas", {})
        # name -> (schema, TypedDict source, FIELDS entry); insertion order is emission order.
        self.records: Dict[str, Tuple[Schema, str, Dict[str, Tuple[str, Shape]]]] = {}
        self._inline: Dict[str, str] = {}  # canonical JSON of an inline object -> its record name

    # ------------------------------------------------------------------ schemas

    @staticmethod
    def _types(s: Schema) -> List[str]:
        t = s.get("type")
        if isinstance(t, list):
            return [str(x) for x in t]
        if isinstance(t, str):
            return [t]
        if "properties" in s:
            return ["object"]
        return []

    @staticmethod
    def _ref(s: Schema) -> Optional[str]:
        ref = s.get("$ref")
        return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None

    def _is_record(self, s: Schema) -> bool:
        return "object" in self._types(s) and bool(s.get("properties"))

    def _alternatives(self, s: Schema) -> List[Schema]:
        alts = s.get("anyOf") or s.get("oneOf")
        return [a for a in alts if a.get("type") != "null"] if isinstance(alts, list) else []

    def _record_for(self, s: Schema, suggested: str) -> str:
        """The record name of an object schema declared inline, generating it on first sight."""
        key = json.dumps({k: v for k, v in s.items() if k not in ("description",)}, sort_keys=True)
        if key in self._inline:
            return self._inline[key]
        name = pascal(str(s.get("title") or suggested))
        base, n = name, 2
        while name in self.records or name in self.schemas:
            name, n = f"{base}{n}", n + 1
        self._inline[key] = name
        self.add(name, s)
        return name

    # ------------------------------------------------------------------ types and shapes

    def py_type(self, s: Schema, context: str) -> Tuple[str, Shape]:
        """The Python type (as source text) and the snake_case shape of a value of schema ``s``."""
        ref = self._ref(s)
        if ref is not None:
            return ref, ref
        alts = self._alternatives(s)
        if alts:
            parts = [self.py_type(a, context) for a in alts]
            nullable = len(alts) < len(s.get("anyOf") or s.get("oneOf"))
            text = parts[0][0] if len(parts) == 1 else f"Union[{', '.join(p[0] for p in parts)}]"
            shape = next((p[1] for p in parts if p[1] is not None), None)
            return (f"Optional[{text}]" if nullable else text), shape
        types = self._types(s)
        nullable = "null" in types
        types = [t for t in types if t != "null"]
        text, shape = self._base_type(s, types, context)
        return (f"Optional[{text}]" if nullable and text != "Any" else text), shape

    def _base_type(self, s: Schema, types: List[str], context: str) -> Tuple[str, Shape]:
        if len(types) != 1:
            return "Any", None
        t = types[0]
        if t == "string":
            enum = s.get("enum")
            if isinstance(enum, list) and enum:
                return f"Literal[{', '.join(repr(str(e)) for e in enum)}]", None
            return "str", None
        if t == "integer":
            return "int", None
        if t == "number":
            return "float", None
        if t == "boolean":
            return "bool", None
        if t == "array":
            item, shape = self.py_type(s.get("items") or {}, context + "Item")
            return f"List[{item}]", (("list", shape) if shape is not None else None)
        if t == "object":
            if self._is_record(s):
                name = self._record_for(s, context)
                return name, name
            values = s.get("additionalProperties")
            if isinstance(values, dict) and values:
                value, shape = self.py_type(values, context + "Value")
                return f"Dict[str, {value}]", (("map", shape) if shape is not None else None)
            return "Dict[str, Any]", None
        return "Any", None

    # ------------------------------------------------------------------ records

    def add(self, name: str, s: Schema) -> None:
        self.records[name] = (s, "", {})  # reserve the name (inline objects may refer back)
        required = set(s.get("required") or [])
        fields: Dict[str, Tuple[str, Shape]] = {}
        items: List[str] = []
        for prop, ps in (s.get("properties") or {}).items():
            text, shape = self.py_type(ps, name + pascal(prop))
            if prop not in required:
                text = f"NotRequired[{text}]"
            items.append(f"        {prop!r}: {text!r},")
            fields[prop] = (snake(prop), shape)
        doc = str(s.get("description") or "").strip()
        comment = f"# {doc}\n" if doc else ""
        body = "\n".join(items)
        source = f'{comment}{name} = TypedDict(\n    {name!r},\n    {{\n{body}\n    }},\n)\n'
        self.records[name] = (s, source, fields)

    def run(self) -> str:
        for name in sorted(self.schemas):
            if name not in self.records and self._is_record(self.schemas[name]):
                self.add(name, self.schemas[name])
        out = [HEADER]
        for name in sorted(self.records):
            out.append("\n" + self.records[name][1])
        out.append("\nFIELDS: Dict[str, Dict[str, Tuple[str, Any]]] = {\n")
        for name in sorted(self.records):
            out.append(f"    {name!r}: {{\n")
            for prop, (py, shape) in self.records[name][2].items():
                out.append(f"        {prop!r}: ({py!r}, {shape!r}),\n")
            out.append("    },\n")
        out.append("}\n")
        return "".join(out)


def generate(openapi_path: str = OPENAPI) -> str:
    with open(openapi_path, encoding="utf-8") as f:
        return Generator(json.load(f)).run()


def main(argv: List[str]) -> int:
    text = generate()
    if "--check" in argv:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{OUT} is out of date: run python3 {os.path.relpath(__file__, REPO)}", file=sys.stderr)
                return 1
        return 0
    tmp = OUT + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, OUT)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

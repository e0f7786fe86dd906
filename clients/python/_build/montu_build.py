"""A PEP 517/660 build backend for montu_client, standard library only.

Why not setuptools: its wheels need the `wheel` package (before setuptools 70.1), which a studio
machine or an offline build host often lacks, and build isolation would download both. This
backend needs nothing, so `pip install ./clients/python` works offline, in a fresh venv, with or
without build isolation. The metadata comes from pyproject.toml's [project] table (one home).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "montu_client"

__all__ = [
    "build_wheel",
    "build_sdist",
    "build_editable",
    "get_requires_for_build_wheel",
    "get_requires_for_build_sdist",
    "get_requires_for_build_editable",
    "prepare_metadata_for_build_wheel",
    "prepare_metadata_for_build_editable",
]


def _project() -> Dict[str, object]:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib  # Python 3.11+

        return tomllib.loads(text)["project"]
    except ImportError:  # Python 3.9/3.10: the [project] table's plain keys and string lists suffice
        section = re.search(r"^\[project\]\s*$(.*?)(?=^\[)", text + "\n[", re.S | re.M)
        body = section.group(1) if section else ""
        out: Dict[str, object] = {}
        for key, value in re.findall(r'^([\w-]+)\s*=\s*"([^"]*)"\s*$', body, re.M):
            out[key] = value
        classifiers = re.search(r"^classifiers\s*=\s*\[(.*?)\]", body, re.S | re.M)
        out["classifiers"] = re.findall(r'"([^"]+)"', classifiers.group(1)) if classifiers else []
        licence = re.search(r'^license\s*=\s*\{\s*text\s*=\s*"([^"]+)"', body, re.M)
        if licence:
            out["license"] = {"text": licence.group(1)}
        return out


def _names() -> Tuple[str, str, str]:
    project = _project()
    name = str(project["name"])
    version = str(project["version"])
    return name, version, re.sub(r"[-_.]+", "_", name).lower()


def _metadata() -> str:
    project = _project()
    name, version, _ = _names()
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    licence = project.get("license")
    if isinstance(licence, dict) and licence.get("text"):
        lines.append(f"License: {licence['text']}")
    for c in project.get("classifiers", []) or []:  # type: ignore[union-attr]
        lines.append(f"Classifier: {c}")
    readme = ROOT / "README.md"
    lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + readme.read_text(encoding="utf-8")


def _wheel_file() -> str:
    return "Wheel-Version: 1.0\nGenerator: montu_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _package_files() -> List[Path]:
    return sorted(
        p
        for p in (ROOT / PACKAGE).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")
    )


def _write_wheel(directory: str, contents: List[Tuple[str, bytes]]) -> str:
    _, version, dist = _names()
    info = f"{dist}-{version}.dist-info"
    contents = contents + [
        (f"{info}/METADATA", _metadata().encode("utf-8")),
        (f"{info}/WHEEL", _wheel_file().encode("utf-8")),
    ]
    record = io.StringIO()
    for arcname, data in contents:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{arcname},sha256={digest},{len(data)}\n")
    record.write(f"{info}/RECORD,,\n")
    contents.append((f"{info}/RECORD", record.getvalue().encode("utf-8")))
    filename = f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w", zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in contents:
            zf.writestr(zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return filename


def _write_metadata_dir(directory: str) -> str:
    _, version, dist = _names()
    info = Path(directory) / f"{dist}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(_metadata(), encoding="utf-8")
    (info / "WHEEL").write_text(_wheel_file(), encoding="utf-8")
    return info.name


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


get_requires_for_build_sdist = get_requires_for_build_wheel
get_requires_for_build_editable = get_requires_for_build_wheel


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: Optional[dict] = None) -> str:
    return _write_metadata_dir(metadata_directory)


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(
    wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None
) -> str:
    files = [(p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in _package_files()]
    return _write_wheel(wheel_directory, files)


def build_editable(
    wheel_directory: str, config_settings: Optional[dict] = None, metadata_directory: Optional[str] = None
) -> str:
    # A .pth line puts the source folder on sys.path: edits take effect without reinstalling.
    _, _, dist = _names()
    return _write_wheel(wheel_directory, [(f"__editable__.{dist}.pth", f"{ROOT}\n".encode("utf-8"))])


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    _, version, dist = _names()
    base = f"{dist}-{version}"
    files = [ROOT / "pyproject.toml", ROOT / "README.md", Path(__file__).resolve(), *_package_files()]
    filename = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for p in files:
            tar.add(p, arcname=f"{base}/{p.relative_to(ROOT).as_posix()}", recursive=False)
        info = _metadata().encode("utf-8")
        entry = tarfile.TarInfo(f"{base}/PKG-INFO")
        entry.size = len(info)
        tar.addfile(entry, io.BytesIO(info))
    return filename

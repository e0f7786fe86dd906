"""Download the approved versions of a shot's tasks.

    python3 pull_approved.py SWA ep01_sq010_sh020 ./approved [--latest]

Walks every approved item whose task belongs to the shot (all steps: lighting, comp, anim…),
newest first across all result pages, and downloads each original (verified against its
sha256; sequences become a folder of frames). With --latest only the newest approved version
of each task is pulled. Needs MONTU_URL and MONTU_TOKEN.
"""
from __future__ import annotations

import os
import sys

from montu_client import MontuClient, MontuError


def pull_approved(project_id: str, shot: str, dest: str, latest_only: bool = False) -> list:
    montu = MontuClient(os.environ.get("MONTU_URL", "http://127.0.0.1:8470"), os.environ.get("MONTU_TOKEN"))
    written = []
    seen_tasks = set()
    for item in montu.search_media(project_id=project_id, status="approved"):
        task = item["taskId"]
        if not task.startswith(shot + "_"):
            continue
        if latest_only and task in seen_tasks:
            continue  # results are newest first: the first one per task is the latest
        seen_tasks.add(task)
        target = os.path.join(dest, task, item["version"])
        os.makedirs(target, exist_ok=True)
        path = montu.download(item["id"], target + os.sep)
        print(f"{task} {item['version']} -> {path}")
        written.append(path)
    return written


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 3:
        sys.exit("usage: pull_approved.py PROJECT_ID SHOT DEST [--latest]")
    try:
        pull_approved(args[0], args[1], args[2], latest_only="--latest" in sys.argv)
    except MontuError as e:
        sys.exit(f"montu: {e.code}: {e.detail}")

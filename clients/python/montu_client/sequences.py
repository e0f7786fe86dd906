"""Image sequences on disk: patterns (``beauty.####.exr``, ``beauty.%04d.exr``, ``beauty.@@@@.exr``,
``beauty.$F4.exr``) and folders, resolved to an ordered list of frames."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

_HASHES = re.compile(r"(#+|@+)")
_PRINTF = re.compile(r"%(0?(\d+))?d")
_HOUDINI = re.compile(r"\$F(\d*)")


@dataclass(frozen=True)
class Frame:
    """One frame file of a sequence."""

    frame: int
    path: str

    @property
    def file_name(self) -> str:
        return os.path.basename(self.path)


@dataclass(frozen=True)
class Sequence:
    """A resolved image sequence: its display name (``beauty.####.exr``) and frames in order."""

    name: str
    frames: Tuple[Frame, ...]

    @property
    def first(self) -> int:
        return self.frames[0].frame

    @property
    def last(self) -> int:
        return self.frames[-1].frame

    @property
    def missing(self) -> List[int]:
        """Frame numbers inside [first, last] with no file."""
        have = {f.frame for f in self.frames}
        return [n for n in range(self.first, self.last + 1) if n not in have]


def is_sequence_pattern(path: str) -> bool:
    """True for a pattern with a frame placeholder (``####``, ``@@@@``, ``%04d``, ``$F4``)."""
    base = os.path.basename(path)
    return bool(_HASHES.search(base) or _PRINTF.search(base) or _HOUDINI.search(base))


def _pattern_regex(base: str) -> Tuple["re.Pattern[str]", str]:
    """A regex matching the frame files of a pattern, and the display name with ``#`` padding."""
    out: List[str] = []
    display: List[str] = []
    pos = 0
    tokens = sorted(
        [(m.start(), m.end(), "hash", len(m.group(1))) for m in _HASHES.finditer(base)]
        + [(m.start(), m.end(), "printf", int(m.group(2) or 0)) for m in _PRINTF.finditer(base)]
        + [(m.start(), m.end(), "houdini", int(m.group(1) or 0)) for m in _HOUDINI.finditer(base)]
    )
    if not tokens:
        raise ValueError(f"{base!r} has no frame placeholder (####, %04d, @@@@, $F4)")
    start, end, _kind, pad = tokens[-1]  # the last placeholder is the frame number
    out.append(re.escape(base[:start]))
    display.append(base[:start])
    # Padded: at least `pad` digits (a frame past the padding grows, as renderers write it).
    out.append(r"(-?\d{%d,})" % max(pad, 1) if pad > 1 else r"(-?\d+)")
    display.append("#" * max(pad, 1))
    out.append(re.escape(base[end:]))
    display.append(base[end:])
    pos = end
    del pos
    return re.compile("^" + "".join(out) + "$"), "".join(display)


def resolve_sequence(source: str) -> Sequence:
    """Finds the frames of a pattern or a folder.

    A folder must hold exactly one sequence (files ``name.<digits>.ext``; other files are
    ignored). Raises ``ValueError`` when nothing matches.
    """
    if os.path.isdir(source):
        groups: Dict[Tuple[str, str, int], List[Frame]] = {}
        rx = re.compile(r"^(.*?)(\d+)(\.[A-Za-z0-9]+)$")
        for name in sorted(os.listdir(source)):
            full = os.path.join(source, name)
            m = rx.match(name)
            if not m or not os.path.isfile(full):
                continue
            key = (m.group(1), m.group(3), len(m.group(2)))
            groups.setdefault(key, []).append(Frame(int(m.group(2)), full))
        if not groups:
            raise ValueError(f"no numbered frame files in {source}")
        if len(groups) > 1:
            names = ", ".join(f"{p}{'#' * n}{e}" for (p, e, n) in groups)
            raise ValueError(f"{source} holds more than one sequence ({names}): give a pattern")
        (prefix, ext, pad), frames = next(iter(groups.items()))
        frames.sort(key=lambda f: f.frame)
        return Sequence(f"{prefix}{'#' * pad}{ext}", tuple(frames))
    folder = os.path.dirname(source) or "."
    regex, display = _pattern_regex(os.path.basename(source))
    found: List[Frame] = []
    if os.path.isdir(folder):
        for name in os.listdir(folder):
            m = regex.match(name)
            full = os.path.join(folder, name)
            if m and os.path.isfile(full):
                found.append(Frame(int(m.group(1)), full))
    if not found:
        raise ValueError(f"no frames match {source}")
    found.sort(key=lambda f: f.frame)
    dupes = [a.frame for a, b in zip(found, found[1:]) if a.frame == b.frame]
    if dupes:
        raise ValueError(f"frame {dupes[0]} appears twice for {source} (mixed padding?)")
    return Sequence(display, tuple(found))


def frame_range(seq: Sequence, first: Optional[int] = None, last: Optional[int] = None) -> Sequence:
    """The part of a sequence inside [first, last]."""
    frames = tuple(f for f in seq.frames if (first is None or f.frame >= first) and (last is None or f.frame <= last))
    if not frames:
        raise ValueError("no frames in the given range")
    return Sequence(seq.name, frames)

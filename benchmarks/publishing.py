"""Generated sections of the docs: a block between two markers, rewritten in place.

`<!-- learning:hopper-100k -->` ... `<!-- /learning:hopper-100k -->` (benchmarks/learning.py)
and `<!-- speed:hopper-twinq-soft -->` ... (benchmarks/throughput.py): the text between a
pair is the output of the command named in it; everything around it is written by hand.
"""

from __future__ import annotations

from pathlib import Path

from trl_sac.files import write_text_atomically


class UsageError(Exception):
    """Bad input, reported in one line."""


def publish_section(path: Path, marker: str, section: str) -> None:
    """Write `section` between the markers `marker` in `path`, leaving the rest alone."""
    begin, end = f"<!-- {marker} -->", f"<!-- /{marker} -->"
    block = f"{begin}\n{section.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else ""
    begins, ends = text.count(begin), text.count(end)
    if begins == ends == 0:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    elif begins == ends == 1 and text.index(begin) < text.index(end):
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        raise UsageError(
            f"{path} should hold one {begin} followed by one {end}; it holds {begins} and "
            f"{ends}: mend the markers by hand"
        )
    write_text_atomically(path, text)

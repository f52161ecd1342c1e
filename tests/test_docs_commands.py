"""The shell blocks the README and the docs mark as quick run as written, so that a renamed
option or recipe breaks CI before it breaks a reader.

A block is marked by a line `<!-- quick -->` right before its ```bash fence. A file's quick
blocks run in document order, each with `bash -euo pipefail`, in one fresh copy of the
repository's tracked files, so a block may use what an earlier one wrote (the smoke run's
directory). Install commands and long runs are never marked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

QUICK_BLOCK = re.compile(r"<!-- quick -->\n```(?:bash|sh)\n(.*?)```", re.DOTALL)
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def quick_blocks(document: Path) -> list[str]:
    return QUICK_BLOCK.findall(document.read_text())


def tracked_copy(destination: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file() and not name.endswith(".png"):
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def test_the_readme_marks_its_smoke_run_as_quick():
    blocks = quick_blocks(REPO / "README.md")
    assert any("recipes/hopper.py" in block for block in blocks)


@pytest.mark.e2e
@pytest.mark.parametrize(
    "document",
    [path for path in DOCUMENTS if quick_blocks(path)],
    ids=lambda path: str(path.relative_to(REPO)),
)
def test_quick_commands_of_a_document_run_as_written(tmp_path, document):
    workdir = tracked_copy(tmp_path / "repo")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for block in quick_blocks(document):
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert result.returncode == 0, f"{block}\n{result.stderr[-3000:]}"

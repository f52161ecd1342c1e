"""The package's layers import one way: each only from those below it."""

from __future__ import annotations

import ast
from pathlib import Path

import trl_sac

PACKAGE = Path(trl_sac.__file__).parent
# Bottom first. Shared modules (errors, devices, files, progress, mujoco_gl) and the tasks sit
# below every layer; conf registers resolvers from runs and tasks.
LAYERS = ["shared", "tasks", "sac", "rollout", "runs", "evaluation", "reporting", "training"]
SHARED = {"errors", "devices", "files", "progress", "mujoco_gl"}


def layer_of(module: str) -> str:
    """`trl_sac.sac.networks` -> sac; `trl_sac.errors` -> shared."""
    part = module.split(".")[1] if "." in module else ""
    return "shared" if part in SHARED or not part else part


def runtime_imports(path: Path) -> set[str]:
    """trl_sac modules `path` imports when it runs (not those under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "trl_sac":
            found.update(f"trl_sac.{alias.name}" for alias in node.names)  # its submodules
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("trl_sac"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("trl_sac"))
    return found


def test_each_layer_imports_only_the_layers_below_it():
    wrong = []
    for layer in LAYERS[1:]:
        for path in sorted((PACKAGE / layer).rglob("*.py")):
            for module in runtime_imports(path):
                used = layer_of(module)
                # reporting reads files: nothing of the learning layers but the run dir layout.
                allowed = LAYERS.index(used) <= LAYERS.index(layer) and not (
                    layer == "reporting" and used not in ("shared", "reporting")
                )
                if not allowed and module != "trl_sac.runs.layout":
                    wrong.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not wrong, "\n".join(wrong)

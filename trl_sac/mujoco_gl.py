"""MUJOCO_GL, checked before MuJoCo is imported.

TorchRL imports mujoco as it loads, and mujoco imports the OpenGL backend MUJOCO_GL names:
an unknown name, or a backend whose library is not installed, ends that import with a
traceback, in every command. So the variable is checked when trl_sac is imported. An
unusable backend is set aside (MUJOCO_GL=disable), commands that never render go on, and a
command that renders says why it cannot, in one line (evaluation/rendering.py).
"""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable

# What mujoco accepts on Linux (mujoco/rendering/classic/gl_context.py).
KNOWN_BACKENDS = {"", "disable", "disabled", "off", "false", "0", "enable", "enabled", "on"}
KNOWN_BACKENDS |= {"true", "1", "glfw", "glx", "egl", "osmesa"}
# The library each off-screen backend loads, and the Debian package that ships it.
LIBRARIES = {"osmesa": ("OSMesa", "libosmesa6"), "egl": ("EGL", "libegl1")}

# Where the set-aside value is kept for child processes (sweep workers) to report it too.
SET_ASIDE_VARIABLE = "TRL_SAC_UNUSABLE_MUJOCO_GL"


def find_library(name: str) -> str | None:
    """The library's file, found as the loader finds it (LD_LIBRARY_PATH included)."""
    for candidate in (ctypes.util.find_library(name), f"lib{name}.so", f"lib{name}.so.1"):
        if candidate is None:
            continue
        try:
            ctypes.CDLL(candidate)
        except OSError:
            continue
        return candidate
    return None


def backend_problem(
    value: str, find_library: Callable[[str], str | None] = find_library
) -> str | None:
    """Why MUJOCO_GL=`value` cannot work here, or None when it can."""
    backend = value.strip().lower()
    if backend not in KNOWN_BACKENDS:
        return (
            f"MUJOCO_GL={value} is not a backend MuJoCo knows: unset MUJOCO_GL, or set it "
            "to egl (GPU) or osmesa (CPU)"
        )
    if backend in LIBRARIES:
        library, package = LIBRARIES[backend]
        if find_library(library) is None:
            return (
                f"MUJOCO_GL={value} needs lib{library}, which is not installed: apt-get "
                f"install {package}, or unset MUJOCO_GL"
            )
    return None


def guard_mujoco_gl() -> None:
    """Set an unusable MUJOCO_GL aside before anything imports mujoco."""
    if "mujoco" in sys.modules or "MUJOCO_GL" not in os.environ:
        return
    if backend_problem(os.environ["MUJOCO_GL"]) is not None:
        os.environ[SET_ASIDE_VARIABLE] = os.environ["MUJOCO_GL"]
        os.environ["MUJOCO_GL"] = "disable"


def set_aside_backend() -> str | None:
    """The one-line reason MUJOCO_GL was set aside, if it was."""
    value = os.environ.get(SET_ASIDE_VARIABLE)
    return None if value is None else backend_problem(value)

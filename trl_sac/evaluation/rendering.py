"""Off-screen MuJoCo rendering: pick the OpenGL backend that works on this machine."""

from __future__ import annotations

import functools
import os
import subprocess
import sys

import torch

from trl_sac.errors import ConfigError
from trl_sac.mujoco_gl import set_aside_backend

# The Debian package each backend needs.
GL_PACKAGES = {"osmesa": "libosmesa6", "egl": "libegl1"}

_PROBE = """
import sys
backend = sys.argv[1]
if backend == "egl":
    from mujoco.egl import GLContext
else:
    from mujoco.osmesa import GLContext
context = GLContext(16, 16)
context.make_current()
context.free()
"""


class RenderingUnavailable(ConfigError):
    """No off-screen OpenGL backend works here; the message names the package to install."""


def choose_gl_backend() -> str:
    """Set MUJOCO_GL for off-screen rendering and return it.

    A MUJOCO_GL the user set is kept. Otherwise EGL is tried first on a GPU machine and
    OSMesa first on a CPU one. Each is tried in a child process: a backend that fails to
    load leaves PyOpenGL unable to load another in the same process.
    """
    set_aside = set_aside_backend()
    if set_aside is not None:
        raise RenderingUnavailable(set_aside)
    chosen = os.environ.get("MUJOCO_GL")
    if chosen:
        if chosen in GL_PACKAGES and not _renders_with(chosen):
            raise RenderingUnavailable(
                f"off-screen rendering fails with MUJOCO_GL={chosen}: install Debian's "
                f"{GL_PACKAGES[chosen]} (apt-get install {GL_PACKAGES[chosen]}) or unset MUJOCO_GL"
            )
        return chosen
    candidates = ("egl", "osmesa") if torch.cuda.is_available() else ("osmesa", "egl")
    for backend in candidates:
        if _renders_with(backend):
            os.environ["MUJOCO_GL"] = backend
            return backend
    raise RenderingUnavailable(
        "off-screen rendering works with neither MUJOCO_GL=osmesa nor egl: install Debian's "
        "libosmesa6 (apt-get install libosmesa6) to render on the CPU, or libegl1 with the "
        "NVIDIA driver on a GPU machine"
    )


@functools.cache
def _renders_with(backend: str) -> bool:
    environment = {**os.environ, "MUJOCO_GL": backend}
    try:
        probe = subprocess.run(
            [sys.executable, "-c", _PROBE, backend],
            env=environment,
            capture_output=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0

"""A gymnasium MuJoCo env's state, saved and put back bit for bit.

What the env's next steps and resets depend on: MuJoCo's integration state (positions,
velocities, actuator activations, warm-start accelerations, time), the generator its
resets draw their noise from, and the steps its TimeLimit has counted in this episode.
Derived quantities (contact forces, centres of mass) are recomputed by the next step.
"""

from __future__ import annotations

from typing import Any, Protocol

import gymnasium as gym
import mujoco
import numpy as np
import torch

_INTEGRATION = mujoco.mjtState.mjSTATE_INTEGRATION


def mujoco_env_state(env: gym.Env) -> dict[str, Any]:
    """Everything the rest of `env`'s episode and its later resets depend on."""
    model, data = env.unwrapped.model, env.unwrapped.data
    physics = np.empty(mujoco.mj_stateSize(model, _INTEGRATION), dtype=np.float64)
    mujoco.mj_getState(model, data, physics, _INTEGRATION)
    return {
        "physics": torch.from_numpy(physics),
        # The generator the resets draw their noise from: a plain dict of ints.
        "reset_generator": env.unwrapped.np_random.bit_generator.state,
        "elapsed_steps": _time_limit(env)._elapsed_steps,
    }


def load_mujoco_env_state(env: gym.Env, state: dict[str, Any]) -> None:
    """Put `state` (from `mujoco_env_state` of an env of the same task) into `env`."""
    model, data = env.unwrapped.model, env.unwrapped.data
    physics = state["physics"].numpy()
    expected = mujoco.mj_stateSize(model, _INTEGRATION)
    if physics.shape != (expected,):
        raise ValueError(
            f"the saved MuJoCo state holds {physics.shape[0]} values, this task's {expected}"
        )
    mujoco.mj_setState(model, data, physics, _INTEGRATION)
    env.unwrapped.np_random.bit_generator.state = state["reset_generator"]
    _time_limit(env)._elapsed_steps = state["elapsed_steps"]


def _time_limit(env: gym.Env) -> gym.wrappers.TimeLimit:
    wrapper = env
    while not isinstance(wrapper, gym.wrappers.TimeLimit):
        if not hasattr(wrapper, "env"):
            raise ValueError(f"{env} has no TimeLimit wrapper to restore its step count into")
        wrapper = wrapper.env
    return wrapper


class ResumableCollector(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class TrainingEnvState:
    """A snapshot's view of the training env and its episode in progress.

    A run restores its snapshot before it builds its collector, so a restored state waits
    here until `attach` hands it to the collector. A collector that cannot save its env
    (TorchRL's, `collector.direct=false`) saves nothing, and a run resumed from such a
    snapshot starts a fresh episode.
    """

    def __init__(self) -> None:
        self.collector: ResumableCollector | None = None
        self.restored: dict[str, Any] | None = None

    def state_dict(self) -> dict[str, Any]:
        if self.collector is None:
            return {}
        return self.collector.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.restored = state or None

    def attach(self, collector: Any) -> bool:
        """Follow `collector` from now on; True when it took up a restored episode."""
        resumable = callable(getattr(collector, "load_state_dict", None))
        self.collector = collector if resumable else None
        if self.restored is None or not resumable:
            return False
        collector.load_state_dict(self.restored)
        self.restored = None
        return True

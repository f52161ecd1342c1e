"""Env steps straight into the replay buffer: the Collector's transitions at the physics' cost.

TorchRL's Collector at one frame per batch spends about 3.5 ms of a 4 ms env step on the
CPU building and routing TensorDicts: the policy through ProbabilisticActor and TanhNormal,
the step through GymEnv and five transforms, step_mdp, the batch, then the buffer's extend.
The physics takes 0.4 ms. DirectCollector steps the same gymnasium env with the same
arithmetic on plain tensors, each piece taken from the TorchRL object it replaces: the
transforms' own parameters, the actor's own network, TanhNormal.rsample's draw. For a
fixed seed and fixed weights it collects exactly the Collector's transitions
(tests/test_collection.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from tensordict import TensorDict
from torchrl.data import TensorDictReplayBuffer
from torchrl.data.replay_buffers.samplers import RandomSampler
from torchrl.envs import (
    ActionScaling,
    Compose,
    DoubleToFloat,
    RewardScaling,
    RewardSum,
    StepCounter,
    TransformedEnv,
)

from trl_sac.rollout.env_state import load_mujoco_env_state, mujoco_env_state
from trl_sac.sac.networks import PolicyNetwork, policy_forward

CPU = torch.device("cpu")
# done and terminated as the Collector stores them; the buffer copies what it is given.
FLAGS = {False: torch.tensor([False]), True: torch.tensor([True])}
# The chain trl_sac.rollout.envs.make_env builds, in its order; the arithmetic below is theirs.
SUPPORTED_TRANSFORMS = (DoubleToFloat, ActionScaling, StepCounter, RewardSum, RewardScaling)
# What each transition writes into the replay buffer: what SACLoss reads, both variants.
TRANSITION_KEYS = frozenset(
    [
        "observation",
        "action",
        ("next", "observation"),
        ("next", "reward"),
        ("next", "done"),
        ("next", "terminated"),
    ]
)


@dataclass
class Collected:
    """What one batch of env steps added: frames, and the episodes that finished in it."""

    frames: int
    episode_returns: list[float] = field(default_factory=list)
    episode_lengths: list[int] = field(default_factory=list)


class DirectCollector:
    """Steps `env` with a tanh-Gaussian policy and writes each transition into `buffer`.

    `network` is the actor's network (an observation to the Gaussian's loc and scale),
    evaluated on its own parameters; actions are tanh of a sample, in [-1, 1]. The first
    `init_random_frames` steps draw actions from the env's action spec instead. Yields one
    `Collected` per `frames_per_batch` steps until at least `total_frames` steps are taken.
    """

    def __init__(
        self,
        env: TransformedEnv,
        network: PolicyNetwork,
        buffer: TensorDictReplayBuffer,
        buffer_keys: list,
        *,
        frames_per_batch: int,
        total_frames: int,
        init_random_frames: int,
        device: torch.device,
    ) -> None:
        chain = getattr(env, "transform", None)
        chain = list(chain) if isinstance(chain, Compose) else [chain]
        transforms = tuple(type(transform) for transform in chain)
        if transforms != SUPPORTED_TRANSFORMS:
            names = ", ".join(kind.__name__ for kind in transforms)
            raise ValueError(
                f"the direct collector steps the env make_env builds; this one has {names}: "
                "use collector.direct=false"
            )
        if set(buffer_keys) != TRANSITION_KEYS:
            raise ValueError(
                f"the direct collector writes {sorted(map(str, TRANSITION_KEYS))}, the loss "
                f"reads {sorted(map(str, buffer_keys))}: use collector.direct=false"
            )
        _, self.action_scaling, step_counter, _, self.reward_scaling = chain
        if step_counter.max_steps is not None or self.reward_scaling.standard_normal:
            raise ValueError(
                "the direct collector needs StepCounter() and RewardScaling(loc, scale): "
                "use collector.direct=false"
            )
        self.env, self.buffer, self.device = env, buffer, device
        self.policy = policy_forward(network)
        self.write = writer_add(buffer)
        self.gym_env = env.base_env._env
        self.frames_per_batch, self.total_frames = frames_per_batch, total_frames
        self.init_random_frames = init_random_frames
        self.frames = 0
        # TanhNormal clamps tanh this far inside (-1, 1) (its SafeTanhTransform).
        self.tanh_limit = 1.0 - torch.finfo(torch.float32).resolution
        self.observation = self.reset()
        self.episode_return = torch.zeros(1)
        self.episode_length = 0

    def state_dict(self) -> dict[str, Any]:
        """The env and the episode in progress: with them a new collector over a new env of
        the same task goes on exactly as this one would have."""
        return {
            "env": mujoco_env_state(self.gym_env),
            "observation": self.observation.clone(),
            "episode_return": self.episode_return.clone(),
            "episode_length": self.episode_length,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        load_mujoco_env_state(self.gym_env, state["env"])
        self.observation = state["observation"].clone()
        self.episode_return = state["episode_return"].clone()
        self.episode_length = state["episode_length"]

    def reset(self) -> torch.Tensor:
        # Through TorchRL, as the Collector resets: once per episode, so its cost is small.
        return self.env.reset()["observation"]

    def __iter__(self) -> Iterator[Collected]:
        # As the Collector does: whole batches (the last one may pass total_frames), and a
        # batch that starts within the random frames is random throughout.
        while self.frames < self.total_frames:
            collected = Collected(frames=0)
            random = self.frames < self.init_random_frames
            for _ in range(self.frames_per_batch):
                self.step(collected, random)
            yield collected

    def step(self, collected: Collected, random: bool) -> None:
        observation = self.observation
        if random:
            action = self.env.full_action_spec["action"].rand()
        else:
            action = self.act(observation)
        env_action = self.action_scaling.denormalize(action)
        next_numpy, reward, terminated, truncated, _ = self.gym_env.step(env_action.numpy())
        next_observation = torch.from_numpy(next_numpy).to(torch.float32)
        reward = torch.tensor([reward], dtype=torch.float32)
        self.episode_return += reward  # RewardSum sums the reward before RewardScaling
        self.episode_length += 1
        scaled = reward * self.reward_scaling.scale + self.reward_scaling.loc
        done = bool(terminated) or bool(truncated)
        self.write(
            TensorDict(
                {
                    "observation": observation,
                    "action": action,
                    "next": {
                        "observation": next_observation,
                        "reward": scaled,
                        "done": FLAGS[done],
                        "terminated": FLAGS[bool(terminated)],
                    },
                },
                batch_size=[],
                # Built on the CPU where it is: the buffer skips a pass to find the device.
                device=CPU,
            )
        )
        self.frames += 1
        collected.frames += 1
        if done:
            collected.episode_returns.append(self.episode_return.item())
            collected.episode_lengths.append(self.episode_length)
            self.episode_return = torch.zeros(1)
            self.episode_length = 0
            self.observation = self.reset()
        else:
            self.observation = next_observation

    @torch.no_grad()
    def act(self, observation: torch.Tensor) -> torch.Tensor:
        """A tanh-Gaussian sample drawn as TanhNormal.rsample draws it."""
        loc, scale = self.policy(observation.to(self.device))
        noise = torch.empty_like(loc).normal_()
        return (loc + noise * scale).tanh().clamp(-self.tanh_limit, self.tanh_limit).cpu()

    def shutdown(self) -> None:
        """Nothing to release; here so that either collector can be shut down alike."""


def writer_add(buffer: TensorDictReplayBuffer) -> Callable[[TensorDict], object]:
    """`buffer.add`, or its writer's add where that is all `buffer.add` does: a uniform
    sampler notes nothing on a write and an empty transform changes nothing (half the time
    of a transition's write)."""
    uniform = type(buffer.sampler) is RandomSampler
    if uniform and not len(buffer.transform or ()) and buffer.initialized:
        return buffer.writer.add
    return buffer.add

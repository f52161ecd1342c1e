"""The policy and the critics: 2x256 ReLU MLPs, Xavier-uniform weights, zero biases."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from tensordict.nn import TensorDictModule
from torch import nn
from torchrl.data import TensorSpec
from torchrl.envs.utils import ExplorationType
from torchrl.modules import MLP, ProbabilisticActor, TanhNormal, ValueOperator


class GaussianHead(nn.Module):
    """Split an MLP output into the mean and the standard deviation of a Gaussian.

    The log-std is clamped to [log_std_min, log_std_max] and then exponentiated, as in
    the seed notes (TorchRL's NormalParamExtractor uses a biased softplus instead).
    """

    def __init__(self, log_std_min: float, log_std_max: float) -> None:
        super().__init__()
        self.log_std_min = log_std_min
        self.log_std_max = log_std_max

    def forward(self, output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        loc, log_std = output.chunk(2, dim=-1)
        return loc, log_std.clamp(self.log_std_min, self.log_std_max).exp()


def xavier_init_(module: nn.Module) -> nn.Module:
    """Xavier-uniform weights and zero biases for every linear layer (seed notes)."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    return module


def make_mlp(in_features: int, out_features: int, hidden_sizes: Sequence[int]) -> MLP:
    mlp = MLP(
        in_features=in_features,
        out_features=out_features,
        num_cells=list(hidden_sizes),
        activation_class=nn.ReLU,
    )
    return xavier_init_(mlp)


def make_actor(
    observation_size: int,
    action_spec: TensorSpec,
    *,
    hidden_sizes: Sequence[int],
    log_std_min: float,
    log_std_max: float,
) -> ProbabilisticActor:
    """A tanh-Gaussian policy; its deterministic action is tanh of the mean."""
    action_size = action_spec.shape[-1]
    network = nn.Sequential(
        make_mlp(observation_size, 2 * action_size, hidden_sizes),
        GaussianHead(log_std_min, log_std_max),
    )
    return ProbabilisticActor(
        TensorDictModule(network, in_keys=["observation"], out_keys=["loc", "scale"]),
        in_keys=["loc", "scale"],
        spec=action_spec,
        distribution_class=TanhNormal,
        distribution_kwargs={
            "low": action_spec.space.low,
            "high": action_spec.space.high,
        },
        default_interaction_type=ExplorationType.RANDOM,
    )


def policy_network(actor: ProbabilisticActor) -> nn.Module:
    """The network inside a make_actor actor: observation -> (loc, scale), same parameters."""
    return actor.module[0].module


def make_qvalue(
    observation_size: int, action_size: int, *, hidden_sizes: Sequence[int]
) -> ValueOperator:
    """Q(s, a), written to `state_action_value`."""
    return ValueOperator(
        make_mlp(observation_size + action_size, 1, hidden_sizes),
        in_keys=["observation", "action"],
    )


def make_value(observation_size: int, *, hidden_sizes: Sequence[int]) -> ValueOperator:
    """V(s), written to `state_value` (SAC v1 only)."""
    return ValueOperator(make_mlp(observation_size, 1, hidden_sizes), in_keys=["observation"])

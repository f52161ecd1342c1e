"""The policy and the critics: 2x256 ReLU MLPs, Xavier-uniform weights, zero biases.

Besides building them, this module evaluates them functionally on the parameters a loss
module holds (`linear_layers`, `mlp`, `twin_mlp`): the fused update runs on those.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from tensordict import TensorDictBase
from tensordict.nn import ProbabilisticTensorDictModule, TensorDictModule
from torch import Tensor, nn
from torch.nn import functional as F  # noqa: N812
from torchrl.data import TensorSpec
from torchrl.envs.utils import ExplorationType
from torchrl.modules import MLP, ProbabilisticActor, TanhNormal, ValueOperator

Layers = list[tuple[Tensor, Tensor]]


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
    network = PolicyNetwork(
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


class PolicyNetwork(nn.Sequential):
    """observation -> (loc, scale): the MLP, then the Gaussian head.

    A Sequential, so its parameters keep the names of runs saved before it had a name.
    """

    def __init__(self, mlp: MLP, head: GaussianHead) -> None:
        super().__init__(mlp, head)

    @property
    def mlp(self) -> MLP:
        return self[0]

    @property
    def head(self) -> GaussianHead:
        return self[1]


def policy_forward(network: PolicyNetwork) -> Callable[[Tensor], tuple[Tensor, Tensor]]:
    """`network`'s forward as plain calls on its own (live) parameters: the same operations
    and numbers for one observation, without a dozen module calls (a third of the policy's
    time per collected step on the CPU)."""
    layers = [module for module in network.mlp if not isinstance(module, nn.ReLU)]
    if not all(isinstance(layer, nn.Linear) for layer in layers) or len(layers) * 2 - 1 != len(
        network.mlp
    ):
        raise ValueError(f"policy_forward needs a Linear/ReLU MLP, got {network.mlp}")
    weights = [(layer.weight, layer.bias) for layer in layers]
    log_std_range = (network.head.log_std_min, network.head.log_std_max)

    def forward(observation: Tensor) -> tuple[Tensor, Tensor]:
        hidden = observation
        for weight, bias in weights[:-1]:
            hidden = F.relu(F.linear(hidden, weight, bias))
        loc, log_std = F.linear(hidden, *weights[-1]).chunk(2, dim=-1)
        return loc, log_std.clamp(*log_std_range).exp()

    return forward


def policy_network(actor: ProbabilisticActor) -> PolicyNetwork:
    """The network inside a make_actor actor, with the actor's own parameters."""
    return _only(actor, PolicyNetwork)


def policy_distribution(actor: ProbabilisticActor) -> ProbabilisticTensorDictModule:
    """The part of a make_actor actor that turns (loc, scale) into a distribution."""
    return _only(actor, ProbabilisticTensorDictModule)


def _only(module: nn.Module, kind: type[nn.Module]) -> nn.Module:
    (found,) = (part for part in module.modules() if isinstance(part, kind))
    return found


def linear_layers(network: nn.Module, params: TensorDictBase) -> Layers:
    """The (weight, bias) of each linear layer of `network`, input layer first, taken from
    `params`: a loss module's copy of the network's parameters (stacked for twin Q)."""
    return [
        (params[(*name.split("."), "weight")], params[(*name.split("."), "bias")])
        for name, layer in network.named_modules()
        if isinstance(layer, nn.Linear)
    ]


def mlp(layers: Layers, inputs: Tensor) -> Tensor:
    """A ReLU MLP on its layers, as torchrl.modules.MLP computes it."""
    hidden = inputs
    for weight, bias in layers[:-1]:
        hidden = torch.relu(torch.addmm(bias, hidden, weight.t()))
    weight, bias = layers[-1]
    return torch.addmm(bias, hidden, weight.t())


def twin_mlp(layers: Layers, inputs: Tensor) -> Tensor:
    """Both Q networks (parameters stacked on dim 0) on the same inputs: [2, batch].

    The first layer of both is one matrix product; the hidden layers are one batched
    product; the 1-wide output layer is a reduction, not a batched matmul (5x faster on a
    CPU than the vmapped calls of SACLoss).
    """
    (first_weight, first_bias), *hidden_layers, (out_weight, out_bias) = layers
    nets, width = first_weight.shape[:2]
    hidden = torch.addmm(
        first_bias.reshape(-1), inputs, first_weight.reshape(-1, inputs.shape[-1]).t()
    )
    hidden = torch.relu(hidden).view(-1, nets, width).transpose(0, 1)
    for weight, bias in hidden_layers:
        hidden = torch.relu(torch.baddbmm(bias.unsqueeze(1), hidden, weight.transpose(1, 2)))
    return (hidden * out_weight).sum(-1) + out_bias


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

"""SACLoss's losses computed straight on its parameters: the same numbers, less overhead.

On the 2-core CPU at Hopper sizes, TorchRL's SACLoss spends about a third of an update
outside the matrix products (measured with benchmarks/throughput.py and torch.profiler):
vmapped twin-Q calls (a batched matmul that is 5x slower than two plain ones for the
1-wide output layer), TensorDict copies, reshapes and a second policy pass for the V
target. `FusedSACLoss` computes the losses of `PaperSACLoss` (both variants) from the
very parameters that loss module holds, so the optimizer, SoftUpdate/HardUpdate and
snapshots see no difference; tests/test_fused_step.py checks losses and gradients
against the loss module on the same batch.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from tensordict import TensorDict, TensorDictBase
from torch import Tensor
from torch.distributions import Normal
from torch.nn import functional as F  # noqa: N812
from torchrl.modules import TanhNormal

from trl_sac.sac.losses import PaperSACLoss
from trl_sac.sac.networks import (
    linear_layers,
    mlp,
    policy_distribution,
    policy_network,
    twin_mlp,
)


class FusedSACLoss:
    """Callable like the loss module on a sampled batch; returns the same loss terms."""

    def __init__(self, loss: PaperSACLoss) -> None:
        self.loss = loss
        self.value_based = loss.value_network_params is not None
        distribution = policy_distribution(loss.actor_network)
        if distribution.distribution_class is not TanhNormal or not _unit_bounds(
            distribution.distribution_kwargs
        ):
            raise ValueError("FusedSACLoss needs a TanhNormal policy with actions in [-1, 1]")
        head = policy_network(loss.actor_network).head
        self.log_std_range = (head.log_std_min, head.log_std_max)
        self.gamma = float(loss.value_estimator.gamma)
        self.actor = linear_layers(loss.actor_network, loss.actor_network_params)
        self.qvalues = linear_layers(loss.qvalue_network, loss.qvalue_network_params)
        if self.value_based:
            self.value = linear_layers(loss.value_network, loss.value_network_params)
            self.target_value = linear_layers(loss.value_network, loss.target_value_network_params)
        else:
            self.target_qvalues = linear_layers(
                loss.qvalue_network, loss.target_qvalue_network_params
            )

    def policy(self, observation: Tensor) -> tuple[Tensor, Tensor]:
        """A reparameterised action of the tanh-Gaussian policy and its log-probability.

        The formulas of TorchRL's TanhNormal (tanh of a Gaussian draw; log-probability of
        the draw minus log|d tanh|), without building the distribution objects.
        """
        loc, log_std = mlp(self.actor, observation).chunk(2, dim=-1)
        log_std = log_std.clamp(*self.log_std_range)
        gaussian = Normal(loc, log_std.exp(), validate_args=False)
        pre_tanh = gaussian.rsample()
        log_det = 2 * (math.log(2) - pre_tanh - F.softplus(-2 * pre_tanh))
        log_prob = (gaussian.log_prob(pre_tanh) - log_det).sum(-1)
        return torch.tanh(pre_tanh), log_prob

    def __call__(self, batch: TensorDictBase) -> TensorDictBase:
        loss = self.loss
        observation, action = batch["observation"], batch["action"]
        reward = batch["next", "reward"].squeeze(-1)
        not_terminated = (~batch["next", "terminated"]).squeeze(-1).to(reward.dtype)
        next_observation = batch["next", "observation"]
        if loss.min_log_alpha is not None or loss.max_log_alpha is not None:
            loss.log_alpha.data.clamp_(loss.min_log_alpha, loss.max_log_alpha)
        log_alpha = loss.log_alpha
        alpha = log_alpha.detach().exp()

        with torch.no_grad():
            if self.value_based:
                next_value = mlp(self.target_value, next_observation).squeeze(-1)
            else:
                next_action, next_log_prob = self.policy(next_observation)
                next_q = twin_mlp(
                    self.target_qvalues, torch.cat([next_observation, next_action], -1)
                )
                next_value = next_q.min(0).values - alpha * next_log_prob
            target = reward + self.gamma * not_terminated * next_value

        predicted = twin_mlp(self.qvalues, torch.cat([observation, action], -1))
        loss_qvalue = (predicted - target).pow(2).mean(-1).sum()

        new_action, log_prob = self.policy(observation)
        # The critics judge the new action without learning from it: detached weights.
        frozen = [(weight.detach(), bias.detach()) for weight, bias in self.qvalues]
        min_q = twin_mlp(frozen, torch.cat([observation, new_action], -1)).min(0).values
        loss_actor = (alpha * log_prob - min_q).mean()
        out = {"loss_actor": loss_actor, "loss_qvalue": loss_qvalue}
        if self.value_based:
            value_target = (min_q - alpha * log_prob).detach()
            predicted_value = mlp(self.value, observation).squeeze(-1)
            out["loss_value"] = (predicted_value - value_target).pow(2).mean()
        alpha_loss = -(log_alpha * (log_prob.detach() + loss.target_entropy)).mean()
        out["loss_alpha"] = alpha_loss if not loss.fixed_alpha else alpha_loss.detach()
        out["alpha"] = alpha
        out["entropy"] = -log_prob.detach().mean()
        return TensorDict(out, batch_size=[])


def _unit_bounds(kwargs: dict[str, Any]) -> bool:
    low, high = kwargs.get("low", -1.0), kwargs.get("high", 1.0)
    return bool((torch.as_tensor(low) == -1).all() and (torch.as_tensor(high) == 1).all())

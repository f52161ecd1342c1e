"""SACLoss configured for either paper: v1 (value network) or v2 (twin target Q)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from omegaconf import DictConfig
from tensordict import TensorDictBase
from torchrl.modules import ProbabilisticActor, ValueOperator
from torchrl.objectives import SACLoss, ValueEstimators
from torchrl.objectives.utils import distance_loss


class PaperSACLoss(SACLoss):
    """TorchRL's SACLoss with the v1 Q loss of arXiv 1801.01290.

    TorchRL trains each Q network of v1 on its own half of the minibatch; the paper
    trains both on the same full minibatch against r + gamma (1 - terminated) V_target(s').
    The rest of SACLoss already matches the paper once it is built with
    `delay_qvalue=False` (the V target then uses the current Q networks) and
    `loss_function="l2"` (see `make_loss`).
    """

    def qvalue_v1_loss(
        self, tensordict: TensorDictBase
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        weights = self._maybe_get_priority_weight(tensordict)
        with torch.no_grad():
            next_td = tensordict.get("next").select(*self.value_network.in_keys).copy()
            with self.target_value_network_params.to_module(self.value_network):
                self.value_network(next_td)
            target = self.value_estimator.value_estimate(
                tensordict, next_value=next_td.get(self.tensor_keys.value)
            ).squeeze(-1)
        predicted = (
            self._vmap_qnetworkN0(
                tensordict.select(*self.qvalue_network.in_keys, strict=False),
                self.qvalue_network_params,
            )
            .get(self.tensor_keys.state_action_value)
            .squeeze(-1)
        )
        loss = distance_loss(
            predicted, target.expand_as(predicted), loss_function=self.loss_function
        ).sum(0)
        loss = self._reduce_loss(loss, tensordict=tensordict, weights=weights)
        td_error = (predicted - target).abs().detach().max(0)[0]
        return loss, {"td_error": td_error}


def make_loss(
    loss_cfg: DictConfig,
    actor: ProbabilisticActor,
    qvalues: Sequence[ValueOperator],
    value: ValueOperator | None,
) -> PaperSACLoss:
    """The SAC loss of `loss_cfg.name`; v1 when a value network is given, v2 otherwise."""
    loss = PaperSACLoss(
        actor_network=actor,
        qvalue_network=list(qvalues),
        value_network=value,
        num_qvalue_nets=len(qvalues),
        loss_function=loss_cfg.loss_function,
        alpha_init=loss_cfg.alpha_init,
        fixed_alpha=loss_cfg.fixed_alpha,
        target_entropy=loss_cfg.target_entropy,
        # v1 has no target Q: its V target uses the current Q networks.
        # v2 bootstraps from target Q networks.
        delay_qvalue=value is None,
        delay_value=True,
        delay_actor=False,
    )
    loss.make_value_estimator(ValueEstimators.TD0, gamma=loss_cfg.gamma)
    return loss


def trained_loss_keys(loss: SACLoss) -> list[str]:
    """The loss terms with parameters behind them (no alpha loss when alpha is fixed)."""
    keys = ["loss_actor", "loss_qvalue"]
    if loss.value_network_params is not None:
        keys.append("loss_value")
    if not loss.fixed_alpha:
        keys.append("loss_alpha")
    return keys

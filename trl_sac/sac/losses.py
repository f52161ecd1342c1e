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
        """Both Q networks on the full batch: mean over it of the summed squared errors."""
        with torch.no_grad():
            next_state = tensordict.get("next").select(*self.value_network.in_keys).copy()
            next_value = self._value_at(next_state, self.target_value_network_params)
            target = self.value_estimator.value_estimate(tensordict, next_value=next_value).squeeze(
                -1
            )
        state_action = tensordict.select(*self.qvalue_network.in_keys, strict=False)
        predicted = torch.stack(
            [self._q_at(state_action, params) for params in self.qvalue_network_params.unbind(0)]
        )
        loss = distance_loss(
            predicted, target.expand_as(predicted), loss_function=self.loss_function
        ).sum(0)
        td_error = (predicted - target).abs().detach().max(0)[0]
        return loss.mean(), {"td_error": td_error}

    # preserve_module_state=False, as SACLoss itself calls its networks: the given tensors are
    # swapped in as they are. With True a target's tensors would come back registered as
    # trainable parameters, and a target updater built afterwards refuses them.
    def _value_at(self, state: TensorDictBase, params: TensorDictBase) -> torch.Tensor:
        with params.to_module(self.value_network, preserve_module_state=False):
            return self.value_network(state).get(self.tensor_keys.value)

    def _q_at(self, state_action: TensorDictBase, params: TensorDictBase) -> torch.Tensor:
        with params.to_module(self.qvalue_network, preserve_module_state=False):
            out = self.qvalue_network(state_action.copy())
        return out.get(self.tensor_keys.state_action_value).squeeze(-1)


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

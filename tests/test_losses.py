"""Both SAC variants against a hand computation on a tiny batch with fixed weights.

The Gaussian noise is pinned (Normal.rsample returns loc + EPS * scale) so the hand
computation sees the same actions as the loss, whatever order TorchRL draws them in.
"""

from __future__ import annotations

import copy
import math

import pytest
import torch

from trl_sac.sac.agent import make_gradient_step, make_optimizer
from trl_sac.sac.fused_step import FusedSACLoss
from trl_sac.sac.losses import make_loss, trained_loss_keys
from trl_sac.sac.networks import policy_network

from conftest import compose_config
from helpers.tiny_sac import (
    ACT,
    BATCH,
    EPS,
    GAMMA,
    make_batch,
    make_networks,
    perturb_,
    pin_normal_noise,
)


@pytest.fixture(autouse=True)
def pinned_noise(monkeypatch):
    pin_normal_noise(monkeypatch)


def perturbed_copy(module):
    clone = copy.deepcopy(module)
    for parameter in clone.parameters():
        parameter.data.mul_(1.1).add_(0.01)
    return clone


def policy_sample(actor, obs):
    """a = tanh(loc + EPS * std) and its log-probability, written out."""
    loc, std = policy_network(actor)(obs)
    pre_tanh = loc + EPS * std
    action = torch.tanh(pre_tanh)
    gaussian = torch.distributions.Normal(loc, std).log_prob(pre_tanh).sum(-1)
    log_prob = gaussian - torch.log(1 - action.pow(2)).sum(-1)
    return action, log_prob


def q(module, obs, action):
    return module.module(obs, action).squeeze(-1)


def v(module, obs):
    return module.module(obs).squeeze(-1)


def test_twinq_losses_match_the_2018_follow_up_paper():
    actor, (q1, q2), _ = make_networks()
    alpha = 0.5
    loss = make_loss(
        compose_config("hopper", ["loss=twinq", f"loss.alpha_init={alpha}"]).loss,
        actor,
        [q1, q2],
        None,
    )
    perturb_(loss.target_qvalue_network_params)
    target_q1, target_q2 = perturbed_copy(q1), perturbed_copy(q2)
    batch = make_batch()

    out = loss(batch.clone())

    obs, action, nxt = batch["observation"], batch["action"], batch["next"]
    reward, not_terminated = nxt["reward"].squeeze(-1), (~nxt["terminated"]).squeeze(-1).float()
    with torch.no_grad():
        next_action, next_log_prob = policy_sample(actor, nxt["observation"])
        min_target_q = torch.min(
            q(target_q1, nxt["observation"], next_action),
            q(target_q2, nxt["observation"], next_action),
        )
        target = reward + GAMMA * not_terminated * (min_target_q - alpha * next_log_prob)
        q_loss = sum(((q(net, obs, action) - target) ** 2).mean() for net in (q1, q2))
        new_action, log_prob = policy_sample(actor, obs)
        min_q = torch.min(q(q1, obs, new_action), q(q2, obs, new_action))
        actor_loss = (alpha * log_prob - min_q).mean()
        alpha_loss = (-math.log(alpha) * (log_prob - ACT)).mean()

    assert out["loss_qvalue"].shape == out["loss_actor"].shape == torch.Size([])
    assert out["loss_qvalue"].item() == pytest.approx(q_loss.item(), rel=1e-4)
    assert out["loss_actor"].item() == pytest.approx(actor_loss.item(), rel=1e-4)
    assert out["loss_alpha"].item() == pytest.approx(alpha_loss.item(), rel=1e-4)
    assert out["alpha"].item() == pytest.approx(alpha)
    assert loss.target_entropy.item() == -ACT
    assert trained_loss_keys(loss) == ["loss_actor", "loss_qvalue", "loss_alpha"]


def test_vnet_losses_match_the_2018_paper():
    actor, (q1, q2), value = make_networks()
    loss = make_loss(compose_config("hopper", ["loss=vnet"]).loss, actor, [q1, q2], value)
    # Move the current Q networks away from their initial weights: a hidden target-Q
    # copy (TorchRL's default for v1) would keep the old ones and miss the hand value.
    perturb_(loss.qvalue_network_params)
    perturb_(loss.target_value_network_params)
    q1, q2, target_v = perturbed_copy(q1), perturbed_copy(q2), perturbed_copy(value)
    batch = make_batch()

    out = loss(batch.clone())

    obs, action, nxt = batch["observation"], batch["action"], batch["next"]
    reward, not_terminated = nxt["reward"].squeeze(-1), (~nxt["terminated"]).squeeze(-1).float()
    with torch.no_grad():
        target = reward + GAMMA * not_terminated * v(target_v, nxt["observation"])
        # Both Q networks on the same full minibatch.
        q_loss = sum(((q(net, obs, action) - target) ** 2).mean() for net in (q1, q2))
        new_action, log_prob = policy_sample(actor, obs)
        min_q = torch.min(q(q1, obs, new_action), q(q2, obs, new_action))
        value_target = min_q - 1.0 * log_prob
        value_loss = ((v(value, obs) - value_target) ** 2).mean()
        actor_loss = (1.0 * log_prob - min_q).mean()

    assert out["loss_qvalue"].item() == pytest.approx(q_loss.item(), rel=1e-4)
    assert out["loss_value"].item() == pytest.approx(value_loss.item(), rel=1e-4)
    assert out["loss_actor"].item() == pytest.approx(actor_loss.item(), rel=1e-4)
    assert out["alpha"].item() == 1.0
    assert not any(p is loss.log_alpha for p in loss.parameters())
    held = {name for name, _ in loss.named_children()}
    assert "target_value_network_params" in held
    assert "target_qvalue_network_params" not in held
    assert trained_loss_keys(loss) == ["loss_actor", "loss_qvalue", "loss_value"]


@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_truncation_bootstraps_and_termination_does_not(variant):
    actor, qvalues, value = make_networks()
    loss = make_loss(
        compose_config("hopper", [f"loss={variant}"]).loss,
        actor,
        qvalues,
        value if variant == "vnet" else None,
    )
    none = torch.zeros(BATCH, 1, dtype=torch.bool)
    baseline = loss(make_batch(terminated=none, truncated=none))["loss_qvalue"]
    truncated_everywhere = loss(make_batch(terminated=none, truncated=~none))["loss_qvalue"]
    terminated_everywhere = loss(make_batch(terminated=~none, truncated=none))["loss_qvalue"]
    assert truncated_everywhere.item() == pytest.approx(baseline.item(), rel=1e-6)
    assert terminated_everywhere.item() != pytest.approx(baseline.item(), rel=1e-3)


# Which parameter group each loss term may send gradient to.
GRADIENT_ROUTES = {
    "loss_qvalue": "qvalue_network_params",
    "loss_value": "value_network_params",
    "loss_actor": "actor_network_params",
    "loss_alpha": "log_alpha",
}


@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_each_loss_term_reaches_only_its_own_network(variant):
    actor, qvalues, value = make_networks()
    cfg = compose_config("hopper", [f"loss={variant}"])
    loss = make_loss(cfg.loss, actor, qvalues, value if variant == "vnet" else None)
    groups = {}
    for name, parameter in loss.named_parameters():
        groups.setdefault(name.split(".")[0], []).append(parameter)
    out = loss(make_batch())
    for key in trained_loss_keys(loss):
        for group, params in groups.items():
            grads = torch.autograd.grad(out[key], params, retain_graph=True, allow_unused=True)
            reached = any(g is not None and g.abs().sum() > 0 for g in grads)
            assert reached is (group == GRADIENT_ROUTES[key]), f"{key} -> {group}: {reached}"


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_gradient_step_trains_online_networks_only(variant, fused):
    actor, qvalues, value = make_networks()
    cfg = compose_config("hopper", [f"loss={variant}"])
    loss = make_loss(cfg.loss, actor, qvalues, value if variant == "vnet" else None)
    optimizer = make_optimizer(cfg.optim, loss)
    step = make_gradient_step(
        FusedSACLoss(loss) if fused else loss, trained_loss_keys(loss), optimizer
    )
    online = {name: p.detach().clone() for name, p in loss.named_parameters()}
    targets = {name: b.clone() for name, b in loss.named_buffers() if "target_" in name}
    assert targets, "the loss should hold target parameters"

    metrics = step(make_batch())

    assert all(not value.requires_grad for value in metrics.values())
    for name, parameter in loss.named_parameters():
        assert not torch.equal(parameter, online[name]), f"{name} did not move"
    for name, buffer in loss.named_buffers():
        if name in targets:
            assert torch.equal(buffer, targets[name]), f"target {name} moved"
    # The collector's policy is the same module the optimizer trains.
    actor_weight = policy_network(actor).mlp[0].weight
    assert any(actor_weight is p for p in loss.parameters())

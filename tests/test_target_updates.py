"""Target updates: a hard copy exactly every `interval` gradient steps, soft moves by tau."""

from __future__ import annotations

import pytest
import torch

from trl_sac.sac.agent import make_gradient_step, make_optimizer
from trl_sac.sac.losses import make_loss, trained_loss_keys
from trl_sac.sac.target_updates import make_target_updater

from conftest import compose_config
from helpers.tiny_sac import make_batch, make_networks

# v2 keeps target Q networks, v1 a target V network.
TARGETS = {"twinq": "qvalue_network_params", "vnet": "value_network_params"}


def make_loss_and_updater(variant: str, target_update: str, *overrides: str):
    cfg = compose_config(
        "hopper", [f"loss={variant}", f"target_update={target_update}", *overrides]
    )
    actor, qvalues, value = make_networks()
    loss = make_loss(cfg.loss, actor, qvalues, value if variant == "vnet" else None)
    online = getattr(loss, TARGETS[variant])
    target = getattr(loss, "target_" + TARGETS[variant])
    return loss, make_target_updater(cfg.target_update, loss), online, target


def flat(params) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1) for t in params.values(True, True)])


@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_hard_update_copies_exactly_at_the_interval(variant):
    interval = 5
    _, updater, online, target = make_loss_and_updater(
        variant, "hard", f"target_update.interval={interval}"
    )
    assert torch.equal(flat(target), flat(online)), "targets start as copies"
    last_copy = flat(target)
    for step in range(1, 3 * interval + 1):
        for tensor in online.values(True, True):
            tensor.data.add_(1.0)  # stand-in for a gradient step
        updater.step()
        if step % interval == 0:
            assert torch.equal(flat(target), flat(online)), f"no copy at step {step}"
            last_copy = flat(target)
        else:
            assert torch.equal(flat(target), last_copy), f"copied early at step {step}"
            assert not torch.equal(flat(target), flat(online))


def test_hard_update_paper_interval_is_1000():
    _, updater, online, target = make_loss_and_updater("twinq", "hard")
    before = flat(target)
    for step in range(1, 1001):
        for tensor in online.values(True, True):
            tensor.data.add_(0.001)
        updater.step()
        if step == 999:
            assert torch.equal(flat(target), before)
    assert torch.equal(flat(target), flat(online))


@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_soft_update_moves_each_target_parameter_by_tau(variant):
    _, updater, online, target = make_loss_and_updater(variant, "soft")
    for tensor in online.values(True, True):
        tensor.data.add_(torch.randn_like(tensor))
    old_target, new_online = flat(target), flat(online)
    updater.step()
    expected = old_target + 0.005 * (new_online - old_target)
    assert torch.allclose(flat(target), expected, atol=1e-7)


@pytest.mark.parametrize("target_update", ["soft", "hard"])
def test_a_target_updater_can_be_built_after_a_v1_update_through_sacloss(target_update):
    loss, _, _, target = make_loss_and_updater("vnet", target_update)
    cfg = compose_config("hopper", ["loss=vnet", f"target_update={target_update}"])
    optimizer = make_optimizer(cfg.optim, loss)
    make_gradient_step(loss, trained_loss_keys(loss), optimizer)(make_batch())
    # The target V is still a copy that no gradient reaches.
    assert not any(tensor.requires_grad for tensor in target.values(True, True))
    make_target_updater(cfg.target_update, loss)


@pytest.mark.parametrize("target_update", ["soft", "hard"])
def test_the_running_loop_steps_the_targets_once_per_gradient_step(
    tmp_path, monkeypatch, target_update
):
    """Through train(): the updater's calls equal the gradient steps, and under hard updates
    the targets equal the online weights exactly after every interval-th step, not before."""
    from torchrl.objectives import TargetNetUpdater

    from trl_sac import train

    calls: list[bool] = []
    step = TargetNetUpdater.step

    def counted(self):
        step(self)
        pairs = [
            (param, self._targets.get(f"target_{key}")) for key, param in self._sources.items()
        ]
        calls.append(all(bool((source == target).all()) for source, target in pairs))

    monkeypatch.setattr(TargetNetUpdater, "step", counted)
    overrides = [f"target_update={target_update}", "collector.total_frames=200"]
    if target_update == "hard":
        overrides += ["target_update.interval=5", "optim.utd_ratio=2"]
    cfg = compose_config(
        "hopper",
        [
            "device=cpu",
            "progress=false",
            "collector.init_random_frames=100",
            "optim.batch_size=16",
            "network.hidden_sizes=[16,16]",
            "eval.every_frames=1000",
            "eval.episodes=1",
            f"run_dir={tmp_path}",
            *overrides,
        ],
    )
    train(cfg)
    updates = int(torch.load(tmp_path / "weights.pt", weights_only=True)["updates"])
    assert updates == (200 - 100) * (2 if target_update == "hard" else 1)
    assert len(calls) == updates
    if target_update == "hard":
        assert [i + 1 for i, same in enumerate(calls) if same] == list(range(5, updates + 1, 5))
    else:
        assert not any(calls)  # Polyak averaging never lands on the online weights

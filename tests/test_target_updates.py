"""Target updates: a hard copy exactly every `interval` gradient steps, soft moves by tau."""

from __future__ import annotations

import copy

import pytest
import torch

from trl_sac.sac.agent import make_gradient_step, make_optimizer
from trl_sac.sac.losses import make_loss, trained_loss_keys
from trl_sac.sac.target_updates import make_target_updater

from conftest import compose_config
from helpers.tiny_sac import make_batch, make_networks

# v2 keeps target Q networks, v1 a target V network.
TARGETS = {"twinq": "qvalue_network_params", "vnet": "value_network_params"}


def make_loss_and_updater(variant: str, target_update: str, *overrides: str, fused: bool = True):
    cfg = compose_config(
        "hopper", [f"loss={variant}", f"target_update={target_update}", *overrides]
    )
    actor, qvalues, value = make_networks()
    loss = make_loss(cfg.loss, actor, qvalues, value if variant == "vnet" else None)
    online = getattr(loss, TARGETS[variant])
    target = getattr(loss, "target_" + TARGETS[variant])
    updater = make_target_updater(cfg.target_update, loss, fused=fused)
    return loss, updater, online, target


def flat(params) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1) for t in params.values(True, True)])


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "torchrl"])
@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_hard_update_copies_exactly_at_the_interval(variant, fused):
    interval = 5
    _, updater, online, target = make_loss_and_updater(
        variant, "hard", f"target_update.interval={interval}", fused=fused
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


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "torchrl"])
@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_soft_update_moves_each_target_parameter_by_tau(variant, fused):
    _, updater, online, target = make_loss_and_updater(variant, "soft", fused=fused)
    for tensor in online.values(True, True):
        tensor.data.add_(torch.randn_like(tensor))
    old_target, new_online = flat(target), flat(online)
    updater.step()
    expected = old_target + 0.005 * (new_online - old_target)
    assert torch.allclose(flat(target), expected, atol=1e-7)


@pytest.mark.parametrize("target_update", ["soft", "hard"])
@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_the_fused_updaters_step_exactly_as_torchrls(variant, target_update):
    """The same targets bit for bit, and the same counter and state dict, as TorchRL's
    SoftUpdate / HardUpdate over many steps with the online weights moving."""
    extra = ["target_update.interval=3"] if target_update == "hard" else []
    torch.manual_seed(0)
    loss, fused, online, target = make_loss_and_updater(variant, target_update, *extra)
    reference_loss = copy.deepcopy(loss)
    reference = make_target_updater(
        compose_config(
            "hopper", [f"loss={variant}", f"target_update={target_update}", *extra]
        ).target_update,
        reference_loss,
        fused=False,
    )
    assert isinstance(fused, type(reference)) and type(fused) is not type(reference)
    reference_online = getattr(reference_loss, TARGETS[variant])
    reference_target = getattr(reference_loss, "target_" + TARGETS[variant])
    for _ in range(10):
        for mine, theirs in zip(
            online.values(True, True), reference_online.values(True, True), strict=True
        ):
            step = torch.randn_like(mine)
            mine.data.add_(step)
            theirs.data.add_(step)
        fused.step()
        reference.step()
        assert torch.equal(flat(target), flat(reference_target))
        assert fused.state_dict() == reference.state_dict()


@pytest.mark.parametrize("target_update", ["soft", "hard"])
def test_a_target_updater_can_be_built_after_a_v1_update_through_sacloss(target_update):
    loss, _, _, target = make_loss_and_updater("vnet", target_update)
    cfg = compose_config("hopper", ["loss=vnet", f"target_update={target_update}"])
    optimizer = make_optimizer(cfg.optim, loss)
    make_gradient_step(loss, trained_loss_keys(loss), optimizer)(make_batch())
    # The target V is still a copy that no gradient reaches.
    assert not any(tensor.requires_grad for tensor in target.values(True, True))
    make_target_updater(cfg.target_update, loss)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "torchrl"])
@pytest.mark.parametrize("target_update", ["soft", "hard"])
def test_the_running_loop_steps_the_targets_once_per_gradient_step(
    tmp_path, monkeypatch, target_update, fused
):
    """Through train(): the updater's calls equal the gradient steps, and under hard updates
    the targets equal the online weights exactly after every interval-th step, not before."""
    from torchrl.objectives import HardUpdate, SoftUpdate

    from trl_sac import train
    from trl_sac.sac.target_updates import PeriodicCopy, PolyakUpdate

    calls: list[bool] = []
    kinds = {("soft", True): PolyakUpdate, ("soft", False): SoftUpdate}
    kinds |= {("hard", True): PeriodicCopy, ("hard", False): HardUpdate}
    kind = kinds[target_update, fused]
    step = kind.step

    def counted(self):
        assert type(self) is kind
        step(self)
        pairs = [
            (param, self._targets.get(f"target_{key}")) for key, param in self._sources.items()
        ]
        calls.append(all(bool((source == target).all()) for source, target in pairs))

    monkeypatch.setattr(kind, "step", counted)
    overrides = [f"target_update={target_update}", "collector.total_frames=200"]
    overrides.append(f"optim.fused_loss={fused}")
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

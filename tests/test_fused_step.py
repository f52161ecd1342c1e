"""The fused gradient step computes the loss module's losses and gradients exactly."""

from __future__ import annotations

import pytest
import torch

from trl_sac.sac.agent import make_gradient_step, make_optimizer
from trl_sac.sac.fused_step import FusedSACLoss
from trl_sac.sac.losses import make_loss, trained_loss_keys

from conftest import compose_config
from helpers.tiny_sac import make_batch, make_networks, perturb_, pin_normal_noise


@pytest.fixture(autouse=True)
def pinned_noise(monkeypatch):
    pin_normal_noise(monkeypatch)


def build(variant: str):
    actor, qvalues, value = make_networks()
    cfg = compose_config("hopper", [f"loss={variant}", "loss.alpha_init=0.5"])
    loss = make_loss(cfg.loss, actor, qvalues, value if variant == "vnet" else None)
    # Targets and critics away from each other, so a mixed-up parameter set shows.
    perturb_(loss.qvalue_network_params)
    if variant == "vnet":
        perturb_(loss.target_value_network_params)
    else:
        perturb_(loss.target_qvalue_network_params)
    return loss


@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_fused_losses_equal_the_loss_module(variant):
    loss = build(variant)
    batch = make_batch()
    expected = loss(batch.clone())
    fused = FusedSACLoss(loss)(batch.clone())
    assert set(fused.keys()) == set(expected.keys())
    for key in expected.keys():
        assert torch.allclose(fused[key], expected[key], rtol=1e-5, atol=1e-6), key


@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_fused_gradients_equal_the_loss_module(variant):
    loss = build(variant)
    params = [p for p in loss.parameters() if p.requires_grad]
    for key in trained_loss_keys(loss):
        expected = torch.autograd.grad(loss(make_batch())[key], params, allow_unused=True)
        fused = torch.autograd.grad(
            FusedSACLoss(loss)(make_batch())[key], params, allow_unused=True
        )
        for reference, ours in zip(expected, fused, strict=True):
            if reference is None:
                assert ours is None or not ours.any(), key
            else:
                assert torch.allclose(ours, reference, rtol=1e-4, atol=1e-6), key


@pytest.mark.e2e
@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_compiled_update_equals_the_eager_one(variant):
    eager_loss, compiled_loss = build(variant), build(variant)
    steps = []
    for loss, mode in ((eager_loss, None), (compiled_loss, "default")):
        optimizer = make_optimizer(compose_config("hopper").optim, loss)
        step = make_gradient_step(
            FusedSACLoss(loss), trained_loss_keys(loss), optimizer, compile_mode=mode
        )
        steps.append([step(make_batch()) for _ in range(2)])
    for eager, compiled in zip(*steps, strict=True):
        for key in eager.keys():
            assert torch.allclose(compiled[key], eager[key], rtol=1e-5, atol=1e-6), key
    for (name, eager), compiled in zip(
        eager_loss.named_parameters(), compiled_loss.parameters(), strict=True
    ):
        assert torch.allclose(compiled, eager, rtol=1e-5, atol=1e-6), name


@pytest.mark.parametrize(
    "variant,target_update", [("twinq", "soft"), ("twinq", "hard"), ("vnet", "hard")]
)
def test_fused_training_follows_the_loss_module_over_updates(variant, target_update):
    """Several updates with target updates in between: the fused step must keep reading
    the parameters the optimizer and the target updater change in place."""
    from trl_sac.sac.target_updates import make_target_updater

    overrides = [f"target_update={target_update}"]
    if target_update == "hard":
        overrides.append("target_update.interval=2")
    cfg = compose_config("hopper", overrides)
    trained = []
    for fused in (False, True):
        loss = build(variant)
        optimizer = make_optimizer(cfg.optim, loss)
        updater = make_target_updater(cfg.target_update, loss)
        step = make_gradient_step(
            FusedSACLoss(loss) if fused else loss, trained_loss_keys(loss), optimizer
        )
        for _ in range(5):
            step(make_batch())
            updater.step()
        trained.append(loss.state_dict())
    reference, fused = trained
    for key, value in reference.items():
        assert torch.allclose(fused[key], value, rtol=1e-4, atol=1e-5), key

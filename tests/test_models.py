"""The policy and critic networks: initialisation, log-std clamp, deterministic action, shapes."""

from __future__ import annotations

import math

import torch
from tensordict import TensorDict
from torch import nn
from torchrl.data import Bounded
from torchrl.envs.utils import ExplorationType, set_exploration_type

from trl_sac.sac.networks import GaussianHead, make_actor, make_qvalue, make_value, policy_network

OBS, ACT, BATCH = 5, 3, 7


def make_small_actor():
    spec = Bounded(low=-torch.ones(ACT), high=torch.ones(ACT), shape=(ACT,))
    return make_actor(OBS, spec, hidden_sizes=[16, 16], log_std_min=-20, log_std_max=2)


def test_log_std_is_clamped_then_exponentiated():
    head = GaussianHead(-20.0, 2.0)
    loc, scale = head(torch.tensor([[0.5, -1.0, -30.0, 0.3, 5.0, -0.7]]))
    assert torch.equal(loc, torch.tensor([[0.5, -1.0, -30.0]]))
    assert torch.allclose(scale, torch.tensor([[math.exp(0.3), math.exp(2.0), math.exp(-0.7)]]))
    _, tiny = head(torch.tensor([[0.0, -50.0]]))
    assert torch.allclose(tiny, torch.tensor([[math.exp(-20.0)]]))


def test_every_linear_layer_is_xavier_uniform_with_zero_bias():
    torch.manual_seed(0)
    networks = [make_small_actor(), make_qvalue(OBS, ACT, hidden_sizes=[64, 64])]
    networks.append(make_value(OBS, hidden_sizes=[64, 64]))
    layers = [m for net in networks for m in net.modules() if isinstance(m, nn.Linear)]
    assert len(layers) == 9
    for layer in layers:
        fan_out, fan_in = layer.weight.shape
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        assert torch.count_nonzero(layer.bias) == 0
        assert layer.weight.abs().max() <= bound
        # A uniform on [-b, b] has std b / sqrt(3); PyTorch's default init is much narrower.
        if layer.weight.numel() >= 1000:
            assert abs(layer.weight.std().item() - bound / math.sqrt(3)) < 0.1 * bound


def test_deterministic_action_is_tanh_of_the_mean():
    torch.manual_seed(0)
    actor = make_small_actor()
    obs = TensorDict({"observation": torch.randn(BATCH, OBS)}, [BATCH])
    with torch.no_grad():
        loc, _ = policy_network(actor)(obs["observation"])
        with set_exploration_type(ExplorationType.DETERMINISTIC):
            first = actor(obs.clone())["action"]
            second = actor(obs.clone())["action"]
        with set_exploration_type(ExplorationType.RANDOM):
            sampled = actor(obs.clone())["action"]
    assert first.shape == (BATCH, ACT)
    assert torch.allclose(first, torch.tanh(loc), atol=1e-6)
    assert torch.equal(first, second)
    assert not torch.allclose(sampled, first)
    assert sampled.abs().max() <= 1


def test_critics_write_one_value_per_sample():
    qvalue = make_qvalue(OBS, ACT, hidden_sizes=[8])
    value = make_value(OBS, hidden_sizes=[8])
    td = TensorDict(
        {"observation": torch.randn(BATCH, OBS), "action": torch.rand(BATCH, ACT)}, [BATCH]
    )
    assert qvalue(td.clone())["state_action_value"].shape == (BATCH, 1)
    assert value(td.clone())["state_value"].shape == (BATCH, 1)

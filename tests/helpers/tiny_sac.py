"""A tiny batch and tiny networks with fixed weights, for hand computations of the losses."""

from __future__ import annotations

import torch
from tensordict import TensorDict
from torchrl.data import Bounded

from trl_sac.sac.networks import make_actor, make_qvalue, make_value

OBS, ACT, BATCH, GAMMA = 3, 2, 6, 0.99
HIDDEN = [8, 8]
EPS = torch.tensor([[0.3, -1.2], [0.0, 0.5], [-0.7, 0.9], [1.5, -0.1], [0.2, 0.2], [-1.0, -0.4]])
TERMINATED = torch.tensor([[False], [True], [False], [False], [True], [False]])
# Row 2 is a time-limit truncation: done, but it must still bootstrap.
TRUNCATED = torch.tensor([[False], [False], [True], [False], [False], [False]])


def make_batch(terminated=TERMINATED, truncated=TRUNCATED) -> TensorDict:
    generator = torch.Generator().manual_seed(1)
    return TensorDict(
        {
            "observation": torch.randn(BATCH, OBS, generator=generator),
            "action": torch.rand(BATCH, ACT, generator=generator) * 2 - 1,
            "next": {
                "observation": torch.randn(BATCH, OBS, generator=generator),
                "reward": torch.randn(BATCH, 1, generator=generator),
                "terminated": terminated,
                "truncated": truncated,
                "done": terminated | truncated,
            },
        },
        [BATCH],
    )


def make_networks(seed: int = 0):
    torch.manual_seed(seed)
    spec = Bounded(low=-torch.ones(ACT), high=torch.ones(ACT), shape=(ACT,))
    actor = make_actor(OBS, spec, hidden_sizes=HIDDEN, log_std_min=-20, log_std_max=2)
    qvalues = [make_qvalue(OBS, ACT, hidden_sizes=HIDDEN) for _ in range(2)]
    value = make_value(OBS, hidden_sizes=HIDDEN)
    return actor, qvalues, value


def perturb_(params) -> None:
    for tensor in params.values(True, True):
        tensor.data.mul_(1.1).add_(0.01)


def pin_normal_noise(monkeypatch) -> None:
    """Normal.rsample returns loc + EPS * scale, so a hand computation sees the same actions."""

    def rsample(self, sample_shape=()):
        return self.loc + EPS.expand_as(self.loc) * self.scale

    monkeypatch.setattr(torch.distributions.Normal, "rsample", rsample)

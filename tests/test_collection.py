"""The direct collector collects exactly the transitions TorchRL's Collector collects."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from omegaconf import DictConfig, OmegaConf

from trl_sac.rollout.collection import CollectorIntoBuffer, make_collector
from trl_sac.rollout.direct_collection import DirectCollector
from trl_sac.rollout.envs import make_env, observation_size
from trl_sac.rollout.replay_buffer import make_replay_buffer
from trl_sac.sac.agent import make_agent

from conftest import compose_config

CPU = torch.device("cpu")


def collect(
    cfg: DictConfig, direct: bool, tmp_path: Path, *, reward_scale: float, max_steps: int
) -> tuple[dict, list[float], list[int]]:
    """The buffer's contents and the finished episodes after one run of a collector, its
    actor and env built the same way and its random numbers drawn from the same state."""
    torch.manual_seed(cfg.seed)
    env = make_env(
        cfg.env.id, seed=cfg.seed, reward_scale=reward_scale, max_episode_steps=max_steps
    )
    agent = make_agent(
        cfg, observation_size=observation_size(env), action_spec=env.action_spec, device=CPU
    )
    buffer = make_replay_buffer(
        cfg.replay_buffer, batch_size=8, device=CPU, run_dir=tmp_path / str(direct)
    )
    collector = make_collector(
        OmegaConf.merge(cfg.collector, {"direct": direct}),
        env,
        agent.actor,
        buffer,
        agent.loss.in_keys,
        device=CPU,
    )
    assert isinstance(collector, DirectCollector if direct else CollectorIntoBuffer)
    torch.manual_seed(1234)  # building TorchRL's Collector draws random numbers itself
    returns, lengths, frames = [], [], 0
    for collected in collector:
        frames += collected.frames
        returns += collected.episode_returns
        lengths += collected.episode_lengths
    collector.shutdown()
    # Whole batches, as the Collector takes them: 406 frames for 400 in batches of 7.
    batch = cfg.collector.frames_per_batch
    assert frames == -(-cfg.collector.total_frames // batch) * batch == len(buffer)
    stored = buffer.storage.get(range(len(buffer)))
    return {key: stored.get(key) for key in agent.loss.in_keys}, returns, lengths


@pytest.mark.parametrize(
    ("loss", "reward_scale", "max_steps", "frames_per_batch"),
    [
        ("twinq", 1.0, 1000, 1),  # Hopper falls: terminations
        ("vnet", 5.0, 40, 1),  # time limits: truncations, and the reward scale
        ("twinq", 1.0, 40, 7),  # batches that end mid-episode and a short last batch
    ],
)
def test_direct_collection_equals_torchrls_collector(
    loss: str, reward_scale: float, max_steps: int, frames_per_batch: int, tmp_path: Path
) -> None:
    cfg = compose_config(
        "hopper",
        [
            f"loss={loss}",
            "seed=3",
            "collector.total_frames=400",
            "collector.init_random_frames=60",
            f"collector.frames_per_batch={frames_per_batch}",
            "network.hidden_sizes=[32,32]",
            "replay_buffer.size=1000",
        ],
    )
    stock, stock_returns, stock_lengths = collect(
        cfg, False, tmp_path, reward_scale=reward_scale, max_steps=max_steps
    )
    direct, direct_returns, direct_lengths = collect(
        cfg, True, tmp_path, reward_scale=reward_scale, max_steps=max_steps
    )
    for key, expected in stock.items():
        assert direct[key].dtype == expected.dtype, key
        assert direct[key].shape == expected.shape, key
        assert torch.equal(direct[key], expected), key
    assert direct_returns == stock_returns and direct_lengths == stock_lengths
    # The runs covered what they are meant to: several episodes, ended as intended.
    assert len(stock_lengths) >= 3
    terminated, done = stock[("next", "terminated")], stock[("next", "done")]
    if max_steps == 1000:
        assert terminated.sum() >= 3
    else:
        assert (done & ~terminated).sum() >= 3  # truncated at the time limit
    # The policy's actions (after the random warm-up) are samples, not all equal.
    assert stock["action"][60:].std(0).min() > 0


def test_direct_collection_refuses_an_env_it_does_not_know(tmp_path: Path) -> None:
    from torchrl.envs import GymEnv, StepCounter, TransformedEnv

    cfg = compose_config("hopper", ["network.hidden_sizes=[8]"])
    env = TransformedEnv(GymEnv("Hopper-v5"), StepCounter())
    agent = make_agent(
        cfg, observation_size=observation_size(env), action_spec=env.action_spec, device=CPU
    )
    buffer = make_replay_buffer(cfg.replay_buffer, batch_size=8, device=CPU, run_dir=tmp_path)
    with pytest.raises(ValueError, match="use collector.direct=false"):
        make_collector(cfg.collector, env, agent.actor, buffer, agent.loss.in_keys, device=CPU)

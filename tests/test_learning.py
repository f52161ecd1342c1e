"""Learning, not just running: SAC balances InvertedPendulum (slow; `pytest -m slow`)."""

from __future__ import annotations

import pytest

from trl_sac import train


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["twinq", "vnet"])
def test_sac_learns_to_balance_the_inverted_pendulum(tiny_cfg, variant):
    # A random policy keeps the pole up for about 5-10 steps; 1000 is the maximum.
    cfg = tiny_cfg(
        "train",
        "env.id=InvertedPendulum-v5",
        f"loss={variant}",
        "env.max_episode_steps=1000",
        "collector.total_frames=12000",
        "collector.init_random_frames=1000",
        "optim.batch_size=128",
        "replay_buffer.size=100000",
        "network.hidden_sizes=[64,64]",
        "eval.every_frames=4000",
        "eval.episodes=5",
        "logger.every_frames=1000",
    )
    assert train(cfg) > 500

"""Size on disk, write time and load time of a snapshot with a full replay buffer.

python benchmarks/snapshot_cost.py --env Hopper-v5 --storage tensor memmap --out FILE.json

Builds the learner of a paper-settings run, fills the replay buffer to its capacity
(1e6 transitions by default) with transitions of the env's shapes, takes a few gradient
steps, then writes and reads snapshots exactly as training does.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from hydra import compose, initialize_config_module

from trl_sac.files import write_text_atomically
from trl_sac.rollout.envs import make_env
from trl_sac.runs.snapshots import SnapshotStore
from trl_sac.training.learner import make_learner


def build(storage: str, run_dir: Path, env_id: str, size: int):
    with initialize_config_module("trl_sac.conf", version_base="1.3"):
        cfg = compose(
            "train",
            [
                f"env.id={env_id}",
                f"replay_buffer.storage={storage}",
                f"replay_buffer.size={size}",
                "collector.init_random_frames=0",
            ],
        )
    env = make_env(env_id, seed=0, reward_scale=1.0, max_episode_steps=1000)
    learner = make_learner(cfg, env, run_dir, torch.device("cpu"))
    return env, learner.agent, learner.buffer, learner.state, learner.checkpoint


def fill(env, agent, buffer, size: int) -> None:
    """Fill the buffer with `size` transitions: a real rollout, repeated with fresh noise."""
    chunk = env.rollout(1000, break_when_any_done=False).select(*agent.loss.in_keys)
    for start in range(0, size, len(chunk)):
        noisy = chunk.apply(lambda x: x + torch.randn_like(x) if x.is_floating_point() else x)
        buffer.extend(noisy[: size - start])


def disk_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def measure(storage: str, env_id: str, size: int, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        run_dir = Path(tmp)
        env, agent, buffer, state, checkpoint = build(storage, run_dir, env_id, size)
        fill(env, agent, buffer, size)
        for _ in range(3):
            agent.gradient_step(buffer.sample())
        store = SnapshotStore(run_dir, keep=2)
        writes = []
        for repeat in range(repeats):
            began = time.perf_counter()
            path = store.save(checkpoint, frames=repeat + 1, metadata={"frames": repeat + 1})
            writes.append(time.perf_counter() - began)
        fresh = build(storage, run_dir, env_id, size)
        began = time.perf_counter()
        SnapshotStore(run_dir, keep=2).restore_newest(fresh[-1])
        load_s = time.perf_counter() - began
        assert len(fresh[2]) == len(buffer) == size
        buffer_dir = run_dir / "replay_buffer"
        return {
            "storage": storage,
            "transitions": size,
            "snapshot_mb": disk_bytes(path) / 1e6,
            "memmap_buffer_mb": disk_bytes(buffer_dir) / 1e6 if buffer_dir.exists() else 0.0,
            "write_s_median": sorted(writes)[len(writes) // 2],
            "write_s_all": writes,
            "load_s": load_s,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="Hopper-v5")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--storage", nargs="+", default=["tensor", "memmap"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = [measure(storage, args.env, args.size, args.repeats) for storage in args.storage]
    header = f"{'storage':8} {'snapshot MB':>12} {'buffer files MB':>16} {'write s':>8}"
    header += f" {'load s':>7}"
    print(f"{args.env}, {args.size} transitions")
    print(header)
    for r in results:
        print(
            f"{r['storage']:8} {r['snapshot_mb']:12.1f} {r['memmap_buffer_mb']:16.1f} "
            f"{r['write_s_median']:8.2f} {r['load_s']:7.2f}"
        )
    if args.out:
        write_text_atomically(args.out, json.dumps({"env": args.env, "results": results}, indent=2))


if __name__ == "__main__":
    main()

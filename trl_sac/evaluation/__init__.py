"""Evaluation: deterministic episodes, loading a trained policy, rendering and video, and the
`python -m trl_sac.evaluation RUN_DIR` command."""

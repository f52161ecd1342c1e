"""Rollout: the environment and its transforms, collection into the replay buffer."""

"""Reporting: reads run directories (CSV and YAML files only) into tables and figures.

Nothing here imports torch, torchrl or mujoco, so a report starts in a moment."""

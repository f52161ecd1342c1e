"""Run survival: the run directory, snapshots and their integrity, the lock, stop signals."""

"""Training: settings, the loop (collect, store, update, log, evaluate, snapshot), the entry
point recipes call, and sweeps."""

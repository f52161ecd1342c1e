"""The SAC math: networks, both losses (v1 with a value network, v2 with twin Q), the fused
update step and the target updates, composed into an `Agent`."""

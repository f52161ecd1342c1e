#!/usr/bin/env bash
# Wheels a lent GPU machine lacks (its image has torch, numpy, matplotlib, pandas, tqdm,
# joblib, pytest, tensorboard, ... for Python 3.12; see /work/.library/device/KINDS.md),
# downloaded here into .whl/ (git-ignored) for the device tool to carry.
#   bash benchmarks/gpu/fetch_wheels.sh && du -sh .whl
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .git/info
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
rm -rf .whl && mkdir .whl
platforms=()
for tag in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 manylinux1_x86_64; do
  platforms+=(--platform "$tag")
done
python -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp "${platforms[@]}" -d .whl \
  torchrl==0.14.1 tensordict==0.14.3 pyvers==0.2.3 hoptorch==0.1.4 orjson importlib_metadata \
  gymnasium==1.4.0 farama-notifications mujoco==4.0.0 mujoco-core==4.0.0 mujoco-studio==4.0.0 \
  glfw pyopengl hydra-core==1.3.8 omegaconf==2.3.1 hydra-joblib-launcher==1.2.0 \
  stable-baselines3
# antlr4-python3-runtime (Hydra's parser) is published as source only: build its wheel here.
python -m pip wheel --quiet --no-deps -w .whl 'antlr4-python3-runtime==4.9.3'
ls .whl

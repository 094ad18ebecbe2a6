#!/usr/bin/env bash
# Set up, build and run hemovk's main job on the default device. Until the pipeline engine lands
# this lists the Vulkan devices hemovk can use; see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --build
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)"
./build/hemovk devices

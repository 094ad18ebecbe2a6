#!/usr/bin/env bash
# Set up, build and run hemovk's main job on the default device: the two-stage pipeline (classifier ->
# two Mask R-CNN segmenters on the frames flagged bleeding -> affirmative ensemble -> writers and CAM).
#
#   scripts/demo.sh [FRAMES] [OUTPUT]
#
# FRAMES: a folder, glob or list file (default: the WCEBleedGen challenge test set 1 in ../shared, if
# present). OUTPUT: results folder (default: out/demo). The pipeline is pipelines/two-stage-demo.yaml:
# hemovk's own small models trained from scratch on WCEBleedGen's train split (models/, each with a model
# card giving its measured accuracy) — research and education only, not the paper's checkpoints (convert
# those with tools/convert_checkpoint.py and run pipelines/two-stage.yaml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --build
cmake -S . -B build -DHEMOVK_BUILD_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)"
frames=${1:-../shared/data/wcebleedgen/test/Test Dataset 1}
out=${2:-out/demo}
if [ ! -e "$frames" ]; then
  echo "demo: no frames at '$frames'; pass a folder of capsule frames: scripts/demo.sh FRAMES" >&2
  exit 2
fi
./build/hemovk devices
./build/hemovk run pipelines/two-stage-demo.yaml --input "$frames" --output "$out"
echo "demo: results in $out (results.jsonl, results.csv, overlays/, coco/, cam/, events.json, events.csv, summary.json)"

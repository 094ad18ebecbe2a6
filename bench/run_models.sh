#!/bin/sh
# Whole-model benchmark side by side: hemovk (bench_models, current Vulkan device, f32 and f16) vs
# PyTorch CPU f32 (and ONNX Runtime CPU when bench/ort is installed), same random weights and shapes,
# runs interleaved (see DESIGN.md "Benchmarking fairly"); one table at the end.
#   bench/run_models.sh [--full] [BUILD_DIR] [THREADS...]          (defaults: build, 1 2)
# Default set: EfficientNet-B0 (batch 1), EfficientNet-B7, ConvNeXt-T, InternImage-T.
# --full adds EfficientNet-B0 batch 8, ConvNeXt-B and InternImage-XL (minutes per model on lavapipe).
# Each thread count sets LP_NUM_THREADS (lavapipe), torch.set_num_threads, OMP_NUM_THREADS and ORT's
# intra-op threads alike. ratio = hemovk ms / other ms (> 1: hemovk slower).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
models="effb0 effb7 convnext-t internimage-t"
budget=${BENCH_BUDGET:-15}
if [ "${1:-}" = "--full" ]; then
  models="$models effb0:8 convnext-b internimage-xl"
  shift
fi
build=${1:-$here/../build}
[ $# -gt 0 ] && shift
threads=${*:-1 2}
py=${HEMOVK_PYTHON:-/usr/bin/python3}
bm="$build/bench/bench_models"
[ -x "$bm" ] || { echo "run_models.sh: $bm not built (cmake --build $build --target bench_models)" >&2; exit 3; }
cache="$build/bench-models"
ort=""
if command -v node >/dev/null 2>&1 && [ -d "$here/ort/node_modules/onnxruntime-node" ]; then ort="--ort"; fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" "$here/bench_models_torch.py" prepare --cache "$cache" $models
for t in $threads; do
  OMP_NUM_THREADS=$t "$py" "$here/bench_models_torch.py" run --cache "$cache" --bench "$bm" --threads "$t" \
      --budget "$budget" --results "$results" $ort $models
done
echo
"$py" "$here/bench_models_torch.py" table "$results"

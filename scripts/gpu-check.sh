#!/usr/bin/env bash
# Is hemovk correct on this GPU, and how fast? One command for the day a GPU machine is at hand:
#
#   scripts/gpu-check.sh [--quick] [--build-dir DIR] [--prebuilt] [--device SELECTOR] [--out DIR]
#                        [--tests REGEX] [--models "effb0 ..."] [--no-tests] [--no-bench]
#
# 1. builds hemovk (Release, DIR default build-gpu) unless --prebuilt (a build carried from elsewhere);
# 2. picks the device: SELECTOR (as `hemovk devices` lists them: an index, or part of a name), else the
#    first that is not a CPU implementation; refuses to go on with only lavapipe unless GPU_CHECK_ALLOW_CPU=1
#    (a dry run of this script on a machine without a GPU);
# 3. runs the test suite on that device (HEMOVK_DEVICE), twice for the op tests: once with each kernel
#    family (HEMOVK_KERNELS=cpu, =gpu), so both the register-tile and the shared-memory kernels are
#    checked against their CPU references on real hardware; --quick runs only the ops, models and maskrcnn
#    labels without `slow`; --tests REGEX runs only the tests it matches (ctest -R), each way;
# 4. benchmarks the models (bench_models: hemovk f32/f16 on the device, and f16 again with
#    HEMOVK_FP16_ARITH=0; PyTorch on CUDA when it can, in
#    the same interleaved run as bench/run_models.sh does for the CPU), the RPN proposal ops against the
#    host path (bench_proposals), and the two-stage demo pipeline on frames, with proposals selected on
#    the device and on the host (frames/s, and host<->device transfers per frame from summary.json); --models picks the
#    models (default effb0 effb7 convnext-t internimage-t; --quick: effb0 convnext-t);
# 5. prints one table, and writes everything to OUT (default gpu-check-<date>/): the table (table.md),
#    each step's log, the pipeline's summary.json.
# Exit status: 0 when every test passed, 1 when some failed, 2 when it could not run (no GPU, no build).
# Frames: ../shared/data/wcebleedgen/WCEBleedGen (set DATA) for the pipeline step; without them the step
# is reported as skipped, never as passed.
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0 prebuilt=0 build=build-gpu selector="" out="" tests="" models="" no_tests=0 no_bench=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --prebuilt) prebuilt=1 ;;
    --build-dir) build=$2; shift ;;
    --device) selector=$2; shift ;;
    --out) out=$2; shift ;;
    --tests) tests=$2; shift ;;
    --models) models=$2; shift ;;
    --no-tests) no_tests=1 ;;  # (tools.gpu_check runs the script inside ctest: no nested ctest)
    --no-bench) no_bench=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-gpu-check-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
data=${DATA:-../shared/data/wcebleedgen/WCEBleedGen}
rows=()
row() { rows+=("| $1 | $2 | $3 |"); printf 'gpu-check: %-28s %-8s %s\n' "$1" "$2" "$3"; }

# ---- 1. build ------------------------------------------------------------------------------------
if [ "$prebuilt" -eq 0 ]; then
  echo "gpu-check: building in $build (log: $out/build.log)"
  if cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >"$out/build.log" 2>&1 &&
     cmake --build "$build" -j"$(nproc)" >>"$out/build.log" 2>&1; then
    row build ok "Release, $(grep -c processor /proc/cpuinfo) cores"
  else
    tail -30 "$out/build.log" >&2
    echo "gpu-check: the build failed (see $out/build.log)" >&2
    exit 2
  fi
fi
hemovk=$build/hemovk
[ -x "$hemovk" ] || { echo "gpu-check: no $hemovk (build first, or drop --prebuilt)" >&2; exit 2; }

# ---- 2. the device ---------------------------------------------------------------------------------
"$hemovk" devices >"$out/devices.txt" 2>&1 || { cat "$out/devices.txt" >&2; echo "gpu-check: no Vulkan device" >&2; exit 2; }
if [ -z "$selector" ]; then
  # the first device whose type is not CPU (lavapipe, or hemovk's CPU backend): "* N: name" lines, then "    type  ..."
  selector=$(awk '/^[* ] [0-9]+: /{idx=$2; sub(":", "", idx)} /^ +type /{t=$0; sub(/^ +type +/, "", t); if (t !~ /^CPU/ && idx != "" && !found) {print idx; found=1}}' "$out/devices.txt")
fi
if [ -z "$selector" ]; then
  if [ "${GPU_CHECK_ALLOW_CPU:-0}" = 1 ]; then
    selector=0
    echo "gpu-check: no GPU, only a CPU implementation: a dry run on device 0 (GPU_CHECK_ALLOW_CPU=1)"
  else
    cat "$out/devices.txt" >&2
    echo "gpu-check: no GPU among the Vulkan devices above (only CPU implementations); set GPU_CHECK_ALLOW_CPU=1 for a dry run" >&2
    exit 2
  fi
fi
export HEMOVK_DEVICE=$selector
name=$(HEMOVK_DEVICE=$selector "$hemovk" devices 2>/dev/null | awk -v s="$selector" '/^[* ] [0-9]+: /{i=$2; sub(":", "", i); if (i == s) {sub(/^[* ] [0-9]+: /, ""); print; exit}}')
row device "$selector" "${name:-?}"

# ---- 3. the test suite on the device ----------------------------------------------------------------
failed_tests=0
run_ctest() { # label-args... ; appends a row
  local what=$1; shift
  local log="$out/ctest-$what.log"
  (cd "$build" && ctest --output-on-failure "$@") >"$log" 2>&1
  local summary
  summary=$(grep -E '^[0-9]+% tests passed' "$log" | tail -1)
  local skipped
  skipped=$(grep -c '\*\*\*Skipped\|Not Run' "$log")
  if grep -q '^100% tests passed' "$log"; then
    row "tests: $what" pass "${summary:-?}; skipped $skipped"
  else
    failed_tests=1
    row "tests: $what" FAIL "${summary:-no summary, see ctest-$what.log}; failed: $(grep -E '^\s+[0-9]+ - ' "$log" | awk '{print $3}' | tr '\n' ' ')"
  fi
}
export HEMOVK_TEST_TIMEOUT_SCALE=${HEMOVK_TEST_TIMEOUT_SCALE:-1}
jobs=$(( $(nproc) > 8 ? 8 : $(nproc) ))
if [ "$no_tests" -eq 1 ]; then
  row tests skipped "--no-tests"
elif [ -n "$tests" ]; then
  HEMOVK_KERNELS=gpu run_ctest "gpu-kernels" -j"$jobs" -R "$tests"
  HEMOVK_KERNELS=cpu run_ctest "cpu-kernels" -j"$jobs" -R "$tests"
elif [ "$quick" -eq 1 ]; then
  HEMOVK_KERNELS=gpu run_ctest ops-gpu-kernels -j"$jobs" -L ops
  HEMOVK_KERNELS=cpu run_ctest ops-cpu-kernels -j"$jobs" -L ops
  run_ctest models-maskrcnn -j"$jobs" -L 'models|maskrcnn' -LE slow
else
  HEMOVK_KERNELS=gpu run_ctest ops-gpu-kernels -j"$jobs" -L ops
  HEMOVK_KERNELS=cpu run_ctest ops-cpu-kernels -j"$jobs" -L ops
  run_ctest all-but-ops -j"$jobs" -LE ops
fi

# ---- 4. benchmarks ----------------------------------------------------------------------------------
bm=$build/bench/bench_models
py=${HEMOVK_PYTHON:-python3}
if [ "$no_bench" -eq 1 ]; then
  row "model benchmarks" skipped "--no-bench"
elif [ -x "$bm" ] && "$py" -c 'import torch' 2>/dev/null; then
  if [ -z "$models" ]; then
    models="effb0 effb7 convnext-t internimage-t"
    [ "$quick" -eq 1 ] && models="effb0 convnext-t"
  fi
  tdev=cpu
  budget=$([ "$quick" -eq 1 ] && echo 5 || echo 15) # seconds of timed rounds per model
  "$py" -c 'import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null && tdev=cuda
  results=$out/bench-models.jsonl
  : >"$results"
  # the same interleaved rounds as bench/run_models.sh, PyTorch on CUDA when this machine has it
  if "$py" bench/bench_models_torch.py prepare --cache "$build/bench-models" $models >"$out/bench-models.log" 2>&1 &&
     "$py" bench/bench_models_torch.py run --cache "$build/bench-models" --bench "$bm" --threads "$(nproc)" \
       --budget "$budget" --torch-device "$tdev" --results "$results" $models \
       >>"$out/bench-models.log" 2>&1; then
    "$py" bench/bench_models_torch.py table "$results" >"$out/bench-models-table.txt" 2>&1
    cat >"$out/bench-rows.py" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(f'model {r["model"]} x{r["batch"]} {r["dtype"]}\themovk {r["hemovk_ms"]:.2f} ms (GPU {r["gpu_ms"]:.2f}), '
          f'PyTorch {sys.argv[2]} {r["torch_ms"]:.2f} ms, ratio {r["ratio"]:.2f}, max rel err {r["max_rel_err"]:.1e}')
EOF
    "$py" - "$results" "$tdev" <"$out/bench-rows.py" >"$out/bench-rows.tsv"
    while IFS=$'\t' read -r what detail; do row "$what" ran "$detail"; done <"$out/bench-rows.tsv"
    # f16 once more with f32 arithmetic (HEMOVK_FP16_ARITH=0; the rows above use the device's default,
    # fp16 arithmetic on a GPU with shaderFloat16): what the f16a GEMM kernels gain, and their error
    results0=$out/bench-models-f16-f32arith.jsonl
    : >"$results0"
    if HEMOVK_FP16_ARITH=0 "$py" bench/bench_models_torch.py run --cache "$build/bench-models" --bench "$bm" \
         --threads "$(nproc)" --dtypes f16 --budget "$budget" \
         --torch-device "$tdev" --results "$results0" $models >>"$out/bench-models.log" 2>&1; then
      "$py" - "$results0" "$tdev" <"$out/bench-rows.py" >"$out/bench-rows0.tsv"
      while IFS=$'\t' read -r what detail; do row "$what, f32 arithmetic" ran "$detail"; done <"$out/bench-rows0.tsv"
    else
      row "model benchmarks f16, f32 arithmetic" FAIL "bench_models_torch.py failed (see bench-models.log)"
    fi
  else
    row "model benchmarks" FAIL "bench_models_torch.py failed (see bench-models.log)"
  fi
else
  row "model benchmarks" skipped "needs $bm and a python3 with torch (HEMOVK_PYTHON)"
fi

# the proposal ops against the host path they replace (bench/bench_proposals.c), demo sizes
if [ "$no_bench" -eq 0 ] && [ -x "$build/bench/bench_proposals" ]; then
  if "$build/bench/bench_proposals" >"$out/bench-proposals.txt" 2>&1; then
    row "proposal selection, batch 4 at 224²" ran "$(grep -E '^  (device ops|host path)' "$out/bench-proposals.txt" |
      sed 's/^ *//; s/  */ /g' | paste -sd ';' -)"
  else
    failed_tests=1
    row "proposal selection" FAIL "bench_proposals failed (see bench-proposals.txt)"
  fi
fi

if [ -d "$data/bleeding/Images" ]; then
  data=$(cd "$data" && pwd) # a list file's relative paths would be read from the list's folder
  frames=${GPU_CHECK_FRAMES:-$([ "$quick" -eq 1 ] && echo 64 || echo 512)}
  list=$out/frames.txt
  # bleeding and non-bleeding frames alternating, so both routes of the pipeline run
  paste -d '\n' <(find "$data/bleeding/Images" -maxdepth 1 -name '*.png' | sort -V) \
                 <(find "$data/non-bleeding/images" -maxdepth 1 -name '*.png' | sort -V) | head -n "$frames" >"$list"
  # twice: proposals selected on the device (the default on a GPU) and on the host, for the comparison
  for props in device host; do
    rm -rf "$out/run"
    if HEMOVK_PROPOSALS=$props "$hemovk" run pipelines/two-stage-demo.yaml --input "$list" --output "$out/run" \
         --progress none >"$out/pipeline-$props.log" 2>&1; then
      cp "$out/run/summary.json" "$out/summary-$props.json"
      row "two-stage demo, $frames frames, proposals on the $props" ran "$(python3 - "$out/summary-$props.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
x = s.get("device_transfers", {})
print(f'{s["frames_per_second"]:.2f} frames/s; a frame: {x.get("transfers_per_frame", 0):.1f} transfers, '
      f'{x.get("bytes_per_frame", 0) / 1e6:.2f} MB, {x.get("submits_per_frame", 0):.1f} submissions')
EOF
)"
    else
      failed_tests=1
      row "two-stage demo, proposals on the $props" FAIL "hemovk run failed (see pipeline-$props.log)"
    fi
  done
else
  row "two-stage demo" skipped "no frames at $data (set DATA)"
fi

# ---- 5. the table -----------------------------------------------------------------------------------
{
  echo "# gpu-check $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "| check | result | detail |"
  echo "|---|---|---|"
  printf '%s\n' "${rows[@]}"
} >"$out/table.md"
echo
cat "$out/table.md"
echo
echo "gpu-check: logs and the table in $out"
exit "$failed_tests"

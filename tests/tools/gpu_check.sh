#!/usr/bin/env bash
# tools.gpu_check: scripts/gpu-check.sh on this (GPU-less) machine, as far as it can go here:
#   1. with only a CPU implementation (lavapipe) and no GPU_CHECK_ALLOW_CPU it refuses with exit 2 and says
#      why (a "GPU check" that passes on lavapipe would tell nothing);
#   2. as a dry run (GPU_CHECK_ALLOW_CPU=1, the prebuilt build, no nested ctest, no torch benchmark) it
#      picks the device, runs the two-stage demo on 4 frames with proposals selected on the device and on
#      the host, and prints the table with frames/s and the transfers per frame read from summary.json
#      (the device rows read back fewer bytes: the proposals, not the RPN maps).
# The test steps and the model benchmark were run by hand (scripts/gpu-check.sh --quick on lavapipe).
#   tests/tools/gpu_check.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=$1 build=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/hemovk-gpu-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$src" || exit 1
if "$build/hemovk" devices 2>/dev/null | grep -qE '^ +type +(discrete|integrated|virtual) GPU'; then
  echo "skipped: this machine has a GPU, so case 1 (refusing lavapipe) cannot be shown here"
  exit 77
fi
fail() { echo "FAIL: $*"; exit 1; }

GPU_CHECK_ALLOW_CPU=0 scripts/gpu-check.sh --prebuilt --build-dir "$build" --no-tests --no-bench --out "$work/a" \
  >"$work/a.log" 2>&1
rc=$?
[ "$rc" -eq 2 ] || { cat "$work/a.log"; fail "without a GPU: exit $rc, want 2"; }
grep -q "no GPU among the Vulkan devices" "$work/a.log" || { cat "$work/a.log"; fail "the refusal does not say why"; }

GPU_CHECK_ALLOW_CPU=1 GPU_CHECK_FRAMES=4 scripts/gpu-check.sh --prebuilt --build-dir "$build" --no-tests --no-bench \
  --out "$work/b" >"$work/b.log" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { cat "$work/b.log"; fail "dry run: exit $rc, want 0"; }
t="$work/b/table.md"
[ -f "$t" ] || fail "no table.md"
grep -qE '^\| device \| 0 \| llvmpipe' "$t" || { cat "$t"; fail "no device row"; }
for props in device host; do
  grep -qE "^\| two-stage demo, 4 frames, proposals on the $props \| ran \| [0-9.]+ frames/s; a frame: [0-9.]+ transfers, [0-9.]+ MB, [0-9.]+ submissions \|" "$t" ||
    { cat "$t" "$work/b/pipeline-$props.log"; fail "no pipeline row (proposals on the $props) with frames/s and transfers"; }
  grep -q '"device_transfers"' "$work/b/summary-$props.json" || fail "summary-$props.json not kept"
done
# the device's proposal rows instead of the RPN maps: fewer bytes read back per frame, same detections
/usr/bin/python3 - "$work/b/summary-device.json" "$work/b/summary-host.json" <<'EOF' || fail "device proposals"
import json, sys
d, h = (json.load(open(p)) for p in sys.argv[1:3])
bd, bh = d["device_transfers"]["bytes_per_frame"], h["device_transfers"]["bytes_per_frame"]
print(f"bytes per frame: proposals on the device {bd:.0f}, on the host {bh:.0f}")
sys.exit(0 if bd < bh else 1)
EOF
cat "$t"
echo "tools.gpu_check: refusal and dry run as expected"

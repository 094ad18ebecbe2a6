#!/bin/bash
# Frames per second and host<->device traffic of the two-stage demo pipeline (issue 16), for one or more
# hemovk builds side by side, at each lavapipe thread count given — the same frames, interleaved rounds.
#
#   bench/pipeline_throughput.sh [-n FRAMES] [-t "1 2"] [-d vulkan|cpu] BUILD_DIR[@VAR=VALUE] [...]
#
# BUILD_DIR@VAR=VALUE runs that build with one environment variable set, so a switch can be compared with
# itself: `build@HEMOVK_WRITER_THREAD=0 build` is the inline writers against the writer thread.
# FRAMES (default 16) are the first bleeding frames of the committed validation split, so every frame is
# classified and segmented by both models. Each build runs its own checkout's pipelines/two-stage-demo.yaml
# (BUILD_DIR/..), so a build from an older commit runs the pipeline as that commit shipped it. Prints one
# row per build and thread count: frames/s (median of 3 runs; a first, uncounted run warms the shader
# cache), transfers, bytes and submissions per frame (from summary.json).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
frames=16 threads="1 2" device=vulkan
while getopts "n:t:d:" o; do
  case $o in
    n) frames=$OPTARG ;;
    t) threads=$OPTARG ;;
    d) device=$OPTARG ;;
    *) sed -n 2,11p "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { sed -n 2,11p "$0"; exit 2; }
data="$here/../shared/data/wcebleedgen/WCEBleedGen"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# (awk stops counting itself: `head` would close the pipe early, and pipefail would end the script)
awk -F'\t' -v n="$frames" '$1=="val" && $2=="bleeding" && c++ < n {print $3}' "$here/splits/wcebleedgen.tsv" |
  while read -r p; do echo "$data/$p"; done > "$work/frames.txt"

run() { # build[@VAR=VALUE] threads out
  local build=${1%%@*} envs=() src
  [ "$build" != "$1" ] && envs=("${1#*@}")
  src=$(cd "$build/.." && pwd)
  rm -rf "$3"
  env "${envs[@]}" LP_NUM_THREADS="$2" HEMOVK_THREADS="$2" HEMOVK_DEVICE="$device" "$build/hemovk" run \
    "$src/pipelines/two-stage-demo.yaml" --input "$work/frames.txt" --output "$3" --progress none > "$3.log" 2>&1
}

printf '%-40s %7s %9s %10s %11s %12s\n' build threads frames/s transfers MB/frame submissions
for t in $threads; do
  for b in "$@"; do run "$b" "$t" "$work/warm"; done
  declare -A fps=()
  for round in 1 2 3; do
    for b in "$@"; do
      run "$b" "$t" "$work/out"
      fps[$b]+="$(/usr/bin/python3 -c "import json; print(json.load(open('$work/out/summary.json'))['frames_per_second'])") "
      cp "$work/out/summary.json" "$work/last-$(echo "$b" | tr /=@ ___).json"
    done
  done
  for b in "$@"; do
    /usr/bin/python3 - "$b" "$t" "${fps[$b]}" "$work/last-$(echo "$b" | tr /=@ ___).json" <<'EOF'
import json, statistics, sys
b, t, fps, path = sys.argv[1], sys.argv[2], [float(x) for x in sys.argv[3].split()], sys.argv[4]
x = json.load(open(path)).get("device_transfers", {})
print(f"{b[-40:]:40s} {t:>7s} {statistics.median(fps):9.2f} {x.get('transfers_per_frame', 0):10.1f} "
      f"{x.get('bytes_per_frame', 0) / 1e6:11.2f} {x.get('submits_per_frame', 0):12.1f}")
EOF
  done
  unset fps
done

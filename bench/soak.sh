#!/usr/bin/env bash
# Soak: does a long run's memory stay flat? (a benchmark: it prints numbers, it does not pass or fail)
#   bench/soak.sh [FRAMES] [PIPELINE] [BUILD_DIR]     defaults: 2000, pipelines/plumbing-demo.yaml, build
# Runs `hemovk run` on FRAMES WCEBleedGen frames (a list file alternating bleeding and non-bleeding frames,
# so the classifier routes frames both ways all along; past the 2,618 frames of the release the list goes
# round again through links named rep1/, rep2/ ... so every frame keeps its own key) and samples the
# process's resident memory (VmRSS of /proc/PID/status) every second, with the frames done so far
# (lines of results.jsonl). Prints RSS after warm-up (when WARMUP_FRAMES, default 10 % of the frames and at
# least 100, are done: plans built, caches and pools filled) and at the end, and the growth in %. The goal is flat:
# growth within 5 % after warm-up. Samples go to OUT/soak-rss.tsv (seconds, frames, RSS KiB).
# DATA (default ../shared/data/wcebleedgen/WCEBleedGen), OUT (default a temporary folder, removed),
# HEMOVK (default BUILD_DIR/hemovk), HEMOVK_DEVICE as for hemovk.
set -euo pipefail
cd "$(dirname "$0")/.."
frames=${1:-2000}
pipeline=${2:-pipelines/plumbing-demo.yaml}
build=${3:-build}
data=$(realpath "${DATA:-../shared/data/wcebleedgen/WCEBleedGen}")
hemovk=${HEMOVK:-$build/hemovk}
warm=${WARMUP_FRAMES:-$((frames / 10 > 100 ? frames / 10 : 100))}
[ -x "$hemovk" ] || { echo "soak: $hemovk not built (cmake --build $build --target hemovk-cli)" >&2; exit 2; }
[ -f "$pipeline" ] || { echo "soak: no pipeline $pipeline" >&2; exit 2; }
[ -d "$data/bleeding/Images" ] || { echo "soak: no WCEBleedGen release at $data (set DATA)" >&2; exit 2; }

scratch=$(mktemp -d /tmp/hemovk-soak.XXXXXX)
out=${OUT:-$scratch/out}
trap 'rm -rf "$scratch"' EXIT
# The list: bleeding and non-bleeding frames alternating, natural order within each class.
mapfile -t bl < <(find "$data/bleeding/Images" -maxdepth 1 -name '*.png' | sort -V)
mapfile -t nb < <(find "$data/non-bleeding/images" -maxdepth 1 -name '*.png' | sort -V)
all=()
for ((i = 0; i < ${#bl[@]} || i < ${#nb[@]}; i++)); do
  [ $i -lt ${#bl[@]} ] && all+=("${bl[$i]#$data/}")
  [ $i -lt ${#nb[@]} ] && all+=("${nb[$i]#$data/}")
done
list=$scratch/frames.txt
: >"$list"
for ((k = 0; k < frames; k++)); do
  round=$((k / ${#all[@]}))
  [ -e "$scratch/rep$round" ] || ln -s "$data" "$scratch/rep$round"
  echo "$scratch/rep$round/${all[$((k % ${#all[@]}))]}" >>"$list"
done

mkdir -p "$out"
samples=$out/soak-rss.tsv
printf 'seconds\tframes\trss_kib\n' >"$samples"
echo "soak: $frames frames through $pipeline with $hemovk ($(nproc) cores), samples in $samples"
start=$(date +%s)
"$hemovk" run "$pipeline" --input "$list" --output "$out/run" --progress none 2>"$out/stderr.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$scratch"' EXIT
while kill -0 "$pid" 2>/dev/null; do
  rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status" 2>/dev/null || true)
  done_n=0
  [ -f "$out/run/results.jsonl" ] && done_n=$(wc -l <"$out/run/results.jsonl")
  [ -n "$rss" ] && printf '%s\t%s\t%s\n' "$(($(date +%s) - start))" "$done_n" "$rss" >>"$samples"
  sleep 1
done
rc=0
wait "$pid" || rc=$?
[ "$rc" -le 1 ] || { echo "soak: hemovk exited $rc:" >&2; tail -20 "$out/stderr.log" >&2; exit "$rc"; }

# RSS after warm-up: the first sample with WARMUP_FRAMES done; at the end: the first sample with every frame
# written (later ones see the process tearing down).
awk -F'\t' -v warm="$warm" -v total="$frames" '
  NR == 1 { next }
  done { next }
  { t = $1; f = $2; r = $3; if (r > peak) peak = r
    if (!w && f >= warm) { w = r; wf = f; wt = t }
    last = r; lastf = f; lastt = t
    if (f >= mark * total / 10) { printf "  %5d s  %5d frames  RSS %7.1f MB\n", t, f, r / 1024; mark = int(f * 10 / total) + 1 }
    if (f >= total) done = 1 }
  END {
    if (!w) { print "soak: the run ended before warm-up; no numbers"; exit 1 }
    printf "soak: RSS after warm-up (%d frames, %d s): %.1f MB; at the end (%d frames, %d s): %.1f MB; peak %.1f MB\n", wf, wt, w / 1024, lastf, lastt, last / 1024, peak / 1024
    printf "soak: growth after warm-up %+.1f %% over %d frames (goal: within 5 %%); %.2f frames/s\n", (last - w) * 100 / w, lastf - wf, lastf / (lastt ? lastt : 1)
  }' mark=1 "$samples"

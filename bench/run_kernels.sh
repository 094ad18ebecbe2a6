#!/bin/sh
# Kernel benchmark side by side: hemovk on the current Vulkan device vs PyTorch on the CPU, same shapes
# (bench/kernel_shapes.txt), interleaved per shape (A B A B …, see DESIGN.md "Benchmarking fairly").
#   bench/run_kernels.sh [BUILD_DIR] [THREADS]        (defaults: build, 1)
# Prints ms for both and the speed ratio torch_ms / hemovk_ms (> 1: hemovk is faster).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
threads=${2:-1}
py=${HEMOVK_PYTHON:-/usr/bin/python3}
bk="$build/bench/bench_kernels"
[ -x "$bk" ] || { echo "run_kernels.sh: $bk not built (cmake --build $build --target bench_kernels)" >&2; exit 3; }
# lavapipe's worker threads follow LP_NUM_THREADS; keep both sides on the same thread count
export LP_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bk" --runs 1 >/dev/null 2>&1 || true   # first start: shader compilation and caches
names=$(grep -v '^#' "$here/kernel_shapes.txt" | awk 'NF {print $1}')
"$bk" no_such_kernel 2>/dev/null | head -1
"$py" "$here/bench_torch.py" --threads "$threads" no_such_kernel | head -1
for n in $names; do
  "$bk" "$n" 2>/dev/null | grep -v '^#' >> "$tmp/hv.txt" || true
  "$py" "$here/bench_torch.py" --threads "$threads" "$n" | grep -v '^#' >> "$tmp/pt.txt" || true
done
printf '%-28s %-5s %11s %11s %9s %9s %8s\n' name kind hemovk_ms torch_ms hv_GF/s pt_GF/s ratio
awk 'NR == FNR { if ($3 ~ /^[0-9.]+$/) { ms[$1] = $3; gf[$1] = $4 } else ms[$1] = "n/a"; next }
     { h = ($1 in ms) ? ms[$1] : "n/a"; r = (h != "n/a" && h > 0) ? sprintf("%.2f", $3 / h) : "n/a";
       printf "%-28s %-5s %11s %11.3f %9s %9.2f %8s\n", $1, $2, h, $3, (h != "n/a" ? gf[$1] : "-"), $4, r }' \
    "$tmp/hv.txt" "$tmp/pt.txt"

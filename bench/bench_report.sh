#!/usr/bin/env bash
# How fast a 100,000-frame exam's writer.report page opens in Chromium (not a test: timing belongs here).
#
#   bench/bench_report.sh [BUILD_DIR] [FRAMES]        (defaults: build, 100000)
#
# Makes a synthetic exam (a list file of FRAMES lines over 24 small PNGs: mostly clean frames, ~60
# bleeding episodes of 3-40 frames), runs it through test.redclass + test.redbox (the pixel-made stages of
# the pipeline tests, so the number is the report's, not a model's) with writer.events and writer.report,
# then opens the page in headless Chromium three times and prints the medians of
#   wall     the whole `chromium --dump-dom` call, browser start included
#   blank    the same call on an empty page (the browser's own start, to subtract)
#   script   the page's script from its first line to a drawn timeline and gallery (data-init-ms)
#   ready    navigation start to that point: HTML and JSON parsed, script run (data-since-start-ms)
# Needs Debian's chromium and a build with tests (the pipetest plugin).
set -euo pipefail
BUILD=$(realpath "${1:-build}")
FRAMES=${2:-100000}
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "bench_report: no chromium (apt-get install chromium)" >&2; exit 2; }
[ -f "$BUILD/test-plugins/pipetest/hemovk-pipetest.so" ] || { echo "bench_report: build $BUILD with tests first" >&2; exit 2; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-report.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
/usr/bin/python3 - "$WORK" "$FRAMES" <<'PY'
import random, struct, sys, zlib
work, n = sys.argv[1], int(sys.argv[2])
def png(path, red):  # 64x48 grey frame, the first `red` pixels of the left half red
    rows = []
    for y in range(48):
        row = bytearray([0])
        for x in range(64):
            k = y * 32 + x
            r = x < 32 and k < red
            row += bytes((200, 30, 30) if r else (95, 100, 100))
        rows.append(bytes(row))
    raw = zlib.compress(b''.join(rows))
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 64, 48, 8, 2, 0, 0, 0)) + chunk(b'IDAT', raw) + chunk(b'IEND', b''))
levels = [int(1536 * f) for f in (0, .02, .05, .08, .1, .12, .15, .2, .25, .3, .35, .4, .45, .5, .55, .6, .65, .7, .75, .8, .85, .9, .95, 1)]
for i, r in enumerate(levels): png('%s/f%02d.png' % (work, i), r)
rnd = random.Random(14)
seq = [rnd.choice(range(0, 8)) for _ in range(n)]           # clean: p < 0.2
for _ in range(60):                                          # bleeding episodes
    a = rnd.randrange(n); L = rnd.randint(3, 40)
    for j in range(a, min(n, a + L)): seq[j] = rnd.choice(range(10, 24))
open(work + '/exam.txt', 'w').write(''.join('f%02d.png\n' % s for s in seq))
open(work + '/p.yaml', 'w').write('''version: 1
name: bench-report
batch: 64
source: {fps: 2}
stages:
  - {id: classify, component: test.redclass, params: {labels: [non-bleeding, bleeding], threshold: 0.5}}
  - {id: segment, component: test.redbox, when: classify.bleeding}
outputs:
  - {id: events, component: writer.events, path: events, params: {fsync: false}}
  - {id: report, component: writer.report, path: report, params: {fsync: false}}
''')
PY
export HEMOVK_PLUGIN_PATH="$BUILD/plugins:$BUILD/test-plugins/pipetest"
start=$(date +%s.%N)
"$BUILD/hemovk" run "$WORK/p.yaml" --input "$WORK/exam.txt" --output "$WORK/out" --progress none 2> "$WORK/run.txt" || { cat "$WORK/run.txt"; exit 1; }
end=$(date +%s.%N)
grep "writer.report" "$WORK/run.txt" || true
echo "run: $FRAMES frames in $(echo "$end - $start" | bc) s; index.html $(du -h "$WORK/out/report/index.html" | cut -f1), $(ls "$WORK/out/report/frames" | wc -l) image files"
echo '<!DOCTYPE html><html><body>blank</body></html>' > "$WORK/blank.html"
open_page() {  # $1 page: prints "wall_s init_ms since_start_ms"
  local t0 t1 dom
  t0=$(date +%s.%N)
  dom=$("$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run --disable-extensions --user-data-dir="$WORK/profile" \
        --window-size=1400,1000 --dump-dom "file://$1" 2>/dev/null)
  t1=$(date +%s.%N)
  local init since
  init=$(grep -o 'data-init-ms="[0-9.]*"' <<< "$dom" | grep -o '[0-9.]*' || echo -)
  since=$(grep -o 'data-since-start-ms="[0-9.]*"' <<< "$dom" | grep -o '[0-9.]*' || echo -)
  echo "$(echo "$t1 - $t0" | bc) $init $since"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
open_page "$WORK/blank.html" > /dev/null  # warm the profile and the page cache
: > "$WORK/page.txt"; : > "$WORK/blank.txt"
for i in 1 2 3; do
  open_page "$WORK/blank.html" >> "$WORK/blank.txt"
  open_page "$WORK/out/report/index.html" >> "$WORK/page.txt"
done
echo "chromium (median of 3): wall $(cut -d' ' -f1 "$WORK/page.txt" | median) s, blank page $(cut -d' ' -f1 "$WORK/blank.txt" | median) s," \
     "script $(cut -d' ' -f2 "$WORK/page.txt" | median) ms, ready $(cut -d' ' -f3 "$WORK/page.txt" | median) ms after navigation start"

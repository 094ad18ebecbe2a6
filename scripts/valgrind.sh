#!/usr/bin/env bash
# Run tests under valgrind memcheck (a check run by hand, not in CI: lavapipe's JIT makes it ~20-50x
# slower). Builds build-valgrind with HEMOVK_VALGRIND=ON: every test runs in memcheck, unforked,
# failing on any error or definite leak not suppressed by tests/valgrind.supp (loader and driver only).
# Shares the plain build's shader caches: run scripts/test.sh first, or lavapipe compiles every kernel
# under valgrind.
#   scripts/valgrind.sh                      the unit and detect labels (~25 min on 2 cores)
#   scripts/valgrind.sh -R 'unit.safetensors'   extra args replace the default selection (ctest args)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
command -v valgrind >/dev/null || { echo "valgrind.sh: needs valgrind (apt-get install valgrind)" >&2; exit 2; }
build=${BUILD_DIR:-build-valgrind}
cmake -S . -B "$build" -DHEMOVK_BUILD_TESTS=ON -DHEMOVK_VALGRIND=ON -DHEMOVK_BUILD_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEMOVK_TEST_CACHE_DIR="$PWD/${PLAIN_BUILD_DIR:-build}/test-cache" >/dev/null
cmake --build "$build" -j"$(nproc)"
[ $# -eq 0 ] && set -- -L 'unit|detect'
cd "$build" && ctest --output-on-failure -j"${CTEST_JOBS:-$(nproc)}" "$@"

#!/usr/bin/env bash
# Set up, build and run the whole hemovk test suite (Check tests under CTest, the Vulkan validation
# layer on, on the default device — lavapipe on a machine without a GPU).
#   scripts/test.sh                 everything, slow-labelled full-size models included
#   scripts/test.sh -LE slow        skip the slow label (extra args go to ctest)
# BUILD_DIR (default build) and HEMOVK_SANITIZE=ON (ASan+UBSan build in build-asan) are honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
sanitize=${HEMOVK_SANITIZE:-OFF}
build=${BUILD_DIR:-build}
[ "$sanitize" = ON ] && build=${BUILD_DIR:-build-asan}
# Sanitizer runs share the plain build's shader caches (cmake/Tests.cmake says why): .ci/run runs the
# plain suite first, so the ASan pass finds every kernel compiled.
cache_opt=()
[ "$sanitize" = ON ] && cache_opt=(-DHEMOVK_TEST_CACHE_DIR="$PWD/${PLAIN_BUILD_DIR:-build}/test-cache")
cmake -S . -B "$build" -DHEMOVK_BUILD_TESTS=ON -DHEMOVK_SANITIZE="$sanitize" "${cache_opt[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
cd "$build" && ctest --output-on-failure -j"${CTEST_JOBS:-$(nproc)}" "$@"

#!/usr/bin/env python3
"""Did the last ctest run fail only because LeakSanitizer's own tracer crashed?

    scripts/lsan_tracer_crash_only.py BUILD_DIR

LeakSanitizer stops every thread with ptrace at exit to scan for leaks; now and then its tracer thread
itself dies ("Tracer caught signal 11 ... LeakSanitizer has encountered a fatal error") after the test
body passed. That is a known fault of the sanitizer runtime (google/sanitizers#1322, #1353), not a leak
and not a hemovk failure; one CI run of the ASan stage lost a passing test to it. Its known cause, the
__tls_get_addr interceptor of GCC <= 13 / LLVM <= 16 misreading a dynamic TLS block, is switched off in
scripts/test.sh (intercept_tls_get_addr=0); this is the second line. scripts/test.sh asks this script,
after a failed sanitizer run, whether every failed test shows that signature and nothing else that means
a real failure (an ASan or UBSan report, a leak report, a failed check); only then does it run the
failed tests once more, and the second run's result stands.

Reads BUILD_DIR/Testing/Temporary/LastTestsFailed.log (the failed tests) and LastTest.log (each test's
output). Prints the verdict for each failed test. Exit 0: all failures are tracer crashes (retry them);
1: at least one is not (or nothing could be read), so the failure stands as it is.
"""
import os
import re
import sys

TRACER_CRASH = "LeakSanitizer has encountered a fatal error"
# Anything here means the test found something real, whatever else its output says.
REAL_FAILURE = [
    (re.compile(r"ERROR: AddressSanitizer"), "an AddressSanitizer report"),
    (re.compile(r"ERROR: LeakSanitizer: detected memory leaks"), "a leak report"),
    (re.compile(r"runtime error:"), "an UndefinedBehaviorSanitizer report"),
    (re.compile(r"Failures: [1-9]"), "a failed Check assertion"),
    (re.compile(r"Test timeout|\*\*\*Timeout"), "a timeout"),
]


def failed_tests(tmp_dir):
    """Names of the tests ctest recorded as failed ("<index>:<name>" a line)."""
    with open(os.path.join(tmp_dir, "LastTestsFailed.log"), encoding="utf-8", errors="replace") as f:
        return [line.strip().split(":", 1)[1] for line in f if ":" in line]


def outputs_by_test(tmp_dir):
    """Each test's block of LastTest.log, from its "N/M Test: name" line to its verdict line."""
    blocks, name, lines = {}, None, []
    with open(os.path.join(tmp_dir, "LastTest.log"), encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^\d+/\d+ Test: (.+)$", line.rstrip("\n"))
            if m:
                name, lines = m.group(1), []
                continue
            if name is None:
                continue
            lines.append(line)
            if line.startswith(("Test Passed.", "Test Failed.", "Test Skipped")):
                blocks[name] = "".join(lines)
                name = None
    return blocks


def verdict(output):
    """(retryable, why) for one failed test's output."""
    if output is None:
        return False, "its output is not in LastTest.log"
    if TRACER_CRASH not in output:
        return False, "it did not fail with LeakSanitizer's tracer crash"
    for pattern, what in REAL_FAILURE:
        if pattern.search(output):
            return False, f"its output also shows {what}"
    return True, "LeakSanitizer's tracer crashed at exit and nothing else failed"


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    tmp_dir = os.path.join(argv[1], "Testing", "Temporary")
    try:
        names = failed_tests(tmp_dir)
        blocks = outputs_by_test(tmp_dir)
    except OSError as e:
        print(f"lsan_tracer_crash_only: cannot read the last ctest run: {e}", file=sys.stderr)
        return 1
    if not names:
        print("lsan_tracer_crash_only: no failed test recorded", file=sys.stderr)
        return 1
    all_retryable = True
    for name in names:
        ok, why = verdict(blocks.get(name))
        print(f"lsan_tracer_crash_only: {name}: {'retry' if ok else 'keep the failure'}: {why}")
        all_retryable = all_retryable and ok
    return 0 if all_retryable else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""tools.lsan_tracer_retry: scripts/lsan_tracer_crash_only.py retries only LeakSanitizer's own crash.

Builds ctest's Testing/Temporary logs for made-up runs and checks the verdict of each:
  1. one test lost to the tracer crash (the output the CI printed for classify.parity.convnext) -> retry;
  2. that, plus a second test that failed a Check assertion -> keep the failure;
  3. a tracer crash in a test that also printed a leak report, an ASan report or a UBSan report -> keep;
  4. a plain failure without the signature, and a missing log -> keep;
  5. on this machine's own ctest: a test that prints the signature and fails once is retried by
     `ctest --rerun-failed` and passes, so the log format the script parses is the one ctest writes.
    tests/tools/lsan_tracer_crash_only.py SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

TRACER_OUTPUT = """Running suite(s): classify.parity
hemovk: info: classify: convnext backbone, raw RGB 0-255 input, f32
Tracer caught signal 11: addr=0x183f8 pc=0x7f22330e80f0 sp=0x7f2222ddfd10
==18824==LeakSanitizer has encountered a fatal error.
==18824==HINT: For debugging, try setting environment variable LSAN_OPTIONS=verbosity=1:log_threads=1
==18824==HINT: LeakSanitizer does not work under ptrace (strace, gdb, etc)
0%: Checks: 1, Failures: 0, Errors: 1
tests/classify/cls_testutil.h:47:S:convnext:convnext_f32_matches_pytorch:0: (after this point) Early exit with return value 1
"""
ASSERT_OUTPUT = """Running suite(s): ops.gemm
50%: Checks: 2, Failures: 1, Errors: 0
tests/ops/test_gemm.c:88:F:gemm:gemm_f32:0: NMSE 3.1e-02 above 1e-06
"""


def block(index, total, name, output, passed):
    return (f"{index}/{total} Testing: {name}\n{index}/{total} Test: {name}\n"
            f"Command: \"/b/tests/test-{name}\"\nDirectory: /b\n\"{name}\" start time: Dec 07 19:14 UTC\n"
            "Output:\n----------------------------------------------------------\n"
            f"{output}<end of output>\nTest time =   8.93 sec\n"
            "----------------------------------------------------------\n"
            f"Test {'Passed' if passed else 'Failed'}.\n\"{name}\" end time: Dec 07 19:14 UTC\n"
            f"\"{name}\" time elapsed: 00:00:08\n----------------------------------------------------------\n\n")


def run_case(script, label, tests, want_rc, also_failed=()):
    """tests: (name, output, passed) in run order; also_failed: failed names with no block in LastTest.log;
    want_rc: the exit status the verdict must have."""
    with tempfile.TemporaryDirectory() as build:
        tmp = os.path.join(build, "Testing", "Temporary")
        os.makedirs(tmp)
        with open(os.path.join(tmp, "LastTest.log"), "w") as f:
            f.write("Start testing: Dec 07 19:14 UTC\n----------------------------------------------------------\n")
            for i, (name, output, passed) in enumerate(tests, 1):
                f.write(block(i, len(tests), name, output, passed))
        with open(os.path.join(tmp, "LastTestsFailed.log"), "w") as f:
            for i, (name, _, passed) in enumerate(tests, 1):
                if not passed:
                    f.write(f"{i}:{name}\n")
            for j, name in enumerate(also_failed, len(tests) + 1):
                f.write(f"{j}:{name}\n")
        r = subprocess.run([sys.executable, script, build], capture_output=True, text=True)
    print(f"{label}: exit {r.returncode}\n{r.stdout}{r.stderr}", end="")
    if r.returncode != want_rc:
        print(f"FAIL: {label}: exit {r.returncode}, want {want_rc}")
        return False
    return True


def real_ctest_case(script):
    """Case 5: a two-test CTest project whose second test fails once with the tracer signature."""
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "CMakeLists.txt"), "w") as f:
            f.write("cmake_minimum_required(VERSION 3.16)\nproject(t NONE)\nenable_testing()\n"
                    "add_test(NAME ok COMMAND sh -c \"echo fine\")\n"
                    "add_test(NAME once COMMAND sh -c \"if [ -f once.mark ]; then exit 0; fi; touch once.mark; "
                    "echo 'Tracer caught signal 11: addr=0x1'; "
                    "echo '==1==LeakSanitizer has encountered a fatal error.'; exit 1\")\n")
        build = os.path.join(work, "b")
        subprocess.run(["cmake", "-S", work, "-B", build], check=True, capture_output=True)
        first = subprocess.run(["ctest"], cwd=build, capture_output=True, text=True)
        r = subprocess.run([sys.executable, script, build], capture_output=True, text=True)
        again = subprocess.run(["ctest", "--rerun-failed"], cwd=build, capture_output=True, text=True)
    print(f"real ctest: first run exit {first.returncode}, verdict exit {r.returncode}, rerun exit "
          f"{again.returncode}\n{r.stdout}{r.stderr}", end="")
    if first.returncode == 0 or r.returncode != 0 or "once: retry" not in r.stdout or again.returncode != 0:
        print("FAIL: real ctest: want a failed first run, a retry verdict for 'once' and a passing rerun")
        return False
    return True


def main():
    script = os.path.join(sys.argv[1], "scripts", "lsan_tracer_crash_only.py")
    ok = real_ctest_case(script)
    passing = ("unit.yaml", "Running suite(s): unit.yaml\n100%: Checks: 3, Failures: 0, Errors: 0\n", True)
    crash = ("classify.parity.convnext", TRACER_OUTPUT, False)
    ok &= run_case(script, "tracer crash only", [passing, crash], 0)
    ok &= run_case(script, "tracer crash and a failed assertion elsewhere",
                   [crash, ("ops.gemm", ASSERT_OUTPUT, False)], 1)
    for label, extra in [
        ("tracer crash with a leak report", "==1==ERROR: LeakSanitizer: detected memory leaks\n"),
        ("tracer crash with an ASan report", "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address\n"),
        ("tracer crash with a UBSan report", "src/ops/gemm.c:12:5: runtime error: signed integer overflow\n"),
        ("tracer crash with a failed assertion", "50%: Checks: 2, Failures: 1, Errors: 1\n"),
    ]:
        ok &= run_case(script, label, [("models.convnext", extra + TRACER_OUTPUT, False)], 1)
    ok &= run_case(script, "a plain failure", [passing, ("ops.gemm", ASSERT_OUTPUT, False)], 1)
    # A failed test whose block is missing from LastTest.log is never retried.
    ok &= run_case(script, "a failed test with no output", [crash], 1, also_failed=["train.demo_regression"])
    with tempfile.TemporaryDirectory() as build:
        r = subprocess.run([sys.executable, script, build], capture_output=True, text=True)
        print(f"no logs: exit {r.returncode}\n{r.stdout}{r.stderr}", end="")
        if r.returncode != 1:
            print("FAIL: no logs: want exit 1")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

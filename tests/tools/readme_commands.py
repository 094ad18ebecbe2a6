#!/usr/bin/env python3
"""Run the README's commands as written (CTest `tools.readme_commands`).

Every indented block of README.md whose first line is a command is checked line by line against RULES:
each command line must match a rule that either runs it — in a sandbox that looks like the repository
(its folders linked, ../shared beside it, a small `exam/`), as written or with a stated substitution — or
skips it with the reason and the test that covers it instead. A command line no rule knows fails the test,
so a new README command is either run here or deliberately excused.

    readme_commands.py SOURCE_DIR BUILD_DIR
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

# (pattern matched against the command line without its trailing comment, action).
# action "run": run as written; ("run", [(old, new), ...]): run with those substitutions (why in a comment);
# ("skip", reason): not run here, and why.
RULES = [
    (r"^scripts/demo\.sh$", ("skip", "installs packages and builds; its pipeline run is fusion.two_stage_e2e "
                                     "and train.demo_regression")),
    (r"^scripts/test\.sh$", ("skip", "this suite is what it runs")),
    (r"^scripts/install-deps\.sh$", ("skip", "needs root and the network; .ci/run runs it first")),
    (r"^scripts/gpu-check\.sh( --quick)?$", ("skip", "needs a GPU (it refuses lavapipe); tools.gpu_check shows the "
                                                    "refusal and runs its dry run on lavapipe")),
    (r"^cmake -B build && cmake --build build -j$", ("skip", "how this build was made (scripts/test.sh)")),
    (r"^ctest --test-dir build", ("skip", "this suite")),
    # into a temporary prefix instead of /opt (no root, nothing left behind); examples.out_of_tree
    # builds a plugin against such an install
    (r"^cmake --install build --prefix /opt/hemovk$", ("run", [("/opt/hemovk", "{tmp}/prefix")])),
    (r"^/usr/bin/python3 tools/train/", ("skip", "hours of training; train.classifier_recipe and "
                                                 "train.segmenter_recipe run the recipes on a few frames")),
    (r"^setsid nohup tools/train/train_segmenters\.sh", ("skip", "hours of training (train.segmenter_recipe)")),
    (r"^/usr/bin/python3 tools/convert_checkpoint\.py", ("skip", "needs the paper's checkpoints, which are not "
                                                                 "downloadable here; tools.convert covers the converter")),
    (r"^\./build/hemovk devices$", "run"),
    (r"…", ("skip", "a placeholder (…), not a command; unit.cli_exit covers --device and HEMOVK_DEVICE")),
    (r"^\./build/hemovk run pipelines/quality-check\.yaml --input \"exam/\" --output out/( --resume)?$", "run"),
    (r"^awk -F'\\t' '\$1 == \"val\"", "run"),
    # the 525 validation frames take ~10 min on a CPU: the same commands on 4 of them (2 bleeding, 2 not),
    # scored with a split file of those 4
    (r"^\./build/hemovk run pipelines/two-stage-demo\.yaml --input val\.txt --output out/val$",
     ("run", [("--input val.txt", "--input val4.txt")])),
    (r"^\./build/hemovk eval --ground-truth .* --split val$", ("run", [("--split val", "--split val --split-file val4.tsv")])),
    (r"^\./build/hemovk validate my-pipeline\.yaml$", "run"),
    (r"^\./build/hemovk run pipelines/two-stage-demo\.yaml --input \"exam/\" --output out/$", "run"),
    (r"^python3 -m json\.tool out/events\.json", "run"),
    (r"^chromium ", ("skip", "a browser (a test package, not in every sandbox); pipeline.report opens the report in "
                             "headless Chromium with these flags and checks its screenshot, DOM and console")),
    (r"^\./build/hemovk run pipelines/quality-check\.yaml --input exam\.mp4 --output out/$",
     ("skip", "needs a capsule video (none in the sandbox, and no ffmpeg program to make one); pipeline.video "
              "encodes AVI/MKV/MP4 files with libavcodec and runs the same --input form")),
]

COMMAND_START = re.compile(r"^(scripts/|\./build/|build/|cmake |ctest |/usr/bin/python3 |setsid |awk |HEMOVK_\w+=|hemovk )")


def command_blocks(readme):
    """(block number, line number, command) for every line of every indented block that starts with a
    command."""
    lines = open(readme, encoding="utf-8").read().split("\n")
    out, i, n_blocks = [], 0, 0
    while i < len(lines):
        if lines[i].startswith("    ") and (i == 0 or not lines[i - 1].strip()):
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
                j += 1
            block = [(k + 1, lines[k][4:]) for k in range(i, j) if lines[k].strip()]
            if block and COMMAND_START.match(block[0][1]):
                joined, cont = [], ""
                for no, text in block:  # join backslash continuations
                    if cont:
                        cont += " " + text.strip()
                    else:
                        start, cont = no, text
                    if cont.endswith("\\"):
                        cont = cont[:-1].rstrip()
                        continue
                    joined.append((n_blocks, start, cont))
                    cont = ""
                out += joined
                n_blocks += 1
            i = j
        else:
            i += 1
    return out


def strip_comment(cmd):
    # a trailing "   # ..." comment (two or more spaces before #), never a # inside quotes
    return re.split(r"\s{2,}#\s", cmd, maxsplit=1)[0].strip()


def make_sandbox(src, build, tmp):
    repo = os.path.join(tmp, "repo")
    os.makedirs(repo)
    for name in os.listdir(src):
        if name in ("build",) or name.startswith(".") or name.startswith("build-") or name.startswith("_"):
            continue
        os.symlink(os.path.join(src, name), os.path.join(repo, name))
    os.symlink(build, os.path.join(repo, "build"))
    os.symlink(os.path.realpath(os.path.join(src, "..", "shared")), os.path.join(tmp, "shared"))
    exam = os.path.join(repo, "exam")
    os.makedirs(exam)
    t1 = os.path.join(tmp, "shared", "data", "wcebleedgen", "test", "Test Dataset 1")
    for name in sorted(os.listdir(t1))[:3]:
        os.symlink(os.path.join(t1, name), os.path.join(exam, name))
    shutil.copy(os.path.join(src, "pipelines", "quality-check.yaml"), os.path.join(repo, "my-pipeline.yaml"))
    return repo


def write_val4(src, repo):
    """val4.txt: 2 bleeding and 2 non-bleeding frames of the val.txt the README's awk wrote; val4.tsv: the
    split file with every other frame moved to train (a split file covers the whole release)."""
    with open(os.path.join(repo, "val.txt")) as f:
        val = [line for line in f if line.strip()]
    pick = val[:2] + val[-2:]
    with open(os.path.join(repo, "val4.txt"), "w") as f:
        f.writelines(pick)
    rel = {line.strip().split("WCEBleedGen/", 1)[1] for line in pick}
    with open(os.path.join(src, "splits", "wcebleedgen.tsv")) as f, open(os.path.join(repo, "val4.tsv"), "w") as g:
        rows = f.readlines()
        g.write(rows[0])
        for r in rows[1:]:
            cols = r.split("\t")
            g.write(r if cols[2] in rel else "\t".join(["train"] + cols[1:]))


def main():
    src, build = (os.path.realpath(p) for p in sys.argv[1:3])
    commands = command_blocks(os.path.join(src, "README.md"))
    if not commands:
        sys.exit("README.md has no command blocks: the parser is broken")
    failures, ran, skipped = [], 0, 0
    with tempfile.TemporaryDirectory(prefix="hemovk-readme-") as tmp:
        repo = make_sandbox(src, build, tmp)
        block = -1
        for blk, lineno, raw in commands:
            if blk != block:  # each README block starts from a clean out/, as a reader trying it would
                shutil.rmtree(os.path.join(repo, "out"), ignore_errors=True)
                block = blk
            cmd = strip_comment(raw)
            action = next((a for pat, a in RULES if re.search(pat, cmd)), None)
            if action is None:
                failures.append(f"README.md:{lineno}: no rule for this command (run it or skip it with a reason "
                                f"in tests/tools/readme_commands.py): {cmd}")
                continue
            if isinstance(action, tuple) and action[0] == "skip":
                print(f"README.md:{lineno}: skipped ({action[1]}): {cmd}")
                skipped += 1
                continue
            if isinstance(action, tuple):
                for old, new in action[1]:
                    if old not in cmd:
                        failures.append(f"README.md:{lineno}: substitution '{old}' no longer applies: {cmd}")
                    cmd = cmd.replace(old, new.format(tmp=tmp))
            if "val4.txt" in cmd:
                write_val4(src, repo)
            print(f"README.md:{lineno}: $ {cmd}", flush=True)
            r = subprocess.run(["bash", "-c", cmd], cwd=repo, capture_output=True, text=True, timeout=900)
            ran += 1
            tail = "\n".join((r.stdout + r.stderr).strip().split("\n")[-8:])
            print("    " + tail.replace("\n", "\n    "))
            if r.returncode != 0:
                failures.append(f"README.md:{lineno}: exit {r.returncode}: {cmd}\n{tail}")
    print(f"{ran} README commands run, {skipped} skipped with a reason")
    if failures:
        print("\n".join(["FAILED:"] + failures))
        sys.exit(1)


if __name__ == "__main__":
    main()

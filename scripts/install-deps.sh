#!/usr/bin/env bash
# Install hemovk's build and test dependencies from Debian 12 packages. Runs `apt-get update` once
# and installs only what is missing, so a second run is quick. Needs root (or sudo).
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --build  only what building and running the engine needs
set -euo pipefail

# FFmpeg's libraries read video exports (plugins/video): containers and codecs are a library's job.
# oneDNN runs the CPU backend's convolutions and matrix products (core/cpu/): what PyTorch and OpenVINO
# use on x86 CPUs, with fused post-ops and blocked weight layouts. Debian's dnnl CMake config demands the
# OpenCL headers and loader even for the CPU runtime (libdnnl-dev only Recommends ocl-icd-opencl-dev, which
# --no-install-recommends skips: configuring then fails on a fresh machine), so they are named here.
build_pkgs=(build-essential cmake pkg-config libvulkan-dev mesa-vulkan-drivers vulkan-validationlayers
  glslang-tools spirv-tools libyaml-dev libstb-dev libjpeg-dev libcjson-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libdnnl-dev ocl-icd-opencl-dev)
# Tests also need Check, clang (the second compiler the build must be warning-free with) and
# Debian's PyTorch, which generates the parity references at test time.
# scipy, scikit-learn and PIL feed the evaluation and example references; make builds the out-of-tree
# example; chromium (headless) opens writer.report's page as a reader would (pipeline.report). A test whose
# dependency is missing is skipped, and CI fails on a skip.
test_pkgs=(check clang make python3 python3-torch python3-torchvision python3-numpy python3-pil python3-scipy
  python3-sklearn python3-yaml chromium)

pkgs=("${build_pkgs[@]}")
[ "${1:-}" = "--build" ] || pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
# Another apt (unattended-upgrades on a fresh machine, a second job) may hold the dpkg lock: wait for it
# up to 10 minutes instead of failing at once.
lock=(-o DPkg::Lock::Timeout=600)
$SUDO apt-get "${lock[@]}" update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${lock[@]}" install -y -q --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs the system packages diorama needs on Debian 12 (bookworm) or Ubuntu 22.04+:
# Mesa's Vulkan drivers (lavapipe, the software fallback when there is no GPU), the Vulkan loader,
# FFmpeg's development libraries (H.264 through libx264), clang for ffmpeg-sys' bindgen, and a single-node
# Slurm with munge (the job-array test stands one up: scripts/slurm/local-cluster.sh).
set -euo pipefail

packages=(
  mesa-vulkan-drivers libvulkan1
  libegl1 libegl-mesa0 libgl1-mesa-dri
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev libavdevice-dev
  pkg-config clang libclang-dev
  slurmctld slurmd slurm-client munge
)

if ! command -v cargo >/dev/null 2>&1; then
  echo "error: cargo is not installed. Install the Rust toolchain (https://rustup.rs) and run this again." >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all system packages are present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: run as root or install sudo (missing: ${missing[*]})" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Installs the system packages diorama needs on Debian 12 (bookworm) or Ubuntu 22.04+:
# Mesa's Vulkan drivers (lavapipe, the software fallback when there is no GPU), the Vulkan loader,
# FFmpeg's development libraries (H.264 through libx264), clang for ffmpeg-sys' bindgen, and a single-node
# Slurm with munge (the job-array test stands one up: scripts/slurm/local-cluster.sh), and Python with the
# webdataset library in a virtual environment under target/pyenv (the WebDataset export is tested with it),
# and Chromium (the HTML preview is tested by a headless screenshot).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

python_tools() {
  if "$repo/target/pyenv/bin/python3" -c 'import webdataset' 2>/dev/null; then
    echo "install-deps: target/pyenv has webdataset"
    return
  fi
  echo "install-deps: creating target/pyenv with webdataset"
  python3 -m venv "$repo/target/pyenv"
  "$repo/target/pyenv/bin/python3" -m pip install -q --disable-pip-version-check webdataset==1.0.2
}

packages=(
  mesa-vulkan-drivers libvulkan1
  libegl1 libegl-mesa0 libgl1-mesa-dri
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev libavdevice-dev
  pkg-config clang libclang-dev
  slurmctld slurmd slurm-client munge
  python3 python3-venv
  chromium
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
  python_tools
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
python_tools

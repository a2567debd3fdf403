#!/usr/bin/env bash
# Installs the Debian packages zkai's tests use: redis-server, chromium (the web console's browser tests, driven by
# playwright-core: no browser is downloaded), and Mesa 25's lavapipe (software Vulkan) from
# bookworm-backports for the WebGPU backend. Idempotent; safe to run on a developer machine.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "install-debian-packages: not root and no sudo; skipping (redis, chromium and WebGPU tests will skip)" >&2
    exit 0
  fi
fi

# The backports entry: the machine's own deb822 source stanza for the main archive, with its suite replaced.
src=/etc/apt/sources.list.d/debian.sources
backports=/etc/apt/sources.list.d/zkai-backports.sources
if [ -f "$src" ] && [ ! -f "$backports" ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  awk -v suite="${codename}-backports" -v codename="$codename" '
    BEGIN { RS = ""; ORS = "\n\n" }
    $0 ~ ("Suites:[^\n]*(^|[ \t])" codename "([ \t]|$)") || $0 ~ ("Suites: " codename "( |\n|$)") {
      gsub(/Suites:[^\n]*/, "Suites: " suite); print; exit
    }' "$src" | $SUDO tee "$backports" >/dev/null
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server chromium >/dev/null
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
if ! $SUDO apt-get install -y -qq --no-install-recommends -t "${codename}-backports" mesa-vulkan-drivers libvulkan1 >/dev/null; then
  echo "install-debian-packages: Mesa from ${codename}-backports unavailable; WebGPU tests will skip" >&2
fi
echo "== debian packages: redis $(redis-server --version | awk '{print $3}'), chromium $(dpkg-query -W -f='${Version}' chromium 2>/dev/null || echo none), mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo none)"

#!/usr/bin/env bash
# Installs the Debian packages zkai's tests use: redis-server, PostgreSQL (the store-of-record tests start throwaway
# clusters with its initdb/pg_ctl; no service is started), chromium (the web console's browser tests, driven by
# playwright-core: no browser is downloaded), iproute2 (`ip netns`: test/multi-host.test.ts puts workers on hosts of
# their own), and Mesa 25's lavapipe (software Vulkan) from
# bookworm-backports for the WebGPU backend. Idempotent; safe to run on a developer machine.
# Under CI=true it exits non-zero when it cannot install them: the tests that need them fail there rather than skip
# (test/require-dep.ts), so a CI run must not go on without them. Elsewhere it warns and goes on.
set -euo pipefail

in_ci() { [ "${CI:-}" = "true" ] || [ "${CI:-}" = "1" ]; }
# A missing package: fatal in CI, a warning on a developer machine (whose tests then skip).
missing() {
  if in_ci; then
    echo "install-debian-packages: $1; CI=true, so this is an error" >&2
    exit 1
  fi
  echo "install-debian-packages: $1; the tests that need it will skip" >&2
}

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    missing "not root and no sudo: cannot install redis-server, PostgreSQL, chromium and Mesa's lavapipe"
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
$SUDO apt-get install -y -qq --no-install-recommends redis-server postgresql chromium iproute2 >/dev/null
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
if ! $SUDO apt-get install -y -qq --no-install-recommends -t "${codename}-backports" mesa-vulkan-drivers libvulkan1 >/dev/null; then
  missing "Mesa from ${codename}-backports unavailable (the WebGPU backend's software driver)"
fi
command -v redis-server >/dev/null || missing "redis-server is not installed"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing "PostgreSQL (initdb) is not installed"
command -v chromium >/dev/null || missing "chromium is not installed"
command -v ip >/dev/null || missing "iproute2 (ip) is not installed"
dpkg-query -W -f='${Status}' mesa-vulkan-drivers 2>/dev/null | grep -q 'install ok installed' || missing "mesa-vulkan-drivers is not installed"
echo "== debian packages: redis $(redis-server --version | awk '{print $3}'), postgresql $(dpkg-query -W -f='${Version}' postgresql 2>/dev/null || echo none), chromium $(dpkg-query -W -f='${Version}' chromium 2>/dev/null || echo none), mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || echo none)"

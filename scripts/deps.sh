#!/bin/sh
# Installs the system packages lh needs when they are missing: with apt-get when we are root
# (or have password-less sudo), else prints the exact command and fails.
#   scripts/deps.sh          build dependencies (C libraries)
#   scripts/deps.sh test     plus what the tests use (zsh and fish to check completions, groff,
#                            bsdtar to list lh-pack archives, headless Chromium to render
#                            lh-report's HTML)
#   scripts/deps.sh bench    plus what the benchmark uses (GNU time for peak memory, the zstd CLI for the floor)
# Packages are installed without their recommends (Chromium's would pull in systemd, avahi
# and GTK; nothing here needs any).
set -eu
pkgs="libzstd-dev libarchive-dev libsnappy-dev zlib1g-dev pkg-config zstd"
case "${1:-}" in
test) pkgs="$pkgs zsh fish groff-base libarchive-tools chromium-headless-shell" ;;
bench) pkgs="$pkgs time zstd" ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"
else
  echo "deps: missing packages:$missing" >&2
  echo "deps: install them with: sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
echo "deps: installing$missing" >&2
$sudo apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends$missing >&2

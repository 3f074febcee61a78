#!/usr/bin/env bash
# Install what Exchange Corner needs on Debian or Ubuntu: system packages, then a virtual
# environment in .venv with the project in it. `--test` adds what the test suite needs
# (Chromium, the virtual smart-card reader, the test libraries). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
[ "${1:-}" = "--test" ] && with_tests=1

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

# python3-dev, gcc and libpcsclite-dev build pyscard; pcscd talks to NFC readers;
# libccid drives USB readers such as the ACR122U;
# fonts-noto-cjk draws the Chinese text (without a CJK font every character is a box).
packages=(python3 python3-venv python3-dev gcc libpcsclite-dev pcscd libccid fonts-noto-cjk fontconfig)
if [ "$with_tests" = 1 ]; then
  # poppler-utils reads the printed board back (pdfinfo, pdftotext) in the browser tests
  packages+=(vsmartcard-vpcd poppler-utils)
  # Debian calls the browser chromium; older Ubuntu releases chromium-browser
  if [ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ]; then :; else
    packages+=(chromium)
  fi
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "$with_tests" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi

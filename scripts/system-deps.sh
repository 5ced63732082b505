#!/usr/bin/env bash
# System packages the tests need: Debian's chromium for the Playwright browser tests.
# (No browser download is possible on these machines; Playwright drives /usr/bin/chromium.)
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q chromium
else
  sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
fi

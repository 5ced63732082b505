#!/usr/bin/env bash
# System packages the tests need: Debian's chromium for the Playwright browser tests, and
# pango + DejaVu fonts for WeasyPrint (the needs report as PDF).
# (No browser download is possible on these machines; Playwright drives /usr/bin/chromium.)
set -euo pipefail
if [ -x /usr/bin/chromium ] && ldconfig -p | grep -q libpango-1.0; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
else
  sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
fi

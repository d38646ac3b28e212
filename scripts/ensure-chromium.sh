#!/usr/bin/env bash
# The browser end-to-end test drives Debian's Chromium; install it when missing and we may.
# (Never a browser download of its own: the package comes from Debian's archive.)
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the end-to-end test…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "note: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get); the browser test will be skipped"
fi

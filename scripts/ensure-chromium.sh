#!/usr/bin/env bash
# Set-up step (npm run setup:chromium; .ci/run calls it before npm test): makes sure Debian's
# chromium is at /usr/bin/chromium for the HTML report check in test/conformance/e2e.test.ts.
# Installs it with apt-get when missing (CI runs as root), saying so first. Never fails the
# caller: exits 0 either way; the test skips, with its reason, when the binary is still absent.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "chromium: skipped (not installed, and apt-get as root is unavailable)"
  exit 0
fi
echo "chromium: not at /usr/bin/chromium; installing Debian's chromium with apt-get (a few minutes)"
# flock: several test files or engineers may ask at once; apt allows one writer.
limit="${CHROMIUM_INSTALL_TIMEOUT:-600}"
if flock /tmp/tc-apt.lock timeout "$limit" bash -c \
  'apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1' \
  && [ -x /usr/bin/chromium ]; then
  echo "chromium: installed"
else
  echo "chromium: skipped (apt-get install chromium failed or timed out)"
fi
exit 0

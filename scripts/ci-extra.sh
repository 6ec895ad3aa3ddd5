#!/usr/bin/env bash
# Extra CI checks, run by .ci/run after npm test (well under 10 minutes):
# 1. the conformance kit against the reference worker (npm run conformance, its baseline);
# 2. the example worker in Python (examples/python-worker/) against its own baseline; skipped with
#    one line when python3 is absent or the machine is not Linux or macOS (its profile's platforms);
# 3. the real Go generic-worker: install it (scripts/install-generic-worker.sh) and run the kit
#    against it with conformance/expectations/generic-worker.json; skipped with one line when Go
#    or the build is unavailable.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
status=0

# The HTML report check (in npm test) installs chromium itself; this makes a later local run quick.
scripts/ensure-chromium.sh

echo "::: conformance: reference worker"
node bin/tc-conformance.js --worker reference --report-dir reports/conformance || status=1

echo "::: conformance: examples/python-worker (Python 3, standard library only)"
if ! command -v python3 >/dev/null 2>&1; then
  echo "python-worker: conformance run skipped (no python3 on this machine)"
elif [ "$(uname -s)" != Linux ] && [ "$(uname -s)" != Darwin ]; then
  echo "python-worker: conformance run skipped (its profile runs on Linux and macOS only)"
else
  node bin/tc-conformance.js --worker examples/python-worker/profile.json \
    --expectations examples/python-worker/expectations.json \
    --report-dir reports/conformance-python-worker || status=1
fi

echo "::: conformance: generic-worker (upstream, v106.0.0)"
GENERIC_WORKER_INSTALL_TIMEOUT="${GENERIC_WORKER_INSTALL_TIMEOUT:-300}" scripts/install-generic-worker.sh
if [ -x .tools/bin/generic-worker ]; then
  node bin/tc-conformance.js --worker generic-worker --report-dir reports/conformance-generic-worker || status=1
else
  echo "generic-worker: conformance run skipped (no generic-worker binary could be built here)"
fi
exit $status

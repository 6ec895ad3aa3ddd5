#!/usr/bin/env bash
# Extra CI checks, run by .ci/run after npm test (well under 10 minutes without generic-worker binaries):
# 1. the conformance kit against the reference worker (npm run conformance, its baseline);
# 2. the example worker in Python (examples/python-worker/) against its own baseline; skipped with
#    one line when python3 is absent or the machine is not Linux or macOS (its profile's platforms);
# 3. the real Go generic-workers, v106.0.0 and 11.0.1, each judged against its measured baseline
#    (conformance/expectations/generic-worker*.json), when GENERIC_WORKER_BIN / GENERIC_WORKER_V11_BIN
#    name their binaries (livelog on PATH); otherwise one skip line each. The kit never builds them:
#    the Go module proxy does not serve generic-worker, and they are built from their upstream
#    repositories outside the project. With binaries, each run takes about 18–20 minutes (two cases
#    give generic-worker its 15-minute retry budget).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
status=0

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

gw_run() { # profile, env var naming the binary, version
  local bin="${!2:-}"
  echo "::: conformance: $1 (upstream $3)"
  if [ -n "$bin" ] && [ -x "$bin" ]; then
    node bin/tc-conformance.js --worker "$1" --jobs 2 --report-dir "reports/conformance-$1" || status=1
  else
    echo "$1: conformance run skipped ($2 does not name a generic-worker $3 binary)"
  fi
}
gw_run generic-worker GENERIC_WORKER_BIN v106.0.0
gw_run generic-worker-v11 GENERIC_WORKER_V11_BIN 11.0.1
exit $status

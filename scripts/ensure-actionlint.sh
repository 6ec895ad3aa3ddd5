#!/usr/bin/env bash
# Set-up step (npm run setup:actionlint; .ci/run calls it before npm test): makes sure actionlint
# is at .tools/bin/actionlint (gitignored) for the workflow check in test/platform/workflow.test.ts.
# Builds it from the Go module proxy when missing, saying so first. The build reaches the network,
# so it belongs here and never in a test: the proxy's answers vary from day to day. Never fails the
# caller: exits 0 either way; the test skips, naming this script, when the binary is still absent.
set -uo pipefail
cd "$(dirname "$0")/.."
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
bin="$PWD/.tools/bin/actionlint"
if [ -x "$bin" ]; then
  echo "actionlint: present ($("$bin" -version | head -1))"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "actionlint: skipped (not built, and go is not installed to build it)"
  exit 0
fi
echo "actionlint: not at .tools/bin; building ${ACTIONLINT_VERSION} from the Go module proxy (about 15 s)"
mkdir -p .tools/bin
limit="${ACTIONLINT_INSTALL_TIMEOUT:-300}"
# Two tries: a proxy that drops a connection once should not cost the check.
for attempt in 1 2; do
  if GOBIN="$PWD/.tools/bin" timeout "$limit" go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}" \
    && [ -x "$bin" ]; then
    echo "actionlint: built"
    exit 0
  fi
  echo "actionlint: go install failed (try ${attempt} of 2)"
done
echo "actionlint: skipped (go install github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION} failed twice)"
exit 0

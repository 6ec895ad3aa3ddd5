#!/usr/bin/env bash
# Installs the real Go generic-worker (v106.0.0, "insecure" engine = no per-task OS users)
# into a project-local GOBIN so the conformance kit can run against it.
# Prints one line and exits 0 with "skipped" when Go is absent or the build fails,
# so CI without Go stays green; prints the binary path on success.
set -uo pipefail
cd "$(dirname "$0")/.."
VERSION="${GENERIC_WORKER_VERSION:-v106.0.0}"
MODULE="github.com/taskcluster/taskcluster/v106/workers/generic-worker"
GOBIN_DIR="$PWD/.tools/bin"
BIN="$GOBIN_DIR/generic-worker"

if ! command -v go >/dev/null 2>&1; then
  echo "generic-worker: skipped (go is not installed)"
  exit 0
fi
if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "${VERSION#v}"; then
  echo "generic-worker: already installed at $BIN"
  exit 0
fi
mkdir -p "$GOBIN_DIR"
log="$PWD/.tools/install-generic-worker.log"
# timeout bounds a stalled module download; the build itself takes a few minutes on 2 cores.
if GOBIN="$GOBIN_DIR" GOFLAGS=-buildvcs=false timeout "${GENERIC_WORKER_INSTALL_TIMEOUT:-900}" \
  go install -tags insecure "$MODULE@$VERSION" >"$log" 2>&1; then
  echo "generic-worker: installed $VERSION at $BIN"
else
  echo "generic-worker: skipped (go install failed, see $log: $(tail -n 1 "$log" | sed "s/^[[:space:]]*//"))"
fi
exit 0

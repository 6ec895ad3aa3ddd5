#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint (they cannot run here). actionlint is built
# from the Go module proxy into .tools/bin (gitignored) the first time; exit 2 means no Go.
set -euo pipefail
cd "$(dirname "$0")/.."
ACTIONLINT_VERSION="${ACTIONLINT_VERSION:-v1.7.12}"
bin="$PWD/.tools/bin/actionlint"
if [ ! -x "$bin" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "lint-workflows: go is not installed, cannot build actionlint ${ACTIONLINT_VERSION}" >&2
    exit 2
  fi
  mkdir -p .tools/bin
  GOBIN="$PWD/.tools/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
fi
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(ci/github-actions.yml .github/workflows/*.yml)
fi
"$bin" -no-color "${files[@]}"
echo "lint-workflows: ${#files[@]} workflow file(s) clean"

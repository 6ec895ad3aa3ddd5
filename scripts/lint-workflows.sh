#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint (they cannot run here). Runs the binary that
# npm run setup:actionlint (scripts/ensure-actionlint.sh) built into .tools/bin; exit 2 when absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/.tools/bin/actionlint"
if [ ! -x "$bin" ]; then
  echo "lint-workflows: no actionlint at .tools/bin/actionlint: npm run setup:actionlint builds it" >&2
  exit 2
fi
if [ "$#" -gt 0 ]; then
  files=("$@")
else
  files=(ci/github-actions.yml .github/workflows/*.yml)
fi
"$bin" -no-color "${files[@]}"
echo "lint-workflows: ${#files[@]} workflow file(s) clean"

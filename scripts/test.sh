#!/usr/bin/env bash
# The test command. Two passes over the same suite:
#   1. embedded defaults (SQLite, in-memory cache) -- always run;
#   2. PostgreSQL + Redis from scripts/services.sh -- run when the server
#      binaries are installed; their absence is an error when CI=true.
# Extra arguments go to pytest. IDENTRA_TEST_WORKERS sets the xdist worker
# count (default 2; 0 or 1 runs without xdist). Exits non-zero if any pass
# fails; pytest's "no tests collected" (exit 5) counts as a failure.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

workers=${IDENTRA_TEST_WORKERS:-2}
xdist=()
if [[ $workers =~ ^[0-9]+$ && $workers -gt 1 ]]; then xdist=(-n "$workers"); fi

summary=()
failed=0
started_services=0

# Stop the servers on the way out, but only if this script started them.
# shellcheck disable=SC2317  # invoked via trap
cleanup() { if ((started_services)); then scripts/services.sh stop || true; fi; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

run_pass() { # run_pass LABEL -- runs pytest, records the outcome
  local label=$1 rc=0
  shift
  echo
  echo "================ pytest pass: $label ================"
  uv run pytest -q "${xdist[@]}" "$@" || rc=$?
  case $rc in
    0) summary+=("PASSED  $label") ;;
    5) summary+=("FAILED  $label (no tests collected)") ;;
    *) summary+=("FAILED  $label (pytest exit $rc)") ;;
  esac
  if ((rc != 0)); then failed=1; fi
}

# The console's component tests (Vitest; scripts/setup.sh installs its dependencies).
if [[ -f console/package.json ]]; then
  echo
  echo "================ vitest: console ================"
  if npm --prefix console test; then
    summary+=("PASSED  console (vitest)")
  else
    summary+=("FAILED  console (vitest)")
    failed=1
  fi
fi

# Pass 1: make sure a URL exported in the caller's shell can't leak in.
unset IDENTRA_TEST_DATABASE_URL IDENTRA_TEST_REDIS_URL
run_pass "embedded (SQLite + in-memory cache)" "$@"

# Pass 2.
label="PostgreSQL+Redis"
if scripts/services.sh check; then
  scripts/services.sh status >/dev/null 2>&1 || started_services=1
  if urls=$(scripts/services.sh start); then
    while IFS= read -r line; do export "${line?}"; done <<<"$urls"
    run_pass "$label" "$@"
  else
    summary+=("FAILED  $label (services did not start)")
    failed=1
  fi
else
  echo
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  echo "!!! PostgreSQL/Redis binaries missing: the $label pass did NOT run."
  echo "!!! Install them with: scripts/setup.sh --system"
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
  if [[ ${CI:-} == true ]]; then
    summary+=("FAILED  $label (binaries missing; required when CI=true)")
    failed=1
  else
    summary+=("SKIPPED $label (binaries missing)")
  fi
fi

echo
echo "================ test summary ================"
printf '%s\n' "${summary[@]}"
exit "$failed"

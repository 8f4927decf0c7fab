#!/usr/bin/env bash
# The project's test command: install the build dependencies, configure, build and run every
# CTest test.
#
#   cmake/run-tests.sh [extra cmake configure arguments...]
#
# Environment: SG_BUILD_DIR (default: build), SG_BUILD_TYPE (default: RelWithDebInfo).
# Exit status: that of the failing configure/build step, else that of ctest.
# The last line printed is a one-line summary.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir="${SG_BUILD_DIR:-build}"
build_type="${SG_BUILD_TYPE:-RelWithDebInfo}"
jobs="$(nproc)"
start=$SECONDS

summary() {
  local status=$1 what=$2
  local verdict=PASSED
  [[ $status -eq 0 ]] || verdict=FAILED
  echo "run-tests: ${verdict} — ${what} (exit ${status}, $((SECONDS - start))s total, build dir ${build_dir})"
}

step() {
  echo "==> $*"
  local t=$SECONDS status=0
  "$@" || status=$?
  echo "<== ${status} after $((SECONDS - t))s: $1 ${2:-}"
  return "$status"
}

status=0
step bash cmake/install-deps.sh || status=$?
if [[ $status -ne 0 ]]; then summary "$status" "installing dependencies failed"; exit "$status"; fi

step cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" "$@" || status=$?
if [[ $status -ne 0 ]]; then summary "$status" "configure failed"; exit "$status"; fi

step cmake --build "$build_dir" -j"$jobs" || status=$?
if [[ $status -ne 0 ]]; then summary "$status" "build failed"; exit "$status"; fi

step ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 300 || status=$?
if [[ $status -eq 0 ]]; then
  summary 0 "all tests passed"
else
  summary "$status" "some tests failed (see the list above)"
fi
exit "$status"

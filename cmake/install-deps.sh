#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need (idempotent: apt is only called
# when something is missing). Needs root or sudo. Used by .ci/run, run-main.sh and run-tests.sh.
#   bash cmake/install-deps.sh          what the build and the tests need
#   bash cmake/install-deps.sh --build  only what building needs (run-main.sh: no Postgres
#                                       server, Chromium or npm for the chatbot)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
build_only=0
[[ "${1:-}" == "--build" ]] && build_only=1

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ca-certificates git
  # libraries (see DESIGN.md §2)
  libboost-dev libboost-graph-dev nlohmann-json3-dev doctest-dev libcli11-dev libxxhash-dev
  libsqlite3-dev libpqxx-dev libcurl4-openssl-dev libspdlog-dev libfmt-dev libedit-dev
  libbenchmark-dev
  # embedded at build time in sg-agent-server's web page (the build works without them, and the
  # page then shows replies as plain text)
  libjs-marked node-dompurify libjs-highlight.js
)
if [[ $build_only -eq 0 ]]; then
  packages+=(
    # a real server for the Postgres saver tests
    postgresql
    # the headless browser of sg-chatbot's and sg-agent-server's web page tests (driven by
    # playwright-core from npm)
    chromium
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ $build_only -eq 1 ]] || command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)  # the mock-llm fixture of the OpenAIChatModel tests (npm ci)
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then as_root=(sudo -E); else
    echo "install-deps: missing ${missing[*]}; run as root (or install sudo) to install them" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
"${as_root[@]}" apt-get -o Acquire::Retries=3 update
"${as_root[@]}" apt-get -o Acquire::Retries=3 install -y --no-install-recommends "${missing[@]}"

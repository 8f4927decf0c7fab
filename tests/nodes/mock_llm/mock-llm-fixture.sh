#!/usr/bin/env bash
# The third-party OpenAI-compatible mock server @dwmkerr/mock-llm (npm registry) for the tests of
# sg::OpenAIChatModel (the CTest fixture sg_mock_llm).
#
#   mock-llm-fixture.sh start DIR [SRCDIR]   install the pinned package into DIR (npm ci from
#                                            SRCDIR/package.json + package-lock.json, only when
#                                            they changed), start the server on 127.0.0.1 at a
#                                            free port with SRCDIR/mock-llm.yaml, wait until it
#                                            answers /health, write its base URL to DIR/url
#   mock-llm-fixture.sh stop  DIR            stop the server started in DIR (by its pid; a no-op
#                                            when none runs)
#
# SRCDIR defaults to this script's directory. Everything stays under DIR (a directory in the build
# tree): node_modules, npm.log, server.log, pid and url. The tests find the URL through
# SG_TEST_MOCK_LLM_URL (the file DIR/url, or a URL). The port is chosen when the server starts,
# not at configure time, since several build trees share the machine. Runs unattended (no stdin),
# also as root. Needs Node.js >= 18.14 and npm (cmake/install-deps.sh installs Debian's nodejs
# and npm when npm is missing); without them the fixture fails and says so; the mock-llm tests
# then fail too (they are never skipped).
set -euo pipefail

die() { echo "mock-llm-fixture: $*" >&2; exit 1; }

[[ $# -ge 2 ]] || die "usage: $0 start|stop DIR [SRCDIR]"
action=$1
dir=$2
src=${3:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
main_js=$dir/node_modules/@dwmkerr/mock-llm/dist/main.js

is_ours() {  # $1 = pid: a live process running mock-llm's main.js
  [[ $1 =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "mock-llm/dist/main.js"
}

stop_server() {
  [[ -f $dir/pid ]] || return 0
  local pid
  pid=$(cat "$dir/pid" 2>/dev/null || true)
  if is_ours "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do is_ours "$pid" || break; sleep 0.1; done
    is_ours "$pid" && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid" "$dir/url"
}

case $action in
  stop)
    stop_server
    echo "mock-llm-fixture: stopped the server in $dir"
    ;;

  start)
    command -v node >/dev/null 2>&1 ||
      die "node not found: the mock-llm tests need Node.js (>= 18.14) and npm; on Debian: apt-get install nodejs npm (cmake/install-deps.sh does this when npm is missing)"
    command -v npm >/dev/null 2>&1 ||
      die "npm not found: the mock-llm tests install @dwmkerr/mock-llm with npm; on Debian: apt-get install npm (cmake/install-deps.sh does this when npm is missing)"
    stop_server  # a stale server from an aborted run
    mkdir -p "$dir"
    # npm keeps its cache under $HOME; without a writable one (some CI sandboxes), use the build tree.
    if [[ -z ${HOME:-} || ! -w ${HOME:-/nonexistent} ]] && [[ -z ${npm_config_cache:-} ]]; then
      export npm_config_cache=$dir/npm-cache
    fi

    if ! cmp -s "$src/package.json" "$dir/package.json" || ! cmp -s "$src/package-lock.json" "$dir/package-lock.json" ||
       [[ ! -f $main_js ]]; then
      cp "$src/package.json" "$src/package-lock.json" "$dir/"
      echo "mock-llm-fixture: npm ci in $dir ($(node --version), npm $(npm --version 2>/dev/null))"
      (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null) >"$dir/npm.log" 2>&1 ||
        { cat "$dir/npm.log" >&2; die "npm ci failed (log above); is the npm registry reachable?"; }
    fi
    [[ -f $main_js ]] || die "$main_js missing after npm ci (see $dir/npm.log)"
    version=$(node -p "require(process.argv[1]).version" "$dir/node_modules/@dwmkerr/mock-llm/package.json")

    started=""
    for attempt in $(seq 10); do
      port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
      HOST=127.0.0.1 PORT=$port setsid node "$main_js" --config "$src/mock-llm.yaml" </dev/null >"$dir/server.log" 2>&1 &
      pid=$!
      echo "$pid" >"$dir/pid"
      for _ in $(seq 200); do  # up to 20 s
        if node -e 'require("http").get(process.argv[1], r => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1));' \
             "http://127.0.0.1:$port/health" 2>/dev/null; then
          started=$port
          break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      [[ -n $started ]] && break
      if ! kill -0 "$pid" 2>/dev/null && grep -q "EADDRINUSE" "$dir/server.log"; then
        echo "mock-llm-fixture: port $port is taken (attempt $attempt), trying another one"
        continue
      fi
      cat "$dir/server.log" >&2 || true
      stop_server
      die "the server did not come up on port $port (log above)"
    done
    [[ -n $started ]] || die "no free port found after 10 attempts"

    echo "http://127.0.0.1:$started/v1" >"$dir/url"
    echo "mock-llm-fixture: @dwmkerr/mock-llm $version running on http://127.0.0.1:$started/v1 (pid $pid, log $dir/server.log)"
    ;;

  *) die "unknown action '$action' (start or stop)" ;;
esac

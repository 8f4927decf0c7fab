#!/usr/bin/env bash
# Installs the pinned third-party clients of a server's npm client tests (the CTest fixtures
# sg_chatbot_clients and sg_agent_server_clients): `npm ci --ignore-scripts` from
# SRCDIR/package.json + package-lock.json into DIR (a directory in the build tree), only when they
# changed, and copies the test scripts (SRCDIR/*.mjs) next to node_modules so that their imports
# resolve there. The packages checked after the install are the "dependencies" of package.json.
#
#   npm-fixture.sh DIR [SRCDIR]      (SRCDIR defaults to this script's directory: the chatbot's)
#
# Needs Node.js >= 18.14 and npm (cmake/install-deps.sh installs Debian's nodejs and npm when npm
# is missing). Without them, or without the registry, it fails and says so; the tests that need
# it then fail too (they are never skipped). playwright-core (chatbot) downloads no browser: the
# web page test uses Debian's chromium package.
set -euo pipefail

die() { echo "npm clients fixture: $*" >&2; exit 1; }

[[ $# -ge 1 ]] || die "usage: $0 DIR [SRCDIR]"
dir=$1
src=${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}

command -v node >/dev/null 2>&1 ||
  die "node not found: the npm client tests need Node.js (>= 18.14) and npm; on Debian: apt-get install nodejs npm (cmake/install-deps.sh does this)"
command -v npm >/dev/null 2>&1 ||
  die "npm not found: these tests install their clients ($src/package.json) with npm; on Debian: apt-get install npm (cmake/install-deps.sh does this)"

mkdir -p "$dir"
# npm keeps its cache under $HOME; without a writable one (some CI sandboxes), use the build tree.
if [[ -z ${HOME:-} || ! -w ${HOME:-/nonexistent} ]] && [[ -z ${npm_config_cache:-} ]]; then
  export npm_config_cache=$dir/npm-cache
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# The packages to check after the install: the "dependencies" of package.json.
mapfile -t packages < <(node -e 'for (const p of Object.keys(require(process.argv[1]).dependencies ?? {})) console.log(p)' "$src/package.json") ||
  die "cannot read the dependencies of $src/package.json"
[[ ${#packages[@]} -gt 0 ]] || die "$src/package.json lists no dependencies"
missing=0
for package in "${packages[@]}"; do [[ -f $dir/node_modules/$package/package.json ]] || missing=1; done

if ! cmp -s "$src/package.json" "$dir/package.json" || ! cmp -s "$src/package-lock.json" "$dir/package-lock.json" ||
   [[ $missing -ne 0 ]]; then
  cp "$src/package.json" "$src/package-lock.json" "$dir/"
  echo "npm clients fixture: npm ci in $dir ($(node --version), npm $(npm --version 2>/dev/null))"
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null) >"$dir/npm.log" 2>&1 ||
    { cat "$dir/npm.log" >&2; die "npm ci failed (log above); is the npm registry reachable?"; }
fi
cp "$src"/*.mjs "$dir/"
for package in "${packages[@]}"; do
  version=$(node -p "require(process.argv[1]).version" "$dir/node_modules/$package/package.json") ||
    die "$package missing after npm ci (see $dir/npm.log)"
  echo "npm clients fixture: $package $version in $dir"
done

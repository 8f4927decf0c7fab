#!/usr/bin/env bash
# The project's main job: installs the build dependencies (Debian 12 packages), builds
# sg-chatbot and starts it in the directory you ran this from — a terminal chat whose threads
# are kept in ./sg-chatbot.db (SQLite). Without a model endpoint it uses its offline fake model
# and says so; point it at one with e.g. `--base-url http://127.0.0.1:11434/v1 --model llama3.2`
# or `OPENAI_API_KEY=... `. Arguments are passed to sg-chatbot (`--help` lists them; `serve`
# starts the HTTP server). Environment: SG_BUILD_DIR (default: build, inside the source tree).
set -euo pipefail
here="$PWD"
src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${SG_BUILD_DIR:-$src/build}"
bash "$src/cmake/install-deps.sh" --build >&2
cmake -S "$src" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${SG_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build_dir" --target sg_chatbot -j"$(nproc)" >&2
cd "$here"
exec "$build_dir/examples/chatbot/sg-chatbot" "$@"

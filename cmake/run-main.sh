#!/usr/bin/env bash
# The project's main job: installs the build dependencies, builds, and runs the quickstart
# example (the tutorials' first graph with a scripted fake model). sg-chatbot replaces it when it
# lands. Environment: SG_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir="${SG_BUILD_DIR:-build}"
bash cmake/install-deps.sh
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${SG_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build_dir" --target sg_example_quickstart -j"$(nproc)"
exec "$build_dir/examples/quickstart"

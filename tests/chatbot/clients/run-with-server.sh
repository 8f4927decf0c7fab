#!/usr/bin/env bash
# Runs a command against a real server binary (not the library): `sg-chatbot serve` by default,
# or with --agent-server the Agent Server API server `sg-agent-server` (tests/agent_server):
#
#   run-with-server.sh [--agent-server] BIN WORKDIR [SERVER OPTIONS...] -- COMMAND [ARGS...]
#
# sg-chatbot: starts `BIN serve --host 127.0.0.1 --port 0 --checkpoints sqlite:WORKDIR/chat.db
# --offline SERVER OPTIONS...` and runs COMMAND with SG_CHATBOT_URL=http://127.0.0.1:PORT and
# SG_CHATBOT_DB=WORKDIR/chat.db.
# --agent-server: starts `BIN --host 127.0.0.1 --port 0 --store sqlite:WORKDIR/agent.db SERVER
# OPTIONS...` and runs COMMAND with SG_AGENT_SERVER_URL=http://127.0.0.1:PORT and
# SG_AGENT_SERVER_DB=WORKDIR/agent.db.
# Either way it reads the bound port from the server's "serving on http://HOST:PORT/" line, then
# stops the server with SIGTERM and checks that it exits with status 0. Exits with COMMAND's status
# (or 1 when the server fails). WORKDIR is emptied first; the server's log is WORKDIR/server.log.
set -euo pipefail

die() { echo "run-with-server: $*" >&2; exit 1; }
kind=chatbot
if [[ ${1:-} == "--agent-server" ]]; then kind=agent-server; shift; fi
[[ $# -ge 4 ]] || die "usage: $0 [--agent-server] BIN WORKDIR [SERVER OPTIONS...] -- COMMAND [ARGS...]"
bin=$1
work=$2
shift 2
server_args=()
while [[ $# -gt 0 && $1 != "--" ]]; do server_args+=("$1"); shift; done
[[ ${1:-} == "--" ]] || die "missing -- before the command"
shift
if [[ $kind == chatbot ]]; then
  target=sg_chatbot name=sg-chatbot db_file=chat.db url_var=SG_CHATBOT_URL db_var=SG_CHATBOT_DB
else
  target=sg_agent_server_demo name=sg-agent-server db_file=agent.db url_var=SG_AGENT_SERVER_URL db_var=SG_AGENT_SERVER_DB
fi
[[ -x $bin ]] || die "$bin is not an executable (build the $target target)"

rm -rf "$work"
mkdir -p "$work"
log=$work/server.log
if [[ $kind == chatbot ]]; then
  "$bin" serve --host 127.0.0.1 --port 0 --checkpoints "sqlite:$work/$db_file" --offline "${server_args[@]}" \
    </dev/null >"$log" 2>&1 &
else
  "$bin" --host 127.0.0.1 --port 0 --store "sqlite:$work/$db_file" "${server_args[@]}" </dev/null >"$log" 2>&1 &
fi
pid=$!
stop_server() {
  if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
}
trap stop_server EXIT

url=""
for _ in $(seq 300); do  # up to 30 s
  line=$(grep -o 'serving on http://[^/ ]*' "$log" 2>/dev/null | head -1 || true)
  if [[ -n $line ]]; then
    url=http://127.0.0.1:${line##*:}
    break
  fi
  kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "the server exited before it was serving (log above)"; }
  sleep 0.1
done
[[ -n $url ]] || { cat "$log" >&2; die "no 'serving on http://HOST:PORT' line from the server within 30 s (log above)"; }
echo "run-with-server: $name serving on $url (log $log)"

status=0
env "$url_var=$url" "$db_var=$work/$db_file" "$@" || status=$?

kill -TERM "$pid" 2>/dev/null || true
server_status=0
wait "$pid" || server_status=$?
trap - EXIT
if [[ $server_status -ne 0 ]]; then
  cat "$log" >&2
  echo "run-with-server: the server exited with status $server_status after SIGTERM (expected 0; log above)" >&2
  [[ $status -ne 0 ]] || status=1
fi
exit "$status"

#!/usr/bin/env bash
# Runs a command against a real `sg-chatbot serve` (the binary, not the library):
#
#   run-with-server.sh SG_CHATBOT WORKDIR [SERVER OPTIONS...] -- COMMAND [ARGS...]
#
# starts `SG_CHATBOT serve --host 127.0.0.1 --port 0 --checkpoints sqlite:WORKDIR/chat.db --offline
# SERVER OPTIONS...`, reads the bound port from its "serving on http://HOST:PORT/" line, runs
# COMMAND with SG_CHATBOT_URL=http://127.0.0.1:PORT and SG_CHATBOT_DB=WORKDIR/chat.db, then stops
# the server with SIGTERM and checks that it exits with status 0. Exits with COMMAND's status (or
# 1 when the server fails). WORKDIR is emptied first; the server's log is WORKDIR/server.log.
set -euo pipefail

die() { echo "run-with-server: $*" >&2; exit 1; }
[[ $# -ge 4 ]] || die "usage: $0 SG_CHATBOT WORKDIR [SERVER OPTIONS...] -- COMMAND [ARGS...]"
bin=$1
work=$2
shift 2
server_args=()
while [[ $# -gt 0 && $1 != "--" ]]; do server_args+=("$1"); shift; done
[[ ${1:-} == "--" ]] || die "missing -- before the command"
shift
[[ -x $bin ]] || die "$bin is not an executable (build the sg_chatbot target)"

rm -rf "$work"
mkdir -p "$work"
log=$work/server.log
"$bin" serve --host 127.0.0.1 --port 0 --checkpoints "sqlite:$work/chat.db" --offline "${server_args[@]}" \
  </dev/null >"$log" 2>&1 &
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
echo "run-with-server: sg-chatbot serving on $url (log $log)"

status=0
SG_CHATBOT_URL=$url SG_CHATBOT_DB=$work/chat.db "$@" || status=$?

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

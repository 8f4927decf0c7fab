#!/usr/bin/env bash
# A private PostgreSQL cluster for the Postgres saver tests (the CTest fixture sg_postgres_cluster).
#
#   cmake/postgres-fixture.sh start DIR [BINDIR]   initdb into DIR/data, start on 127.0.0.1 at a
#                                                  free port, write the URI to DIR/uri, print it
#   cmake/postgres-fixture.sh stop  DIR [BINDIR]   pg_ctl stop -m fast (a no-op when not running)
#   cmake/postgres-fixture.sh restart DIR [BINDIR] pg_ctl restart -m fast on the same port, data
#                                                  kept (every session ends: the tests of a
#                                                  Postgres restart mid-turn)
#
# DIR is a directory in the build tree; everything the cluster writes stays under it: the data
# directory, the Unix socket (DIR/sock), the server log (DIR/server.log) and DIR/uri, the file the
# tests find through SG_TEST_POSTGRES_URI. BINDIR holds initdb and pg_ctl (default: the newest
# /usr/lib/postgresql/*/bin, else PATH).
#
# The port is chosen when the cluster starts, not at configure time: several build trees (and
# engineers) share one machine, so a port that was free at configure time may not be free now.
# A port the server cannot bind is retried with another one.
#
# Postgres refuses to run as root. Run as root (as CI does), the cluster belongs to the
# unprivileged user SG_POSTGRES_FIXTURE_USER (default: postgres, created by Debian's postgresql
# package) and every server command runs through `runuser -u USER --`; DIR is chowned to it.
# Otherwise the cluster belongs to the current user. When that user cannot reach DIR (a build
# tree under /root, mode 700), the data directory and socket go to a fresh /tmp/sg-pg-cluster.*
# directory instead, whose path DIR/cluster-home records for `stop` and for the next `start`.
#
# The server is tuned for throwaway test data: fsync, synchronous_commit and full_page_writes
# off; authentication "trust" on loopback and the socket only; superuser "postgres".
# A stale cluster left in DIR by an aborted run is stopped and removed before a new one starts.
set -euo pipefail

die() { echo "postgres-fixture: $*" >&2; exit 1; }

[[ $# -ge 2 ]] || die "usage: $0 start|stop|restart DIR [BINDIR]"
action=$1
dir=$2
bindir=${3:-}

if [[ -z $bindir ]]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -z $bindir ]] && command -v initdb >/dev/null 2>&1; then bindir=$(dirname "$(command -v initdb)"); fi
fi
[[ -n $bindir && -x $bindir/initdb && -x $bindir/pg_ctl ]] ||
  die "initdb/pg_ctl not found (looked in '${bindir:-/usr/lib/postgresql/*/bin and PATH}'); install the Debian package 'postgresql'"

run_as=()
owner=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
  owner=${SG_POSTGRES_FIXTURE_USER:-postgres}
  id -u "$owner" >/dev/null 2>&1 ||
    die "running as root, the cluster needs an unprivileged user '$owner' (Debian's postgresql package creates 'postgres'; or set SG_POSTGRES_FIXTURE_USER)"
  run_as=(runuser -u "$owner" --)
fi

# Where the cluster lives: DIR, or the /tmp directory recorded in DIR/cluster-home.
home=$dir
if [[ -f $dir/cluster-home ]]; then home=$(cat "$dir/cluster-home"); fi
data=$home/data
log=$home/server.log

pg_ctl_stop() {  # $1 = mode
  [[ -f $data/PG_VERSION ]] || return 0
  "${run_as[@]}" "$bindir/pg_ctl" stop -D "$data" -m "$1" -w -t 30 >/dev/null 2>&1 && return 0
  # pg_ctl failed: either nothing runs (fine) or the postmaster ignores us; kill it by its pid.
  if [[ -f $data/postmaster.pid ]]; then
    local pid
    pid=$(head -n1 "$data/postmaster.pid" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null || true) == postgres* ]]; then
      kill -9 "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  fi
}

case $action in
  stop)
    pg_ctl_stop fast
    echo "postgres-fixture: stopped the cluster in $data"
    ;;

  start)
    # A stale cluster from an aborted run: stop it (immediately: its data is throwaway) and start
    # from nothing.
    pg_ctl_stop immediate
    if [[ $home != "$dir" && $home == /tmp/sg-pg-cluster.* ]]; then rm -rf "$home"; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    home=$dir
    if [[ ${#run_as[@]} -gt 0 ]]; then
      chown "$owner" "$dir"
      if ! "${run_as[@]}" test -w "$dir"; then
        home=$(mktemp -d /tmp/sg-pg-cluster.XXXXXX)
        chown "$owner" "$home"
        echo "$home" >"$dir/cluster-home"
        echo "postgres-fixture: user '$owner' cannot reach $dir (a parent directory is private); cluster in $home"
      fi
    fi
    data=$home/data
    log=$home/server.log
    mkdir -p "$home/sock"
    # The socket path must fit in sun_path (107 bytes) with "/.s.PGSQL.NNNNN" appended.
    sock=$(cd "$home/sock" && pwd)
    if (( ${#sock} > 85 )); then
      sock=$(mktemp -d /tmp/sg-pg-sock.XXXXXX)
      echo "postgres-fixture: build path too long for a Unix socket; socket in $sock"
    fi
    if [[ ${#run_as[@]} -gt 0 ]]; then chown -R "$owner" "$home" "$sock"; fi

    "${run_as[@]}" "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C --no-sync --no-instructions >"$home/initdb.log" 2>&1 ||
      { cat "$home/initdb.log" >&2; die "initdb failed (log above)"; }

    cat >>"$data/postgresql.conf" <<EOF

# --- stategraph test fixture (cmake/postgres-fixture.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 64MB
log_min_messages = warning
log_line_prefix = '%m [%p] %a '
EOF

    port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
    started=""
    for attempt in $(seq 20); do
      port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
      port_in_use "$port" && continue
      if "${run_as[@]}" "$bindir/pg_ctl" start -D "$data" -l "$log" -w -t 60 -o "-p $port" >/dev/null 2>&1; then
        started=$port
        break
      fi
      # Another process took the port between the check and the bind: try another one.
      grep -q "could not bind\|Address already in use\|could not create any TCP/IP sockets" "$log" 2>/dev/null ||
        { cat "$log" >&2 2>/dev/null || true; die "pg_ctl start failed (server log above)"; }
      echo "postgres-fixture: port $port is taken (attempt $attempt), trying another one"
    done
    [[ -n $started ]] || die "no free port found after 20 attempts"

    uri="postgresql://postgres@127.0.0.1:$started/postgres"
    echo "$uri" >"$dir/uri"
    echo "postgres-fixture: cluster running in $data ($("$bindir/postgres" --version)), $uri"
    ;;

  restart)
    [[ -f $dir/uri && -f $data/PG_VERSION ]] || die "no cluster to restart in $dir (start it first)"
    uri=$(cat "$dir/uri")
    port=${uri##*:}
    port=${port%%/*}
    "${run_as[@]}" "$bindir/pg_ctl" restart -D "$data" -l "$log" -m fast -w -t 60 -o "-p $port" >/dev/null 2>&1 ||
      { tail -n 20 "$log" >&2 2>/dev/null || true; die "pg_ctl restart failed (server log above)"; }
    echo "postgres-fixture: restarted the cluster in $data, $uri"
    ;;

  *) die "unknown action '$action' (start, stop or restart)" ;;
esac

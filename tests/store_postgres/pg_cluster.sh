#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster for the postgres_store tests and bench.
#
# Usage: tests/store_postgres/pg_cluster.sh start DIR   # prints and writes DIR/conninfo
#        tests/store_postgres/pg_cluster.sh stop DIR    # stops it and removes its files
#
# The server binaries come from Debian's `postgresql` package (/usr/lib/postgresql/*/bin).
# Without them, `start` writes nothing and exits 0: the tests then skip with a message.
# PostgreSQL refuses to run as root, so under root (CI) the cluster runs as `nobody`
# (runuser): its data, socket and log directories, in a fresh /tmp/webhookd-pg.*
# directory named in DIR/cluster_root, are made over to that user. It
# listens on 127.0.0.1 only, on a free port picked at random in 41000-48999 (several
# builds may run clusters side by side), with trust authentication: it is a test
# fixture, never a server to keep.
set -euo pipefail

action=${1:-}
dir=${2:-}
if [ -z "$action" ] || [ -z "$dir" ]; then
  echo "usage: $0 {start|stop} DIR" >&2
  exit 2
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)

# Runs a command as the cluster's owner: `nobody` when we are root, ourselves otherwise.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

port_is_free() {
  ! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# Stops the cluster whose files are under $1 (if it runs) and removes them.
stop_cluster() {
  local root=$1
  [ -n "$root" ] && [ -d "$root" ] || return 0
  if [ -n "$bindir" ] && [ -f "$root/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$root/data" -m fast -w -t 60 stop >/dev/null ||
      as_owner "$bindir/pg_ctl" -D "$root/data" -m immediate -w -t 60 stop >/dev/null || true
  fi
  [ -f "$root/log/server.log" ] && cp "$root/log/server.log" "$dir/server.log" 2>/dev/null
  rm -rf "$root"
}

case "$action" in
start)
  mkdir -p "$dir"
  rm -f "$dir/conninfo"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
    echo "pg_cluster: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin;" \
         "install them with scripts/install-deps.sh --tests" >&2
    exit 0
  fi
  # A cluster left by an interrupted run is stopped first.
  [ -f "$dir/cluster_root" ] && stop_cluster "$(cat "$dir/cluster_root")"
  # The cluster's files live in a short /tmp directory, not in DIR: the owner must
  # reach them (a build tree under /root is closed to `nobody`), and a Unix socket
  # path may not exceed 107 bytes.
  root=$(mktemp -d /tmp/webhookd-pg.XXXXXX)
  printf '%s\n' "$root" >"$dir/cluster_root"
  chmod 755 "$root"
  mkdir -p "$root/data" "$root/socket" "$root/log"
  if [ "$(id -u)" -eq 0 ]; then
    chown nobody:nogroup "$root/data" "$root/socket" "$root/log"
  fi
  chmod 700 "$root/data"
  as_owner "$bindir/initdb" -D "$root/data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; stop_cluster "$root"; exit 1; }

  # fsync off: the cluster is thrown away, and the tests must not wait on the disk.
  # WEBHOOKD_PG_DURABLE=1 keeps PostgreSQL's defaults, for benchmarks of durable work.
  opts="-c listen_addresses=127.0.0.1 -k $root/socket -c max_connections=200"
  if [ "${WEBHOOKD_PG_DURABLE:-0}" != 1 ]; then
    opts="$opts -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
  fi
  started=
  for _ in 1 2 3 4 5 6 7 8; do
    port=$((41000 + RANDOM % 8000))
    port_is_free "$port" || continue
    if as_owner "$bindir/pg_ctl" -D "$root/data" -l "$root/log/server.log" -w -t 60 \
         -o "$opts -p $port" start >/dev/null; then
      started=$port
      break
    fi
  done
  if [ -z "$started" ]; then
    echo "pg_cluster: the server did not start:" >&2
    tail -n 20 "$root/log/server.log" >&2 || true
    stop_cluster "$root"
    exit 1
  fi
  conninfo="host=127.0.0.1 port=$started user=postgres dbname=postgres"
  printf '%s\n' "$conninfo" >"$dir/conninfo"
  echo "$conninfo"
  ;;
stop)
  rm -f "$dir/conninfo"
  if [ -f "$dir/cluster_root" ]; then
    stop_cluster "$(cat "$dir/cluster_root")"
    rm -f "$dir/cluster_root"
  fi
  ;;
*)
  echo "usage: $0 {start|stop} DIR" >&2
  exit 2
  ;;
esac

#!/usr/bin/env bash
# scripts/run.sh -- run netflow on this machine: installs the Debian packages
# it needs, builds and installs the extension, starts (or restarts) a local
# PostgreSQL 15 cluster owned by an unprivileged OS user with the collector
# listening on UDP, creates the extension and says how to connect and stop.
#
# Usage: bash scripts/run.sh [stop]
# Environment: NETFLOW_DIR (cluster directory, default /var/tmp/netflow),
#   NETFLOW_PORT (PostgreSQL TCP port, default 5455),
#   NETFLOW_LISTEN (collector listen list, default *:2055),
#   NETFLOW_DB (database, default netflow).
# Running it again reuses the cluster and restarts the server.

set -eu
. "$(dirname "$0")/lib.sh"
cd "$NETFLOW_ROOT"

DIR=${NETFLOW_DIR:-/var/tmp/netflow}
DATA=$DIR/data
PORT=${NETFLOW_PORT:-5455}
LISTEN=${NETFLOW_LISTEN:-*:2055}
DB=${NETFLOW_DB:-netflow}
BIN=$PG_SYS_BIN

if [ "${1:-}" = stop ]; then
	cluster_stop "$BIN" "$DATA"
	say "stopped the server in $DATA"
	exit 0
fi

ensure_packages $RUN_PACKAGES
# Debian's postgresql package starts its own cluster on 5432; we use ours.

say "building"
make -s NETFLOW_WERROR=1 >/dev/null
say "installing into PostgreSQL $PG_MAJOR"
as_root make -s install >/dev/null

mkdir -p "$DIR"
chown "$(pg_os_user)" "$DIR"
if [ ! -f "$DATA/PG_VERSION" ]; then
	say "creating a cluster in $DATA"
	cluster_start "$BIN" "$DATA" "$PORT" \
		"shared_preload_libraries = 'netflow'" \
		"netflow.listen = '$LISTEN'" \
		"netflow.database = '$DB'" \
		"listen_addresses = 'localhost'" \
		"timezone = 'UTC'"
else
	say "restarting the server in $DATA"
	as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -m fast -w restart >/dev/null
fi

psql_cmd="psql -h $DATA -p $PORT -U postgres"
$psql_cmd -X -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 ||
	$psql_cmd -X -q -d postgres -c "CREATE DATABASE $DB" >/dev/null
$psql_cmd -X -q -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS netflow" >/dev/null
# A cluster made by an older checkout is upgraded in place (never dropped).
$psql_cmd -X -q -d "$DB" -c "ALTER EXTENSION netflow UPDATE" >/dev/null

cat <<EOF

netflow is running.
  collector:  UDP $LISTEN (NetFlow v5, v9, IPFIX) -> $DB.netflow.flows
  connect:    $psql_cmd $DB
  try:        SELECT * FROM netflow.collector_stats;
  log:        $DATA/server.log
  stop:       bash scripts/run.sh stop
EOF

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
CALLER_DIR=$PWD
cd "$NETFLOW_ROOT"

DIR=${NETFLOW_DIR:-/var/tmp/netflow}
case $DIR in /*) ;; *) DIR=$CALLER_DIR/$DIR ;; esac	# the server runs elsewhere
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
psql_cmd="psql -h $DATA -p $PORT -U postgres"
# Make the database and the extension (or bring an older one up to date:
# never dropped) while the server runs.
prepare_database() {
	PGOPTIONS="-c client_min_messages=warning" $psql_cmd -X -q -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 ||
		$psql_cmd -X -q -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null
	PGOPTIONS="-c client_min_messages=warning" $psql_cmd -X -q -d "$DB" \
		-c "CREATE EXTENSION IF NOT EXISTS netflow" \
		-c "ALTER EXTENSION netflow UPDATE" >/dev/null
}

if [ ! -f "$DATA/PG_VERSION" ]; then
	# First start without the collector, so that it never looks for a
	# database that does not exist yet (a FATAL line in a new user's first
	# log); then turn it on and restart.
	say "creating a cluster in $DATA"
	cluster_start "$BIN" "$DATA" "$PORT" \
		"shared_preload_libraries = 'netflow'" \
		"netflow.listen = ''" \
		"listen_addresses = 'localhost'" \
		"timezone = 'UTC'"
	say "creating database $DB with the extension"
	prepare_database
	{
		echo "# the collector (scripts/run.sh)"
		echo "netflow.listen = '$LISTEN'"
		echo "netflow.database = '$DB'"
	} >>"$DATA/postgresql.conf"
	say "starting the collector"
	as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -m fast -w restart >/dev/null
else
	say "restarting the server in $DATA"
	as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -m fast -w restart >/dev/null
	prepare_database
fi

cat <<EOF

netflow is running.
  collector:  UDP $LISTEN (NetFlow v5, v9, IPFIX)
  flows:      table netflow.flows in database "$DB"
  connect:    $psql_cmd $DB
  try:        SELECT * FROM netflow.collector_stats;
  log:        $DATA/server.log
  stop:       ${NETFLOW_DIR:+NETFLOW_DIR=$DIR }bash scripts/run.sh stop
EOF

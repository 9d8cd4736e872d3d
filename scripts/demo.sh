#!/usr/bin/env bash
# scripts/demo.sh -- show netflow at work on the cluster that scripts/run.sh
# started: loads a day of realistic history into netflow.flows (so the
# baseline detectors have something to compare with), then sends live
# NetFlow v5 traffic stamped with the current time to the collector on
# loopback, with labelled attacks starting a minute later (a horizontal
# and a vertical scan, RDP lateral movement, an exfiltration, a beacon, a
# flood).  The generator is scripts/demo_traffic.py (its labels say which
# host did what).
#
# Usage: bash scripts/demo.sh [minutes]      (default 30; Ctrl-C stops)
# Environment: NETFLOW_DIR, NETFLOW_PORT, NETFLOW_DB as for scripts/run.sh;
#   DEMO_UDP_PORT (collector port, default 2055; loopback only),
#   DEMO_HOSTS (background hosts, default 10000),
#   DEMO_HISTORY_HOURS (hours of history loaded first, default 24; 0 skips).

set -eu
. "$(dirname "$0")/lib.sh"
cd "$NETFLOW_ROOT"

DIR=${NETFLOW_DIR:-/var/tmp/netflow}
DATA=$DIR/data
PORT=${NETFLOW_PORT:-5455}
DB=${NETFLOW_DB:-netflow}
UDP=${DEMO_UDP_PORT:-2055}
HOSTS=${DEMO_HOSTS:-10000}
HISTORY=${DEMO_HISTORY_HOURS:-24}
MINUTES=${1:-30}
PSQL="psql -X -q -h $DATA -p $PORT -U postgres -d $DB"
GEN="python3 scripts/demo_traffic.py --hosts $HOSTS"

$PSQL -c 'SELECT 1' >/dev/null 2>&1 || {
	echo "demo.sh: cannot connect ($PSQL); start the server with: bash scripts/run.sh" >&2
	exit 1
}

if [ "$HISTORY" != 0 ]; then
	start=$(date -u -d "-$HISTORY hours" +%Y-%m-%dT%H:00:00Z)
	say "loading $HISTORY hours of history from $start (background only)"
	$PSQL -c "SELECT count(*) FROM netflow.create_partitions('$start', now() + interval '1 day')" >/dev/null
	# End the history an hour ago; live traffic follows.  Live datagrams
	# come from 127.0.0.1, so the history has that exporter too (volume
	# anomalies are judged per exporter).
	$GEN copy --start "$start" --hours "$((HISTORY - 1))" --exporter 127.0.0.1 |
		$PSQL -c "\\copy netflow.flows (time_start, time_end, time_received, exporter, src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, packets, bytes) FROM STDIN"
fi

cat <<EOF
==> sending live traffic to 127.0.0.1:$UDP for $MINUTES minutes (attacks from the second minute on)
    while it runs, in another terminal ($PSQL):
      SELECT * FROM netflow.top('src_addr', now() - interval '10 minutes', now(), 10);
      SELECT id, kind, src_addr, dst_addr, dst_port, score, state FROM netflow.alerts ORDER BY id;
      SELECT kind, src_addr, dst_addr, dst_port, score, evidence
        FROM netflow.detect(now() - interval '1 hour', now());
    Scans become alerts at the next maintenance run (netflow.maintenance_interval);
    the other detectors alert at their hourly run (detect_slow_every), and
    netflow.detect shows them at once.  See docs/detections.md.
EOF
exec $GEN send --host 127.0.0.1 --port "$UDP" --minutes "$MINUTES"

#!/usr/bin/env bash
# test/crosscheck/run.sh -- cross-check netflow.decode() against an
# independent decoder (tshark's cflow dissector) on real exporter output.
#
# Builds a deterministic pcap of varied traffic, has softflowd export it as
# NetFlow v5, v9 and IPFIX to a loopback UDP port while tshark captures the
# export datagrams, then decodes each capture in order with netflow.decode()
# on a throwaway cluster and compares every flow field with tshark's view
# (compare.py).  Prints TAP; exits non-zero on any failure.
#
# Usage: bash test/crosscheck/run.sh BINDIR WORKDIR
#   BINDIR: staged PostgreSQL bin directory with the extension installed
#   WORKDIR: scratch directory (created)
# Needs root (capturing on lo), softflowd, tshark, /usr/bin/python3 with
# scapy and psycopg.

set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../scripts/lib.sh"

BIN=${1:?usage: run.sh BINDIR WORKDIR}
WORK=${2:?usage: run.sh BINDIR WORKDIR}
PY=/usr/bin/python3
mkdir -p "$WORK"
chmod 755 "$WORK"

# Print a one-test TAP plan that fails with a reason, and exit.
bail() {
	echo "1..1"
	echo "not ok 1 - cross-check setup: $*"
	[ -f "$WORK/last.log" ] && sed 's/^/# /' "$WORK/last.log"
	exit 1
}

TSHARK_PID=""
DATA="$WORK/data"
rm -rf "$DATA"	# a cluster left by an earlier run in the same WORKDIR
# Stop what we started: the capture (if still running) and the cluster.
cleanup() {
	if [ -n "$TSHARK_PID" ]; then
		kill "$TSHARK_PID" 2>/dev/null
		wait "$TSHARK_PID" 2>/dev/null
	fi
	[ -f "$DATA/postmaster.pid" ] && cluster_stop "$BIN" "$DATA"
}
trap cleanup EXIT

# --- traffic ----------------------------------------------------------------
PCAP="$WORK/traffic.pcap"
# The shared deterministic generator of test/data.
"$PY" "$HERE/../data/make_pcap.py" "$PCAP" >"$WORK/last.log" 2>&1 ||
	bail "test/data/make_pcap.py failed"

# --- export with softflowd, capture with tshark ------------------------------
# capture NAME PORT OUT SOFTFLOWD-OPTIONS...: run softflowd on the pcap
# exporting to 127.0.0.1:PORT while tshark writes what arrives there to OUT.
capture() {
	local name=$1 port=$2 out=$3 i
	shift 3
	: >"$WORK/tshark-$name.log"	# exists before the first grep below
	tshark -i lo -f "udp port $port" -w "$out" </dev/null >"$WORK/tshark-$name.log" 2>&1 &
	TSHARK_PID=$!
	for i in $(seq 100); do
		grep -q "Capturing on" "$WORK/tshark-$name.log" && break
		sleep 0.1
	done
	grep -q "Capturing on" "$WORK/tshark-$name.log" || {
		cp "$WORK/tshark-$name.log" "$WORK/last.log"
		return 1
	}
	sleep 0.5	# "Capturing on" is printed just before the capture opens
	timeout 60 softflowd -r "$PCAP" -c none -a -d "$@" \
		-p "$WORK/softflowd-$name.pid" -n "127.0.0.1:$port" \
		</dev/null >"$WORK/softflowd-$name.log" 2>&1 || {
		cp "$WORK/softflowd-$name.log" "$WORK/last.log"
		return 1
	}
	sleep 1	# let the last datagrams reach the capture
	kill -INT "$TSHARK_PID"
	wait "$TSHARK_PID"
	TSHARK_PID=""
	[ -s "$out" ]
}

# Export variants: name, protocol version, softflowd options.  v5 carries
# IPv4 only; -6 makes v9 and IPFIX export IPv6 flows too.  -T ether adds
# MAC and VLAN fields, -s a sampling options record, -A absolute times,
# -b IPFIX bidirectional records.
VARIANTS="
v5:5:-v 5
v9:9:-v 9 -6
ipfix:10:-v 10 -6
v9-ether-sampled:9:-v 9 -6 -T ether -s 4
ipfix-milli-ether:10:-v 10 -6 -A milli -T ether
ipfix-micro-sampled:10:-v 10 -6 -A micro -s 3
ipfix-nano:10:-v 10 -6 -A nano
ipfix-bidir:10:-v 10 -6 -b
"
CAPTURES=""
while IFS=: read -r name version opts; do
	[ -n "$name" ] || continue
	port=$(free_port)
	# shellcheck disable=SC2086
	capture "$name" "$port" "$WORK/export-$name.pcapng" $opts ||
		bail "capturing softflowd $opts output failed"
	CAPTURES="$CAPTURES $name:$version:$WORK/export-$name.pcapng:$port"
done <<<"$VARIANTS"

# --- decode on a throwaway cluster and compare -------------------------------
PGPORT=$(free_port)
cluster_start "$BIN" "$DATA" "$PGPORT" "timezone = 'UTC'" ||
	{ cp "$DATA/server.log" "$WORK/last.log" 2>/dev/null; bail "starting the cluster failed"; }
"$BIN/psql" -X -q -h "$DATA" -p "$PGPORT" -U postgres -d postgres \
	-c 'CREATE EXTENSION netflow' >"$WORK/last.log" 2>&1 ||
	bail "CREATE EXTENSION netflow failed"

"$PY" "$HERE/compare.py" --host "$DATA" --port "$PGPORT" --db postgres $CAPTURES
rc=$?
if grep -qE 'terminated by signal' "$DATA/server.log"; then
	echo "# server crash:"
	grep -E 'terminated by signal' "$DATA/server.log" | sed 's/^/# /'
	rc=1
fi
exit $rc

#!/usr/bin/env bash
# scripts/bench_compress.sh -- storage benchmark (issue 11), called by
# scripts/bench.sh with its work directory, the staged PostgreSQL's bin
# directory first on PATH.
#
# The same realistic flows (test/tools/flowsynth: BENCH_COMPRESS_FLOWS over
# 7 days, four IPFIX exporters, seeded) go
#   - to nfcapd over loopback UDP, one nfcapd run per hour of export time,
#     so each hour is one LZ4 file (nfcapd -y) named after its hour, as
#     nfcapd's file rotation would have named it live; every file is
#     checked to hold all the flows of its hour (re-sent slower if not);
#   - into netflow.flows through netflow.decode() of the very same
#     datagrams, in the order they were sent;
# and the totals of both sides are printed and compared.  Then it prints
# bytes per flow (heap partitions with all their storage, nfdump LZ4,
# nfdump uncompressed, Citus columnar when installed, compressed partitions
# when this build has netflow.compress_partition), the empirical entropy
# of each column as a floor, and the time of five queries (and of the
# one-hour query over an average hour and over its day) on each storage
# beside nfdump's time for the same question over the nfcapd files, with
# the ratio.  Each timing is the best of BENCH_COMPRESS_RUNS runs (default
# 3), the SQL and nfdump runs alternating.
#
# Usage: bash scripts/bench_compress.sh WORKDIR
# Environment: BENCH_COMPRESS_FLOWS (default 10000000), BENCH_COMPRESS_RUNS
# (default 3), BENCH_COMPRESS_RATIO_RUNS (default 11: the runs of the hours
# and their day measured again for their ratio), BENCH_COMPRESS_SEED (default
# 11), BENCH_COMPRESS_DAYS (default 7; at least 4, fewer only to try the
# script out).

set -u
. "$(dirname "$0")/lib.sh"
cd "$NETFLOW_ROOT"

WORK=$1
N=${BENCH_COMPRESS_FLOWS:-10000000}
RUNS=${BENCH_COMPRESS_RUNS:-3}
RATIO_RUNS=${BENCH_COMPRESS_RATIO_RUNS:-11}
SEED=${BENCH_COMPRESS_SEED:-11}
DAYS=${BENCH_COMPRESS_DAYS:-7}	# fewer (at least 4) only to try the script out
T0=1793577600					# 2026-11-02 00:00 UTC, a Monday
BIN=$(dirname "$(command -v postgres)")
LIB=$(cd "$BIN/../lib" && pwd)
C=$WORK/compress
SYN=$C/synth
LZ4=$C/nfdump-lz4
DATA=$C/data
mkdir -p "$SYN" "$LZ4" "$C/cur"
chmod 755 "$C" "$SYN"

say_load() { echo "load: $(uptime | sed 's/.*load average/load average/') ($(nproc) CPUs)"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# The nfdump time format of a Unix time.
nftime() { date -u -d "@$1" +%Y/%m/%d.%H:%M:%S; }
# The nfcapd file name of the hour starting at a Unix time.
nfname() { date -u -d "@$1" +nfcapd.%Y%m%d%H%M; }
sqltime() { date -u -d "@$1" '+%Y-%m-%d %H:%M:%S+00'; }

echo "bench_compress: $N flows over $DAYS days (seed $SEED), best of $RUNS runs"
say_load

# ------------------------------------------------------------ generation
make -s -C test/tools flowsynth >/dev/null || exit 1
t=$(now)
GEN=$(test/tools/flowsynth gen -o "$SYN" -n "$N" -d "$DAYS" -s "$SEED" -t "$T0") || exit 1
eval "$(echo "$GEN" | tr ' ' '\n' | sed 's/^/GEN_/')"
echo "generator: $GEN ($(elapsed "$t" "$(now)") s)"

# ------------------------------------------------------------ nfcapd
# One nfcapd run per hour file: start, send the hour at RATE datagrams/s,
# stop (nfcapd closes its file on SIGTERM), name the file after the hour,
# check its flow count; an hour that lost flows is sent again slower.
UDP=$(free_port)
nfcapd_hour() {
	local h=$1 rate=$2 pid i
	rm -f "$C/cur"/nfcapd.* "$C/nfcapd.log"
	nfcapd -w "$C/cur" -p "$UDP" -b 127.0.0.1 -y -B 8000000 -C none -t 3600 \
		>"$C/nfcapd.log" 2>&1 &
	pid=$!
	for i in $(seq 1 100); do
		grep -q "Startup nfcapd" "$C/nfcapd.log" 2>/dev/null && break
		sleep 0.02
	done
	test/tools/flowsynth replay -f "$SYN/$(printf h%04d.dgr "$h")" -p "$UDP" -r "$rate" >/dev/null || return 1
	sleep 0.05
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	# nfcapd rotates at wall-clock multiples of -t: a run that crossed one
	# left two files, and the hour is sent again (return 2).
	set -- "$C/cur"/nfcapd.2*
	[ -f "$1" ] || return 1
	[ $# = 1 ] || return 2
	mv "$1" "$LZ4/$(nfname $((T0 + h * 3600)))"
}
# The rate adapts: halved after a loss, raised by a quarter (up to 20,000
# datagrams/s) after 8 hours without one.
t=$(now)
resent=0
rate=10000
clean=0
HOURS=$((DAYS * 24))
while read -r h hf hp hb hd; do
	for try in 1 2 3 4 5 6; do
		nfcapd_hour "$h" "$rate"
		case $? in
			0) ;;
			2) nfcapd_hour "$h" "$rate" || { echo "nfcapd failed for hour $h"; cat "$C/nfcapd.log"; exit 1; } ;;
			*) echo "nfcapd failed for hour $h"; cat "$C/nfcapd.log"; exit 1 ;;
		esac
		got=$(nfdump -r "$LZ4/$(nfname $((T0 + h * 3600)))" -I | sed -n 's/^Flows: //p')
		[ "$got" = "$hf" ] && break
		[ "$try" = 6 ] && { echo "nfcapd lost flows of hour $h even at $rate datagrams/s: $got of $hf"; exit 1; }
		resent=$((resent + 1))
		rate=$((rate / 2 > 250 ? rate / 2 : 250))
		clean=0
	done
	clean=$((clean + 1))
	if [ $clean -ge 8 ] && [ $rate -lt 20000 ]; then
		rate=$((rate * 5 / 4 < 20000 ? rate * 5 / 4 : 20000))
		clean=0
	fi
done <"$SYN/hours.tsv"
echo "$(nfdump -V 2>&1 | head -1)"
echo "nfcapd -y: $HOURS hourly files written in $(elapsed "$t" "$(now)") s ($resent hours sent again after a loss; last rate $rate datagrams/s)"
NF=$(nfdump -R "$LZ4" -I)
NF_FLOWS=$(echo "$NF" | sed -n 's/^Flows: //p')
NF_PACKETS=$(echo "$NF" | sed -n 's/^Packets: //p')
NF_BYTES=$(echo "$NF" | sed -n 's/^Bytes: //p')
# The uncompressed reference: the same records rewritten without compression.
nfdump -R "$LZ4" -w "$C/nfdump-plain.nf" >/dev/null || exit 1

# ------------------------------------------------------------ PostgreSQL
PORT=$(free_port)
PRELOAD=netflow
HAVE_CITUS=0
if [ -f "$LIB/citus_columnar.so" ] && [ -f "$BIN/../../../../share/postgresql/$PG_MAJOR/extension/citus_columnar.control" ]; then
	PRELOAD="netflow,citus_columnar"
	HAVE_CITUS=1
fi
cluster_start "$BIN" "$DATA" "$PORT" \
	"shared_preload_libraries = '$PRELOAD'" "netflow.listen = ''" \
	"shared_buffers = '1GB'" "max_parallel_workers_per_gather = 2" \
	"max_wal_size = '8GB'" "timezone = 'UTC'" "autovacuum = off" || { cat "$DATA/server.log"; exit 1; }
trap 'cluster_stop "$BIN" "$DATA"' EXIT
q() { "$BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h "$DATA" -p "$PORT" -U postgres -d postgres "$@"; }
q -c 'CREATE EXTENSION netflow' >/dev/null || exit 1
if [ $HAVE_CITUS = 1 ] && ! q -c 'CREATE EXTENSION citus_columnar' >/dev/null; then
	echo "citus_columnar is installed but does not load in the staged PostgreSQL: Citus columnar skipped"
	HAVE_CITUS=0
fi
q -c "SELECT count(*) FROM netflow.create_partitions('$(sqltime $((T0 - 86400)))', '$(sqltime $((T0 + (DAYS + 1) * 86400)))')" >/dev/null || exit 1

t=$(now)
q <<SQL || exit 1
CREATE TABLE bench_dgrams (seq bigint, exporter inet, received timestamptz, pdu bytea);
\copy bench_dgrams FROM '$SYN/dgrams.copy' (FORMAT binary)
\o /dev/null
SELECT netflow.decode_reset();
\o
INSERT INTO netflow.flows
SELECT f.*
FROM (SELECT * FROM bench_dgrams ORDER BY seq) AS d,
	 LATERAL netflow.decode(d.pdu, d.exporter, d.received, true) AS f;
\o /dev/null
SELECT counter, value FROM netflow.decode_stats();
\o
DROP TABLE bench_dgrams;
SQL
load_s=$(elapsed "$t" "$(now)")
DROPS=$(q -c "SELECT coalesce(string_agg(counter || '=' || value, ' '), 'none') FROM netflow.decode_stats() WHERE (counter LIKE 'drop%' OR counter LIKE 'invalid%' OR counter LIKE 'pending%') AND value > 0")
t=$(now)
q -c 'VACUUM (ANALYZE) netflow.flows' || exit 1
read -r PG_FLOWS PG_PACKETS PG_BYTES < <(q -F ' ' -c 'SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows')
echo "netflow.flows: loaded through netflow.decode() of the same datagrams in $load_s s, VACUUM ANALYZE $(elapsed "$t" "$(now)") s; decoder drops: $DROPS"
echo "totals   generator: $GEN_flows flows $GEN_packets packets $GEN_bytes bytes"
echo "         nfdump -I: $NF_FLOWS flows $NF_PACKETS packets $NF_BYTES bytes"
echo "     netflow.flows: $PG_FLOWS flows $PG_PACKETS packets $PG_BYTES bytes"
SAME=false
[ "$NF_FLOWS $NF_PACKETS $NF_BYTES" = "$PG_FLOWS $PG_PACKETS $PG_BYTES" ] &&
	[ "$PG_FLOWS $PG_PACKETS $PG_BYTES" = "$GEN_flows $GEN_packets $GEN_bytes" ] && SAME=true
echo "check: both sides hold the same flows, packets and bytes as generated: $SAME"

# ------------------------------------------------------------ sizes
LZ4_BYTES=$(du -cb "$LZ4"/nfcapd.* | tail -1 | cut -f1)
PLAIN_BYTES=$(du -cb "$C/nfdump-plain.nf" | tail -1 | cut -f1)
HEAP_BYTES=$(q -c 'SELECT sum(pg_total_relation_size(partition)) FROM netflow.flows_partitions()')
bpf() { awk -v b="$1" -v n="$PG_FLOWS" 'BEGIN { printf "%.1f", b / n }'; }
size_line() {	# label bytes
	printf '%-44s %7s B/flow  %9.1f MB  %s nfdump LZ4\n' "$1" "$(bpf "$2")" \
		"$(awk -v b="$2" 'BEGIN { print b / 1e6 }')" "$(ratio "$2" "$LZ4_BYTES")"
}
echo "== sizes (bytes per flow, all storage included; ratio to nfdump's LZ4 files of the same flows)"
size_line "nfdump LZ4 files (nfcapd -y)" "$LZ4_BYTES"
size_line "nfdump uncompressed (nfdump -w, no -y)" "$PLAIN_BYTES"
size_line "heap partitions (heap+BRIN+TOAST+FSM+VM)" "$HEAP_BYTES"

# ------------------------------------------------------------ entropy floor
# The Shannon entropy of each column's values, NULL counted as a value:
# netflow.entropy ignores NULLs, so H = h(p) + p H(non-NULL values), p the
# share of non-NULL values (the grouping rule).  One scan for every column
# but the times, then one per time column (netflow.entropy keeps each
# distinct value in memory: about 10 million per time column).  The time
# columns as a compressor would store them: time_end - time_start and
# time_received - time_end (GROUP BY; few distinct values).
COLS=$(q -c "SELECT string_agg(attname, ' ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'netflow.flows'::regclass AND attnum > 0 AND NOT attisdropped")
TIMES="time_start time_end time_received"
ent_sel() {	# columns -> select list: name, count(col), entropy(col) per column
	local c sel=""
	for c in "$@"; do sel="$sel, '$c', count($c), coalesce(netflow.entropy($c), 0)"; done
	echo "$sel"
}
ent_rows() {	# columns: "name bits" lines
	q -F ' ' -c "SET max_parallel_workers_per_gather = 2" -c "SELECT count(*) $(ent_sel "$@") FROM netflow.flows" |
		awk '{ n = $1; for (i = 2; i < NF; i += 3) { p = $(i+1) / n; h = 0;
			 if (p > 0 && p < 1) h = -p * log(p) / log(2) - (1 - p) * log(1 - p) / log(2);
			 printf "%s %.6f\n", $i, h + p * $(i+2) } }'
}
ent_group() {	# name expression: "name bits" of GROUP BY expression
	echo "$1 $(q -c "SET work_mem = '256MB'" -c "SELECT (ln(sum(c)) - sum(c * ln(c)) / sum(c)) / ln(2) FROM (SELECT count(*)::float8 AS c FROM netflow.flows GROUP BY $2) AS g")"
}
t=$(now)
{
	# shellcheck disable=SC2046
	ent_rows $(for c in $COLS; do case " $TIMES " in *" $c "*) ;; *) echo "$c" ;; esac; done)
	for c in $TIMES; do ent_rows "$c"; done
	ent_group dtime_end "time_end - time_start"
	ent_group dtime_received "time_received - time_end"
} >"$C/entropy.txt"
ENT_S=$(elapsed "$t" "$(now)")
read -r FLOOR FLOOR_D < <(awk -v cols="$COLS" '
	{ h[$1] = $2 }
	END { n = split(cols, c, " "); for (i = 1; i <= n; i++) s += h[c[i]];
		  d = s - h["time_end"] - h["time_received"] + h["dtime_end"] + h["dtime_received"];
		  printf "%.1f %.1f\n", s / 8, d / 8 }' "$C/entropy.txt")
echo "== entropy of the data (bits per flow of each column, NULL counted as a value; computed in $ENT_S s)"
awk -v cols="$COLS" '{ h[$1] = $2 } END { n = split(cols, c, " "); line = "";
	for (i = 1; i <= n; i++) { line = line sprintf("%s %.2f  ", c[i], h[c[i]]); if (i % 6 == 0 || i == n) { print line; line = "" } }
	printf "as deltas: time_end - time_start %.2f, time_received - time_end %.2f\n", h["dtime_end"], h["dtime_received"] }' "$C/entropy.txt"
printf '%-44s %7s B/flow               %s nfdump LZ4\n' "floor: sum of the column entropies" "$FLOOR" "$(ratio "$FLOOR" "$(bpf "$LZ4_BYTES")")"
printf '%-44s %7s B/flow               %s nfdump LZ4\n' "floor, time_end and time_received as deltas" "$FLOOR_D" "$(ratio "$FLOOR_D" "$(bpf "$LZ4_BYTES")")"

# ------------------------------------------------------------ queries
# The host: a busy internal client of the generator; the hour: Thursday
# 14:00-15:00 (the busiest of the generator's daily curve), its day
# Thursday; and the hour of Thursday whose flows are nearest its average
# hour's (a day's flows / 24), found in the data.
HOST=$GEN_host
H0=$((T0 + 3 * 86400 + 14 * 3600))
D0=$((T0 + 3 * 86400))
HA=$(q -c "SELECT extract(epoch FROM h)::bigint FROM (SELECT date_trunc('hour', time_start) AS h, count(*) AS n FROM netflow.flows WHERE time_start >= '$(sqltime $D0)' AND time_start < '$(sqltime $((D0 + 86400)))' GROUP BY 1) AS s ORDER BY abs(n - (SELECT sum(n) / 24.0 FROM (SELECT count(*) AS n FROM netflow.flows WHERE time_start >= '$(sqltime $D0)' AND time_start < '$(sqltime $((D0 + 86400)))') AS t)), h LIMIT 1")
HA_LABEL="Thu $(date -u -d "@$HA" +%H:%M)-$(date -u -d "@$((HA + 3600))" +%H:%M)"
# A rare host, as in a sweep for an indicator of compromise: the first
# address (in address order) seen in 3 to 5 flows of the 7 days.
read -r RARE RARE_N < <(q -F ' ' -c "SELECT a, n FROM (SELECT a, count(*) AS n FROM netflow.flows, LATERAL (VALUES (src_addr), (dst_addr)) AS v(a) WHERE a IS NOT NULL GROUP BY a) AS s WHERE n BETWEEN 3 AND 5 ORDER BY a LIMIT 1")
RARE=${RARE%/32}
SQL_SET="SET jit = off; SET max_parallel_workers_per_gather = 2;"
q_topn() { echo "SELECT item, weight FROM netflow.topn_items((SELECT netflow.topn(src_addr, bytes, 1000) FROM $1 $2), 10)"; }
q_ent() { echo "SELECT netflow.entropy(dst_port) FROM $1"; }
q_host() { echo "SELECT * FROM $1 WHERE src_addr = '${2:-$HOST}' OR dst_addr = '${2:-$HOST}'"; }
# The windows as nfdump -t has them: flows that start and end within.
W_HOUR="WHERE time_start >= '$(sqltime $H0)' AND time_start < '$(sqltime $((H0 + 3600)))' AND time_end <= '$(sqltime $((H0 + 3600)))'"
W_AVG="WHERE time_start >= '$(sqltime $HA)' AND time_start < '$(sqltime $((HA + 3600)))' AND time_end <= '$(sqltime $((HA + 3600)))'"
W_DAY="WHERE time_start >= '$(sqltime $D0)' AND time_start < '$(sqltime $((D0 + 86400)))' AND time_end <= '$(sqltime $((D0 + 86400)))'"
# nfdump: all files; the hour's file and the next (flows of the hour
# exported after it ends); the day's files and the next hour's.
NF_ALL=(-R "$LZ4")
NF_HOUR=(-R "$LZ4/$(nfname $H0):$(nfname $((H0 + 3600)))" -t "$(nftime $H0)-$(nftime $((H0 + 3600)))")
NF_AVG=(-R "$LZ4/$(nfname $HA):$(nfname $((HA + 3600)))" -t "$(nftime $HA)-$(nftime $((HA + 3600)))")
NF_DAY=(-R "$LZ4/$(nfname $D0):$(nfname $((D0 + 86400)))" -t "$(nftime $D0)-$(nftime $((D0 + 86400)))")

# Wall time depends on the machine's load (nfdump's threads and the
# parallel workers each get a share of the 2 cores), so each run also
# measures CPU time: nfdump's user + system time, and for SQL the user +
# system time of the backend and its parallel workers, read from the
# postmaster's reaped-children times (/proc/PID/stat cutime + cstime)
# around the psql run.
CLK=$(getconf CLK_TCK)
pm_cpu() { awk '{ print $16 + $17 }' "/proc/$(head -1 "$DATA/postmaster.pid")/stat"; }
# sql_once QUERY: "wall cpu" seconds of one run (wall from psql's \timing),
# the rows sent to /dev/null.
sql_once() {
	local c0 c1 w
	c0=$(pm_cpu)
	w=$(q -c "$SQL_SET" -c '\o /dev/null' -c '\timing on' -c "$1" |
		sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
	sleep 0.1					# the postmaster reaps the backend
	c1=$(pm_cpu)
	awk -v w="$w" -v a="$c0" -v b="$c1" -v k="$CLK" 'BEGIN { printf "%.3f %.2f", w / 1000, (b - a) / k }'
}
# nfdump_once ARGS...: "wall cpu" seconds of one nfdump run, output to
# /dev/null.
nfdump_once() {
	local TIMEFORMAT='%R %U %S' r
	r=$({ time nfdump -q "$@" >/dev/null 2>&1; } 2>&1)
	echo "$r" | awk '{ printf "%.3f %.2f", $1, $2 + $3 }'
}
# sql_warm QUERY: wall seconds of the best of RUNS runs in one session,
# after one run not counted (the session's catalog caches and memory
# warm, as in a connection pool): the cost of the scan without the ~20 ms
# a fresh backend spends on its first query.
sql_warm() {
	local args=(-c "$SQL_SET" -c '\o /dev/null' -c "$1" -c '\timing on') i
	for ((i = 0; i < RUNS; i++)); do args+=(-c "$1"); done
	q "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n | head -1 |
		awk '{ printf "%.3f", $1 / 1000 }'
}
# pair LABEL QUERY NFDUMP-ARGS...: best of RUNS for both, alternating;
# sets LAST_WALL and LAST_CPU of the SQL side.
pair() {
	local label=$1 query=$2 i aw ac bw bc w1="" c1="" w2="" c2=""
	shift 2
	for ((i = 0; i < RUNS; i++)); do
		read -r aw ac < <(sql_once "$query")
		read -r bw bc < <(nfdump_once "$@")
		read -r w1 c1 w2 c2 < <(awk -v aw="$aw" -v ac="$ac" -v bw="$bw" -v bc="$bc" \
			-v w1="$w1" -v c1="$c1" -v w2="$w2" -v c2="$c2" 'BEGIN {
			if (w1 == "" || aw < w1) w1 = aw; if (c1 == "" || ac < c1) c1 = ac;
			if (w2 == "" || bw < w2) w2 = bw; if (c2 == "" || bc < c2) c2 = bc;
			print w1, c1, w2, c2 }')
	done
	printf '%-40s %7.3f s (CPU %6.2f s)  nfdump %7.3f s (CPU %6.2f s)  %s (CPU %s) nfdump\n' \
		"$label" "$w1" "$c1" "$w2" "$c2" "$(ratio "$w1" "$w2")" "$(ratio "$c1" "$c2")"
	LAST_WALL=$w1
	LAST_CPU=$c1
}
# timings STORAGE-LABEL TABLE: the questions (a rare host too) and the day scan.
timings() {
	local s=$1 tbl=$2 hw hc aw ac dw
	echo "== queries on $s ($tbl): best of $RUNS, wall time (CPU time) beside nfdump's; $(say_load)"
	pair "topn(src_addr, bytes) over $DAYS days" "$(q_topn "$tbl" "")" "${NF_ALL[@]}" -s srcip/bytes -n 10
	pair "entropy(dst_port) over $DAYS days" "$(q_ent "$tbl")" "${NF_ALL[@]}" -s dstport/flows -n 0
	pair "flows of host $HOST, $DAYS days" "$(q_host "$tbl")" "${NF_ALL[@]}" "host $HOST"
	pair "flows of a rare host ($RARE_N), $DAYS days" "$(q_host "$tbl" "$RARE")" "${NF_ALL[@]}" "host $RARE"
	pair "topn over one hour (Thu 14:00-15:00)" "$(q_topn "$tbl" "$W_HOUR")" "${NF_HOUR[@]}" -s srcip/bytes -n 10
	hw=$LAST_WALL
	hc=$LAST_CPU
	pair "topn over an average hour ($HA_LABEL)" "$(q_topn "$tbl" "$W_AVG")" "${NF_AVG[@]}" -s srcip/bytes -n 10
	aw=$LAST_WALL
	ac=$LAST_CPU
	pair "topn over its day (Thu)" "$(q_topn "$tbl" "$W_DAY")" "${NF_DAY[@]}" -s srcip/bytes -n 10
	echo "one-hour filter vs full scan of its day on $s: busiest hour $(ratio "$LAST_WALL" "$hw") faster (CPU $(ratio "$LAST_CPU" "$hc")), average hour $(ratio "$LAST_WALL" "$aw") faster (CPU $(ratio "$LAST_CPU" "$ac"))"
	hw=$(sql_warm "$(q_topn "$tbl" "$W_HOUR")")
	aw=$(sql_warm "$(q_topn "$tbl" "$W_AVG")")
	dw=$(sql_warm "$(q_topn "$tbl" "$W_DAY")")
	echo "  the same in one warm session (best of $RUNS after a first run): busiest hour $hw s, average hour $aw s, day $dw s: $(ratio "$dw" "$hw") and $(ratio "$dw" "$aw") faster"
	hour_day_runs "$tbl"
}

# stats FILE: "best median" of the numbers in FILE.
stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.3f %.3f", v[1], v[int((NR + 1) / 2)] }'; }
# hour_day_runs TABLE: the hour-vs-day ratio again from RATIO_RUNS new
# connections of each query, taken in turn (so drifts of this VM's speed
# touch each alike): best and median of each; and the day without parallel
# workers, as the hours run (the plan of an hour is serial), so that the
# ratio of work done shows apart from the two cores the day uses.
hour_day_runs() {
	local tbl=$1 i hb hm ab am db dm sb sm
	local qh qa qd
	qh=$(q_topn "$tbl" "$W_HOUR")
	qa=$(q_topn "$tbl" "$W_AVG")
	qd=$(q_topn "$tbl" "$W_DAY")
	: >"$C/r.h"; : >"$C/r.a"; : >"$C/r.d"; : >"$C/r.s"
	for ((i = 0; i < RATIO_RUNS; i++)); do
		sql_once "$qh" | cut -d' ' -f1 >>"$C/r.h"
		sql_once "$qa" | cut -d' ' -f1 >>"$C/r.a"
		sql_once "$qd" | cut -d' ' -f1 >>"$C/r.d"
		SQL_SET="SET jit = off; SET max_parallel_workers_per_gather = 0;" sql_once "$qd" |
			cut -d' ' -f1 >>"$C/r.s"
	done
	read -r hb hm < <(stats "$C/r.h")
	read -r ab am < <(stats "$C/r.a")
	read -r db dm < <(stats "$C/r.d")
	read -r sb sm < <(stats "$C/r.s")
	echo "  again, $RATIO_RUNS new connections of each in turn (best / median): busiest hour $hb / $hm s, average hour $ab / $am s, day $db / $dm s:"
	echo "    busiest hour $(ratio "$db" "$hb") / $(ratio "$dm" "$hm") faster, average hour $(ratio "$db" "$ab") / $(ratio "$dm" "$am") faster;"
	echo "    the day without parallel workers (the hours' plans are serial) $sb / $sm s: busiest hour $(ratio "$sb" "$hb") / $(ratio "$sm" "$hm"), average hour $(ratio "$sb" "$ab") / $(ratio "$sm" "$am") faster"
}

# Same answers on both sides: the top 10 sources and the host's flows.
TOP_PG=$(q -c "$(q_topn netflow.flows "") " | cut -d'|' -f1 | sort | tr '\n' ' ')
TOP_NF=$(nfdump -q -N "${NF_ALL[@]}" -s srcip/bytes -n 10 -o csv 2>/dev/null | awk -F, 'NR > 1 && $5 ~ /[0-9]/ { print $5 }' | sort | tr '\n' ' ')
HOST_PG=$(q -c "SELECT count(*) FROM netflow.flows WHERE src_addr = '$HOST' OR dst_addr = '$HOST'")
HOST_NF=$(nfdump -q "${NF_ALL[@]}" -o 'fmt:%ts' "host $HOST" | wc -l)
RARE_PG=$(q -c "SELECT count(*) FROM netflow.flows WHERE src_addr = '$RARE' OR dst_addr = '$RARE'")
RARE_NF=$(nfdump -q "${NF_ALL[@]}" -o 'fmt:%ts' "host $RARE" | wc -l)
HOUR_PG=$(q -c "SELECT count(*) FROM netflow.flows $W_HOUR")
HOUR_NF=$(nfdump -q "${NF_HOUR[@]}" -o 'fmt:%ts' | wc -l)
echo "check: top-10 sources by bytes, netflow.topn vs nfdump -s srcip/bytes: $([ "$TOP_PG" = "$TOP_NF" ] && echo same || echo "differ ($TOP_PG / $TOP_NF)")"
echo "check: flows of host $HOST: netflow.flows $HOST_PG, nfdump $HOST_NF"
echo "check: flows of the rare host $RARE: netflow.flows $RARE_PG, nfdump $RARE_NF"
RARE_N="$RARE_PG flows"
echo "check: flows that start and end within the hour: netflow.flows $HOUR_PG, nfdump -t $HOUR_NF"
DAY_PG=$(q -c "SELECT count(*) FROM netflow.flows $W_DAY")
AVG_PG=$(q -c "SELECT count(*) FROM netflow.flows $W_AVG")
echo "the hour holds $HOUR_PG of its day's $DAY_PG flows ($(awk -v h="$HOUR_PG" -v d="$DAY_PG" 'BEGIN { printf "%.1f%%, 1/%.1f", 100 * h / d, d / h }'); the busiest hour of the generator's daily curve): at equal cost per flow and no fixed cost, the hour is at most $(ratio "$DAY_PG" "$HOUR_PG") faster than its day"
echo "the average hour ($HA_LABEL) holds $AVG_PG ($(awk -v h="$AVG_PG" -v d="$DAY_PG" 'BEGIN { printf "%.1f%%, 1/%.1f", 100 * h / d, d / h }')): at most $(ratio "$DAY_PG" "$AVG_PG") faster than its day"

timings "heap partitions" netflow.flows

# ------------------------------------------------------------ Citus columnar
if [ $HAVE_CITUS = 1 ]; then
	q -c 'CREATE TABLE bench_columnar (LIKE netflow.flows) USING columnar' || exit 1
	t=$(now)
	q -c 'INSERT INTO bench_columnar SELECT * FROM netflow.flows' || exit 1
	conv=$(elapsed "$t" "$(now)")
	q -c 'VACUUM ANALYZE bench_columnar' >/dev/null
	COL_DATA=$(q -c "SELECT pg_total_relation_size('bench_columnar')")
	COL_META=$(q -c "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('columnar', 'columnar_internal') AND c.relkind IN ('r', 'm')")
	COL_BYTES=$((COL_DATA + COL_META))
	echo "== Citus columnar $(q -c "SELECT extversion FROM pg_extension WHERE extname = 'citus_columnar'"): INSERT ... SELECT * FROM netflow.flows (arrival order, default settings): $conv s = $(awk -v n="$PG_FLOWS" -v s="$conv" 'BEGIN { printf "%.0f", n / s }') rows/s"
	size_line "Citus columnar (table + columnar metadata)" "$COL_BYTES"
	echo "  (table $COL_DATA bytes, metadata tables $COL_META bytes)"
	timings "Citus columnar" bench_columnar
else
	echo "== Citus columnar: not installed ($LIB/citus_columnar.so absent when PostgreSQL was staged)"
fi

# ------------------------------------------------------------ compressed partitions
# analyze_time TABLE: wall seconds of the best of RUNS runs of ANALYZE TABLE.
analyze_time() {
	local args=(-c '\timing on') i
	for ((i = 0; i < RUNS; i++)); do args+=(-c "ANALYZE $1"); done
	q "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sort -n | head -1 |
		awk '{ printf "%.3f", $1 / 1000 }'
}
if [ "$(q -c "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'netflow' AND p.proname = 'compress_partition'")" -gt 0 ]; then
	# ANALYZE of Thursday's partition, heap now and compressed below.
	DAY_PART=$(q -c "SELECT partition FROM netflow.flows_partitions() WHERE lower = '$(sqltime $D0)'")
	AN_HEAP=$(analyze_time "$DAY_PART")
	# All storage: the database's size before and after, so hidden tables
	# of the access method count too.
	q -c CHECKPOINT
	before=$(q -c 'SELECT pg_database_size(current_database())')
	t=$(now)
	for p in $(q -c 'SELECT partition FROM netflow.flows_partitions() ORDER BY lower'); do
		q -c "SELECT netflow.compress_partition('$p'::regclass)" >/dev/null || exit 1
	done
	conv=$(elapsed "$t" "$(now)")
	# FREEZE: as the compressor worker does, so that every emptied heap
	# page is truncated (docs/operations.md)
	q -c 'VACUUM (FREEZE, ANALYZE) netflow.flows' >/dev/null
	q -c CHECKPOINT
	after=$(q -c 'SELECT pg_database_size(current_database())')
	CMP_BYTES=$((HEAP_BYTES - before + after))
	read -r c_flows c_packets c_bytes < <(q -F ' ' -c 'SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows')
	echo "== compressed partitions: netflow.compress_partition of every partition: $conv s = $(awk -v n="$PG_FLOWS" -v s="$conv" 'BEGIN { printf "%.0f", n / s }') flows/s"
	echo "check: same flows, packets and bytes after compression: $([ "$c_flows $c_packets $c_bytes" = "$PG_FLOWS $PG_PACKETS $PG_BYTES" ] && echo true || echo "false ($c_flows $c_packets $c_bytes)")"
	size_line "compressed partitions (database size delta)" "$CMP_BYTES"
	# The same from netflow.partitions (each partition with its share of
	# netflow.compressed_batches), and what is left in the heap tails: a
	# cross-check of the delta, which anything else written meanwhile
	# would inflate (autovacuum is off in this cluster for that reason).
	read -r PART_BYTES TAIL_BYTES < <(q -F ' ' -c "SELECT sum(p.total_bytes), sum(pg_relation_size(p.partition)) FROM netflow.partitions p")
	size_line "compressed partitions (netflow.partitions)" "$PART_BYTES"
	echo "  (of which heap tails left after VACUUM: $TAIL_BYTES bytes)"
	[ $HAVE_CITUS = 1 ] && echo "compressed / Citus columnar: $(ratio "$CMP_BYTES" "$COL_BYTES") (target at most 0.80x)"
	AN_CMP=$(analyze_time "$DAY_PART")
	read -r an_est an_rows < <(q -F ' ' -c "SELECT reltuples::bigint, (SELECT count(*) FROM $DAY_PART) FROM pg_class WHERE oid = '$DAY_PART'::regclass")
	echo "ANALYZE of $DAY_PART (best of $RUNS): heap $AN_HEAP s, compressed $AN_CMP s ($(ratio "$AN_CMP" "$AN_HEAP") the heap's; it samples the batches: reltuples $an_est of $an_rows flows)"
	timings "compressed partitions" netflow.flows
	# What the hour and its day read of the batches (EXPLAIN ANALYZE VERBOSE,
	# serial): the batches' time bounds at work, whatever the time spent.
	read_of() {
		q -c "SET max_parallel_workers_per_gather = 0" -c "CREATE TEMP TABLE x (j jsonb)" \
		  -c "DO \$\$ DECLARE j jsonb; BEGIN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) ' || \$q\$$1\$q\$ INTO j; INSERT INTO x VALUES (j); END \$\$" \
		  -F ' ' -c "SELECT (SELECT sum(v::bigint) FROM x, jsonb_path_query(j, 'strict \$.**.\"Batches Read\"') v), (SELECT sum(v::bigint) FROM x, jsonb_path_query(j, 'strict \$.**.\"Batch Bytes Fetched\"') v)"
	}
	read -r ab aab < <(q -F ' ' -c "SELECT count(*) FILTER (WHERE addr_filter IS NOT NULL), coalesce(sum(octet_length(addr_filter)), 0) FROM netflow.compressed_batches")
	echo "  address filters: $ab batches, $aab bytes ($(awk -v b="$aab" -v n="$PG_FLOWS" 'BEGIN { printf "%.2f", b / n }') B/flow, included above)"
	read -r hb hbytes < <(read_of "$(q_topn netflow.flows "$W_HOUR")")
	read -r db dbytes < <(read_of "$(q_topn netflow.flows "$W_DAY")")
	echo "  read by the hour: $hb batches, $hbytes bytes; by its day: $db batches, $dbytes bytes ($(ratio "$db" "$hb") the batches, $(ratio "$dbytes" "$hbytes") the bytes)"
else
	echo "== compressed: not available in this build (no netflow.compress_partition)"
fi
say_load

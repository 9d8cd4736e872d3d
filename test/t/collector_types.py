#!/usr/bin/python3
# collector_types.py -- read every column of netflow.flows and of the
# collector's views through psycopg and check that each arrives as the
# native Python type a BI tool would get (ipaddress objects, aware
# datetimes, int, bool, str).  Used by 005_collector_psycopg.pl.
#
# Usage: collector_types.py CONNINFO
# Prints one "ok NAME" or "not ok NAME: why" line per check; exits 1 if
# any check failed.
import datetime
import ipaddress
import sys

import psycopg

failed = False


def check(name, cond, why=""):
    """Print one check result."""
    global failed
    if cond:
        print("ok %s" % name)
    else:
        failed = True
        print("not ok %s: %s" % (name, why))


# host addresses (/32, /128) come back as addresses, not interfaces
IP = (ipaddress.IPv4Address, ipaddress.IPv6Address)
PY_TYPES = {
    "timestamp with time zone": (datetime.datetime,),
    "inet": IP,
    "bigint": (int,),
    "integer": (int,),
    "smallint": (int,),
    "text": (str,),
    "macaddr": (str,),
    "boolean": (bool,),
    "bytea": (bytes,),
}


def check_relation(cur, rel):
    """Check every column of every row of rel against its SQL type."""
    cur.execute(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
        " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
        " ORDER BY attnum", (rel,))
    cols = cur.fetchall()
    cur.execute("SELECT * FROM %s" % rel)
    rows = cur.fetchall()
    check("%s has rows" % rel, len(rows) > 0, "no rows")
    for i, (name, sqltype) in enumerate(cols):
        want = PY_TYPES.get(sqltype)
        check("%s.%s has a known type" % (rel, name), want is not None, sqltype)
        if want is None:
            continue
        values = [r[i] for r in rows if r[i] is not None]
        bad = [v for v in values if not isinstance(v, want)]
        check("%s.%s is %s" % (rel, name, "/".join(t.__name__ for t in want)),
              not bad, "got %r" % (bad[:1],))
        if sqltype == "timestamp with time zone":
            check("%s.%s is timezone-aware" % (rel, name),
                  all(v.tzinfo is not None for v in values), "naive datetime")


with psycopg.connect(sys.argv[1]) as conn:
    with conn.cursor() as cur:
        for rel in ("netflow.flows", "netflow.collector_stats",
                    "netflow.exporters", "netflow.drop_counters",
                    "netflow.templates"):
            check_relation(cur, rel)

        # exact values through the driver
        cur.execute("SELECT exporter, src_addr, dst_addr, time_start, packets"
                    " FROM netflow.flows WHERE family(src_addr) = 6 LIMIT 1")
        row = cur.fetchone()
        check("an IPv6 flow is read", row is not None, "none")
        if row:
            check("IPv6 src_addr is IPv6Address",
                  isinstance(row[1], ipaddress.IPv6Address), repr(row[1]))
            check("exporter is 127.0.0.1",
                  row[0] == ipaddress.ip_address("127.0.0.1"), repr(row[0]))
            check("time_start is in 2025/2026",
                  datetime.datetime(2025, 12, 1, tzinfo=datetime.timezone.utc)
                  <= row[3] <
                  datetime.datetime(2026, 1, 2, tzinfo=datetime.timezone.utc),
                  repr(row[3]))
        cur.execute("SELECT count(*) FROM netflow.flows")
        check("count(*) is int", isinstance(cur.fetchone()[0], int))
        cur.execute("SELECT worker_type, pid, flows_inserted, started_at"
                    " FROM netflow.collector_stats WHERE worker_type = 'inserter'")
        wt, pid, inserted, started = cur.fetchone()
        check("inserter row: pid int > 0", isinstance(pid, int) and pid > 0, repr(pid))
        check("inserter row: flows_inserted int > 0",
              isinstance(inserted, int) and inserted > 0, repr(inserted))
        check("inserter row: started_at aware datetime",
              isinstance(started, datetime.datetime) and started.tzinfo is not None,
              repr(started))

sys.exit(1 if failed else 0)

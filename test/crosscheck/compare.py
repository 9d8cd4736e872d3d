#!/usr/bin/python3
# test/crosscheck/compare.py -- decode captured export datagrams with
# netflow.decode() and compare every flow, field by field, with what
# tshark's cflow dissector reports for the same datagrams.  Prints TAP.
#
# Usage: /usr/bin/python3 compare.py --host SOCKDIR --port PGPORT --db DB \
#            VERSION:CAPTURE.pcapng:UDPPORT ...
#
# For each capture (one export protocol each) it checks: the capture holds
# datagrams of that version, netflow.decode reported no malformation and no
# drop, the flow counts agree (per datagram and in total), the traffic is
# varied (IPv4 and, except v5, IPv6; TCP, UDP, ICMP), and every field both
# decoders produce is equal.  The reference values are computed here from
# tshark's output only, following RFC 3954 / RFC 7011 / Cisco's v5 format:
#   - v5:    time = unix_secs + unix_nsecs - sysuptime + First/Last
#   - v9:    time = unix_secs - sysuptime + FIRST/LAST_SWITCHED
#   - IPFIX: flowStart/EndSysUpTime (22/21) count from the exporter's
#            systemInitTimeMilliseconds (160), sent in an options record.
#   - biflows (RFC 5103): a record whose reverse octets or packets (PEN
#            29305) are not zero is followed by a reverse flow: endpoints
#            swapped, reverse counters and TCP flags, no ICMP type/code or
#            next hop, forward times, flags bit 4.  tshark 4.0 shows reverse
#            elements under the forward field names; which occurrence is
#            the reverse one is read from the template (its PEN).

import argparse
import calendar
import datetime
import json
import re
import struct
import subprocess
import sys
from decimal import Decimal

import psycopg

# Columns of netflow.flows compared, and how tshark names the value.
COMPARED = ["version", "obs_domain", "exporter", "time_received",
            "src_addr", "dst_addr", "src_port", "dst_port", "protocol",
            "tcp_flags", "tos", "packets", "bytes", "input_if", "output_if",
            "src_as", "dst_as", "src_mask", "dst_mask", "next_hop",
            "direction", "end_reason", "icmp_type", "icmp_code",
            "src_mac", "dst_mac", "src_vlan", "dst_vlan",
            "time_start", "time_end", "sampling_interval"]

MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}

# RFC 5103 reverse PEN, and the tshark field name of each element id whose
# reverse form the decoder keeps or whose forward value must be told apart.
PEN_REVERSE = 29305
REVERSIBLE = {1: "cflow.octets", 2: "cflow.packets", 6: "cflow.tcpflags",
              5: "cflow.tos", 32: "cflow.icmp_type_code_ipv4",
              139: "cflow.icmp_type_code_ipv6"}
# Columns swapped between the two directions.
SWAPPED = (("src_addr", "dst_addr"), ("src_port", "dst_port"),
           ("src_mask", "dst_mask"), ("src_as", "dst_as"),
           ("src_mac", "dst_mac"), ("input_if", "output_if"))


def tap_factory():
    """Return (ok, plan) functions numbering TAP lines."""
    state = {"n": 0, "failed": 0}

    def ok(cond, name, diag=None):
        state["n"] += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", state["n"], name))
        if not cond:
            state["failed"] += 1
            for line in (diag or []):
                print("# " + line)
        sys.stdout.flush()
        return cond

    return ok, state


def keep_duplicates(pairs):
    """JSON object hook keeping repeated keys as lists."""
    d = {}
    for k, v in pairs:
        d.setdefault(k, []).append(v)
    return {k: (v[0] if len(v) == 1 else v) for k, v in d.items()}


def first(v):
    """The first of a possibly repeated JSON value."""
    return v[0] if isinstance(v, list) else v


def abs_time_us(text):
    """'Jan  1, 2026 00:00:00.031000000 UTC' -> us since the Unix epoch."""
    m = re.match(r"(\w{3})\s+(\d+), (\d+) (\d+):(\d+):(\d+)(?:\.(\d+))? UTC$", text)
    if not m:
        raise ValueError("unparsed tshark time %r" % text)
    mon, day, year, hh, mi, ss, frac = m.groups()
    secs = calendar.timegm((int(year), MONTHS[mon], int(day), int(hh), int(mi), int(ss)))
    frac = (frac or "0").ljust(9, "0")
    return secs * 1000000 + int(frac[:6])


def rel_us(text):
    """'2.201000000' (seconds) -> microseconds."""
    return int(Decimal(text) * 1000000)


def tshark_frames(pcap, port):
    """Dissect a capture as cflow: list of (frame number, epoch text, src, cflow dict)."""
    out = subprocess.run(
        ["tshark", "-r", pcap, "-d", "udp.port==%d,cflow" % port, "-T", "json"],
        check=True, capture_output=True, text=True).stdout
    frames = []
    for pkt in json.loads(out, object_pairs_hook=keep_duplicates):
        layers = pkt["_source"]["layers"]
        frame = layers["frame"]
        src = first(layers.get("ip", {}).get("ip.src") or layers.get("ipv6", {}).get("ipv6.src"))
        frames.append((int(frame["frame.number"]), frame["frame.time_epoch"], src,
                       layers.get("cflow")))
    return frames


def v9_count_patched(pcap):
    """
    Work around tshark 4.0 reading a v9 header's count as the number of
    flowsets to dissect: softflowd counts only data records there (RFC 3954
    counts template and options records too), so tshark stops before the
    last flowsets of a datagram whose templates take flowsets.  Write a copy
    of the capture whose v9 count is the number of flowsets actually in the
    datagram (walked by their lengths), for tshark only; netflow.decode gets
    the datagrams as captured.  Returns (patched file, frames patched).
    """
    from scapy.all import UDP, rdpcap, wrpcap

    pkts = []
    patched = 0
    for pkt in rdpcap(pcap):
        pkts.append(pkt)
        if UDP not in pkt:
            continue
        raw = bytes(pkt)
        data = bytes(pkt[UDP].payload)
        off = len(raw) - len(data)
        if len(data) < 20 or struct.unpack(">H", data[:2])[0] != 9:
            continue
        count = struct.unpack(">H", data[2:4])[0]
        sets, pos = 0, 20
        while pos + 4 <= len(data):
            length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
            if length < 4:
                break
            sets += 1
            pos += length
        if sets > count:
            new = pkt.__class__(raw[:off + 2] + struct.pack(">H", sets) + raw[off + 4:])
            new.time = pkt.time
            pkts[-1] = new
            patched += 1
    out = pcap + ".tshark.pcap"
    wrpcap(out, pkts)
    return out, patched


def tshark_payloads(pcap, port):
    """Frame number -> UDP payload bytes, in capture order."""
    out = subprocess.run(
        ["tshark", "-r", pcap, "-d", "udp.port==%d,cflow" % port, "-T", "fields",
         "-e", "frame.number", "-e", "udp.payload"],
        check=True, capture_output=True, text=True).stdout
    payloads = {}
    for line in out.splitlines():
        num, _, hexdata = line.partition("\t")
        payloads[int(num)] = bytes.fromhex(hexdata.replace(":", ""))
    return payloads


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def datetime_us(dt):
    """timestamptz from psycopg -> us since the Unix epoch, exactly."""
    return (dt - EPOCH) // datetime.timedelta(microseconds=1)


def epoch_text_us(text):
    """'1795735175.635841762' -> us (truncated, as a timestamptz holds it)."""
    secs, _, frac = text.partition(".")
    return int(secs) * 1000000 + int((frac or "0").ljust(9, "0")[:6])


class Reference:
    """Turns tshark's cflow tree into expected flow dicts, per datagram."""

    def __init__(self, version):
        self.version = version
        self.options_templates = set()
        self.sys_init_us = None        # IPFIX systemInitTimeMilliseconds
        self.sampling = None           # 1 in N packets, from options data
        self.templates = {}            # template id -> [(element id, PEN)]
        self.reverse_flows = 0         # reverse flows expected so far

    def _options(self, r):
        """Exporter facts from an options data record."""
        if "cflow.sys_init_time" in r:
            self.sys_init_us = abs_time_us(first(r["cflow.sys_init_time"]))
        if "cflow.sampling_interval" in r:             # v9 SAMPLING_INTERVAL (34)
            self.sampling = int(first(r["cflow.sampling_interval"]))
        if "cflow.sampling_packet_interval" in r:      # PSAMP 305/306 (RFC 5476)
            sel = int(first(r["cflow.sampling_packet_interval"]))
            skip = int(first(r.get("cflow.sampling_packet_space", "0")))
            if sel > 0 and (sel + skip) % sel == 0:
                self.sampling = (sel + skip) // sel

    def flows(self, cflow, received_us, exporter):
        """Expected flows of one datagram, in wire order."""
        if cflow is None:
            return None
        if isinstance(cflow, list):    # several PDUs in one datagram: not expected
            return None
        v = int(cflow["cflow.version"])
        if v != self.version:
            return None
        hdr = {"version": v, "exporter": exporter, "time_received": received_us}
        if v == 5:
            return self._v5(cflow, hdr)
        return self._v9_ipfix(cflow, hdr)

    def _v5(self, c, hdr):
        ts = c["cflow.timestamp_tree"]
        base = (int(ts["cflow.unix_secs"]) * 1000000 + int(ts["cflow.unix_nsecs"]) // 1000
                - rel_us(c["cflow.sysuptime"]))
        hdr["obs_domain"] = 0
        rate = int(c.get("cflow.samplerate", "0"))
        hdr["sampling_interval"] = rate if rate > 0 else None
        out = []
        for k, rec in c.items():
            if not k.startswith("pdu "):
                continue
            f = dict(hdr)
            self._common(rec, f)
            td = rec["cflow.timedelta_tree"]
            f["time_start"] = base + rel_us(td["cflow.timestart"])
            f["time_end"] = base + rel_us(td["cflow.timeend"])
            out.append(f)
        return out

    def _v9_ipfix(self, c, hdr):
        if self.version == 9:
            ts = c["cflow.timestamp_tree"]
            base = int(ts["cflow.unix_secs"]) * 1000000 - rel_us(c["cflow.sysuptime"])
            hdr["obs_domain"] = int(c["cflow.source_id"])
        else:
            base = None
            hdr["obs_domain"] = int(c["cflow.od_id"])
        out = []
        for k, fs in c.items():
            m = re.match(r"(?:FlowSet|Set) \d+ \[id=(\d+)\]", k)
            if not m:
                continue
            for fset in (fs if isinstance(fs, list) else [fs]):
                set_id = int(m.group(1))
                if set_id in (1, 3):
                    for tk in fset:
                        tm = re.match(r"Options Template \(Id = (\d+)\)", tk)
                        if tm:
                            self.options_templates.add(int(tm.group(1)))
                    continue
                if set_id in (0, 2):
                    self._templates(fset)
                    continue
                if set_id < 256:
                    continue
                for fk, rec in fset.items():
                    if not fk.startswith("Flow "):
                        continue
                    for r in (rec if isinstance(rec, list) else [rec]):
                        if set_id in self.options_templates:
                            self._options(r)
                            continue
                        fwd, rev = self._split(set_id, r)
                        f = dict(hdr)
                        self._common(fwd, f)
                        self._times(r, f, base if self.version == 9 else self.sys_init_us)
                        if self.sampling is not None:
                            f["sampling_interval"] = self.sampling
                        f["reverse"] = False
                        out.append(f)
                        if rev is not None:
                            out.append(self._reverse(f, rev))
        return out

    def _templates(self, fset):
        """Remember each template's (element id, PEN) list, in order."""
        for tk, t in fset.items():
            tm = re.match(r"Template \(Id = (\d+)", tk)
            if not tm:
                continue
            fields = []
            for fk, fv in t.items():
                if not fk.startswith("Field ("):
                    continue
                ie = int(first(fv.get("cflow.template_ipfix_field_type",
                                      fv.get("cflow.template_field_type", "0"))), 0)
                pen = int(first(fv.get("cflow.template_ipfix_field_pen", "0")))
                fields.append((ie, pen))
            self.templates[int(tm.group(1))] = fields

    def _split(self, set_id, r):
        """
        (forward record, reverse values or None) of a data record: for each
        element tshark names the same in both directions, the occurrence of
        the forward element and of the PEN 29305 one, by template order.
        """
        fields = self.templates.get(set_id, [])
        fwd = dict(r)
        rev = {}
        for ie, name in REVERSIBLE.items():
            pens = [p for i, p in fields if i == ie and p in (0, PEN_REVERSE)]
            if name not in r or PEN_REVERSE not in pens:
                continue
            vals = r[name] if isinstance(r[name], list) else [r[name]]
            if len(vals) != len(pens):
                continue
            rev[ie] = vals[pens.index(PEN_REVERSE)]
            if 0 in pens:
                fwd[name] = vals[pens.index(0)]
            else:
                del fwd[name]
        octets = int(rev.get(1, "0"), 0)
        packets = int(rev.get(2, "0"), 0)
        if octets == 0 and packets == 0:
            return fwd, None
        return fwd, {"bytes": octets, "packets": packets,
                     "tcp_flags": int(rev[6], 16) if 6 in rev else None}

    def _reverse(self, f, rev):
        """The reverse flow of forward flow f (see the header)."""
        self.reverse_flows += 1
        b = dict(f)
        for a, z in SWAPPED:
            b.pop(a, None)
            b.pop(z, None)
            if z in f:
                b[a] = f[z]
            if a in f:
                b[z] = f[a]
        b.update(rev)
        b["icmp_type"] = b["icmp_code"] = b["next_hop"] = None
        b["reverse"] = True
        return b

    @staticmethod
    def _times(r, f, base):
        td = r.get("cflow.timedelta_tree", {})
        for side, rel, absk in (("time_start", "cflow.timestart", "cflow.abstimestart"),
                                ("time_end", "cflow.timeend", "cflow.abstimeend")):
            if rel in td:
                f[side] = None if base is None else base + rel_us(td[rel])
            elif absk in td and abs_time_us(td[absk]) == 0:
                # tshark 4.0 shows a sysUpTime-relative value of 0 as an
                # absolute time at the epoch: the field's raw value is 0.
                f[side] = base
            elif absk in td:
                f[side] = abs_time_us(td[absk])

    @staticmethod
    def _common(r, f):
        def g(name):
            v = r.get(name)
            return None if v is None else first(v)

        # The first name present wins.
        for col, names in (("src_addr", ("cflow.srcaddr", "cflow.srcaddrv6")),
                           ("dst_addr", ("cflow.dstaddr", "cflow.dstaddrv6")),
                           ("next_hop", ("cflow.nexthop", "cflow.nexthopv6")),
                           ("src_mac", ("cflow.srcmac", "cflow.post_srcmac")),
                           ("dst_mac", ("cflow.dstmac", "cflow.post_dstmac"))):
            for n in names:
                if g(n) is not None:
                    f[col] = g(n)
                    break
        for col, names in (("src_vlan", ("cflow.vlanid",)),
                           ("dst_vlan", ("cflow.post_vlanid",))):
            for n in names:
                if g(n) is not None:
                    f[col] = int(g(n), 0)
                    break
        for col, name in (("src_port", "cflow.srcport"), ("dst_port", "cflow.dstport"),
                          ("protocol", "cflow.protocol"), ("packets", "cflow.packets"),
                          ("bytes", "cflow.octets"), ("input_if", "cflow.inputint"),
                          ("output_if", "cflow.outputint"), ("src_as", "cflow.srcas"),
                          ("dst_as", "cflow.dstas"), ("src_mask", "cflow.srcmask"),
                          ("dst_mask", "cflow.dstmask"), ("direction", "cflow.direction"),
                          ("end_reason", "cflow.flow_end_reason"),
                          ("icmp_type", "cflow.icmp_ipv6_type"),
                          ("icmp_code", "cflow.icmp_ipv6_code"),
                          ("icmp_type", "cflow.icmp_type"), ("icmp_code", "cflow.icmp_code")):
            if g(name) is not None:
                f[col] = int(g(name), 0)
        for col, name in (("tcp_flags", "cflow.tcpflags"), ("tos", "cflow.tos")):
            if g(name) is not None:
                f[col] = int(g(name), 16)
        if g("cflow.icmp_type_code_ipv4") is not None:
            tc = int(g("cflow.icmp_type_code_ipv4"), 16)
            f["icmp_type"], f["icmp_code"] = tc >> 8, tc & 0xff


def normalise(col, v):
    """SQL value -> comparable Python value."""
    if v is None:
        return None
    if col in ("src_addr", "dst_addr", "next_hop", "exporter"):
        return str(v).split("/")[0]
    if col in ("src_mac", "dst_mac"):
        return str(v).lower()
    return v


def diff_flow(g, e, compared, only_ours):
    """Mismatching (column, ours, reference) of one flow; counts compared columns."""
    out = []
    for col in COMPARED:
        if col not in e:
            if g.get(col) is not None:
                only_ours.add(col)
            continue
        if col == "sampling_interval" and e[col] is None:
            continue
        gv = normalise(col, g.get(col))
        ev = e[col]
        compared[col] = compared.get(col, 0) + 1
        if gv != ev:
            out.append((col, gv, ev))
    if "reverse" in e and ((g.get("flags") or 0) & 4 != 0) != e["reverse"]:
        out.append(("flags & 4", g.get("flags"), e["reverse"]))
    return out


# One (ours, reference) pair of equal flows, kept to test the comparison.
SAMPLE = []


def check_comparison(ok):
    """The comparison itself must catch a changed value."""
    if not SAMPLE:
        ok(False, "the comparison detects changed values", ["no flow was compared"])
        return
    g, e = SAMPLE[0]
    missed = []
    for col in ("bytes", "src_port", "time_start", "src_addr"):
        if col not in e:
            continue
        bad = dict(g)
        bad[col] = "::2" if col == "src_addr" else (bad[col] or 0) + 1
        found = [c for c, _, _ in diff_flow(bad, e, {}, set())]
        if found != [col]:
            missed.append("%s changed: comparison reported %s" % (col, found))
    ok(not missed and not diff_flow(g, e, {}, set()),
       "the comparison detects changed values (bytes, src_port, time_start, src_addr)",
       missed)


def check_capture(ok, conn, name, version, pcap, port):
    payloads = tshark_payloads(pcap, port)
    frames = tshark_frames(pcap, port)
    if version == 9:
        patched_pcap, patched = v9_count_patched(pcap)
        if patched:
            print("# %s: %d datagrams whose v9 count is below their number of flowsets;"
                  " tshark dissects a copy with the count raised" % (name, patched))
            dissected = tshark_frames(patched_pcap, port)
            # Frame numbers and times from the capture, dissection from the copy.
            frames = [(n, t, src, d[3]) for (n, t, src, _), d in zip(frames, dissected)]
    ref = Reference(version)
    bad_frames = [n for n, _, _, c in frames
                  if c is None or isinstance(c, list) or int(c["cflow.version"]) != version]
    ok(len(frames) > 0 and not bad_frames,
       "%s: capture holds %d datagrams, all dissected by tshark as version %d"
       % (name, len(frames), version),
       ["frames not dissected as version %d: %s" % (version, bad_frames[:20])])

    conn.execute("SELECT netflow.decode_reset()")
    notices = []
    def on_notice(diag):
        notices.append(diag.message_primary)

    conn.add_notice_handler(on_notice)
    mismatches = []
    count_diffs = []
    ours_total = ref_total = 0
    compared = {}
    only_ours = set()
    first_pair = []
    families, protocols = set(), set()
    for num, epoch, src, cflow in frames:
        received = epoch_text_us(epoch)
        expected = ref.flows(cflow, received, src) or []
        rows = conn.execute(
            "SELECT * FROM netflow.decode(%s, %s::inet,"
            " 'epoch'::timestamptz + %s * interval '1 microsecond')",
            (payloads[num], src, received))
        cols = [d.name for d in rows.description]
        got = [dict(zip(cols, r)) for r in rows.fetchall()]
        ours_total += len(got)
        ref_total += len(expected)
        if len(got) != len(expected):
            count_diffs.append("frame %d: netflow.decode %d flows, tshark %d"
                               % (num, len(got), len(expected)))
            continue
        for i, (g, e) in enumerate(zip(got, expected)):
            for col in ("time_received", "time_start", "time_end"):
                if g.get(col) is not None:
                    g[col] = datetime_us(g[col])
            if g.get("src_addr") is not None:
                families.add(4 if ":" not in str(g["src_addr"]) else 6)
            if g.get("protocol") is not None:
                protocols.add(g["protocol"])
            for col, gv, ev in diff_flow(g, e, compared, only_ours):
                mismatches.append("frame %d flow %d %s: netflow.decode %r, tshark %r"
                                  % (num, i + 1, col, gv, ev))
            if not first_pair:
                first_pair.append((dict(g), dict(e)))
            if not SAMPLE and not mismatches:
                SAMPLE.append((dict(g), dict(e)))

    conn.remove_notice_handler(on_notice)
    stats = dict(conn.execute("SELECT counter, value FROM netflow.decode_stats()").fetchall())
    drops = {k: v for k, v in stats.items()
             if v and (k.startswith("drop_") or k.startswith("pending_e"))}
    ok(not notices and not drops,
       "%s: netflow.decode reported no malformation and dropped nothing" % name,
       ["NOTICE: %s" % n for n in notices[:20]] + ["%s = %d" % kv for kv in drops.items()])
    ok(ours_total == ref_total and ref_total > 0 and not count_diffs,
       "%s: flow count equal (netflow.decode %d, tshark %d), datagram by datagram"
       % (name, ours_total, ref_total), count_diffs[:40])
    want_fam = {4} if version == 5 else {4, 6}
    want_proto = {1, 6, 17} | ({58} if version != 5 else set())
    if "sampled" in name:       # 1 packet in N: some small flows vanish
        want_proto = {6, 17}
    ok(families >= want_fam and protocols >= want_proto,
       "%s: traffic is varied (address families %s, protocols %s)"
       % (name, sorted(families), sorted(protocols)))
    ok(not mismatches and compared,
       "%s: every field equal (%d values in %d columns compared)"
       % (name, sum(compared.values()), len(compared)),
       mismatches[:60] + (["... %d more" % (len(mismatches) - 60)] if len(mismatches) > 60 else []))
    if first_pair:
        g, e = first_pair[0]
        print("# %s: first flow, tshark: %s" % (name, ", ".join(
            "%s=%s" % (k, e[k]) for k in COMPARED if k in e)))
        print("# %s: first flow, netflow.decode: %s" % (name, ", ".join(
            "%s=%s" % (k, normalise(k, g.get(k))) for k in COMPARED if k in e)))
    print("# %s: compared per column: %s" % (name, ", ".join(
        "%s=%d" % kv for kv in sorted(compared.items()))))
    if only_ours:
        print("# %s: columns only netflow.decode produces (not compared): %s"
              % (name, ", ".join(sorted(only_ours))))
    if "bidir" in name:
        ours_rev = stats.get("biflow_reverse", 0)
        ok(ref.reverse_flows > 0 and ours_rev == ref.reverse_flows,
           "%s: reverse flows of biflow records decoded and compared"
           " (netflow.decode %d, tshark %d)" % (name, ours_rev, ref.reverse_flows))
    missing = [c for c in COMPARED if c not in compared and c != "sampling_interval"]
    if missing:
        print("# %s: columns no reference value existed for: %s" % (name, ", ".join(missing)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--db", default="postgres")
    ap.add_argument("captures", nargs="+", help="NAME:VERSION:FILE:UDPPORT")
    args = ap.parse_args()
    caps = []
    for c in args.captures:
        n, v, f, p = c.split(":")
        caps.append((n, int(v), f, int(p)))
    print("1..%d" % (5 * len(caps) + 1 + sum(1 for c in caps if "bidir" in c[0])))
    ok, state = tap_factory()
    with psycopg.connect(host=args.host, port=args.port, dbname=args.db,
                         user="postgres", autocommit=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        for n, v, f, p in caps:
            check_capture(ok, conn, n, v, f, p)
    check_comparison(ok)
    sys.exit(1 if state["failed"] else 0)


if __name__ == "__main__":
    main()

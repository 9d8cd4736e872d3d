#!/usr/bin/env python3
"""demo_traffic.py -- realistic flow traffic for netflow's demo and tests.

Background: N internal hosts (10.20.0.0/16) with heavy-tailed activity
(Pareto rates, log-normal sizes capped at 20 MB) and a diurnal shape
(peak at 14:00 UTC), talking to a Zipf-popular set of external servers,
to internal servers (file servers on 445, DNS, intranet web), plus the
look-alikes the detectors must leave alone: a web proxy fanning out to
many external hosts, a nightly backup uploading 1.5 GB to its usual
destination, a monitoring system polling 30 hosts every minute (ssh and
SNMP, with jitter), an administrator using ssh every hour.

Attacks (labelled): a horizontal scan, a vertical scan, lateral movement
(RDP fan-out by a workstation that never used RDP), an exfiltration to a
new destination, a beacon every 60 s, a flood of a web server.  The
labels say which host did what and when (JSON lines).

Modes:
  copy   write rows for COPY netflow.flows (time_start, time_end,
         time_received, exporter, src_addr, dst_addr, src_port, dst_port,
         protocol, tcp_flags, packets, bytes) for a past range, e.g.
         demo_traffic.py copy --start 2030-01-01T00:00:00Z --hours 30 \\
             --attacks-from 24 --labels labels.json | psql -c "COPY ..."
  send   send NetFlow v5 datagrams stamped with the current time to a
         collector on loopback (default 127.0.0.1:2055), the attacks
         starting a minute after launch, 30 s apart (the exfiltration
         lasts 40 minutes); runs for --minutes.
  burst  send the horizontal scan alone, now (for tests of alerts).

Only loopback destinations are accepted by send.
"""

import argparse
import datetime as dt
import ipaddress
import json
import math
import random
import socket
import struct
import sys
import time

EXPORTERS = ["10.255.0.1", "10.255.0.2"]
PROXY = "10.10.0.8"
BACKUP, BACKUP_DST = "10.10.0.9", "52.20.0.9"
MONITOR = "10.10.0.7"
ADMIN = "10.10.0.6"
FILE_SERVERS = ["10.10.0.%d" % i for i in range(1, 6)]
DNS = "10.10.0.53"
INTRANET = "10.10.0.80"
ADMIN_SERVERS = ["10.10.1.%d" % i for i in range(1, 11)]
MONITORED = ["10.10.2.%d" % i for i in range(1, 31)]


def host(i):
	"""Address of background host number i (0-based)."""
	return "10.20.%d.%d" % (i // 250, i % 250 + 1)


def external(rank):
	"""Address of the external server of popularity rank (0 = most)."""
	return "%d.%d.%d.%d" % (23 + rank % 80, (rank // 80) % 250 + 1, (rank * 7) % 250 + 1,
							(rank * 13) % 250 + 1)


def diurnal(ts):
	"""Activity factor at unix time ts: 0.2 at night, 1.0 at 14:00 UTC."""
	h = (ts % 86400) / 3600.0
	d = min(abs(h - 14), 24 - abs(h - 14))
	return 0.2 + 0.8 * math.exp(-(d / 4.0) ** 2)


class Model:
	"""The network: hosts, their rates, the attack plan."""

	def __init__(self, hosts, rate, seed):
		self.rng = random.Random(seed)
		self.hosts = hosts
		r = self.rng
		# Pareto rates (alpha 1.5), mean about `rate` flows per hour, capped.
		self.rates = [min(200.0, rate / 3.0 * r.paretovariate(1.5)) for _ in range(hosts)]
		self.zipf = [1.0 / (k + 1) for k in range(5000)]
		self.zipf_total = sum(self.zipf)
		self.cum = []
		acc = 0.0
		for w in self.zipf:
			acc += w / self.zipf_total
			self.cum.append(acc)
		# Attackers: background hosts (so they have a history).
		self.attacker = {
			"scan_horizontal": host(hosts // 7),
			"scan_vertical": host(hosts // 5),
			"lateral_movement": host(hosts // 3),
			"exfiltration": host(hosts // 2),
			"beaconing": host(hosts * 2 // 3),
		}

	def ext_dst(self):
		"""A Zipf-popular external server."""
		x = self.rng.random()
		lo, hi = 0, len(self.cum) - 1
		while lo < hi:
			mid = (lo + hi) // 2
			if self.cum[mid] < x:
				lo = mid + 1
			else:
				hi = mid
		return external(lo)

	def size(self):
		"""Heavy-tailed flow size in bytes (log-normal, capped at 20 MB)."""
		return int(min(20e6, max(40, self.rng.lognormvariate(7.5, 1.7))))

	def background(self, t0, t1):
		"""Background flows starting in [t0, t1) (unix seconds)."""
		r = self.rng
		span = t1 - t0
		out = []
		f = diurnal(t0)
		for i in range(self.hosts):
			lam = self.rates[i] * f * span / 3600.0
			n = int(lam) + (1 if r.random() < lam - int(lam) else 0)
			src = host(i)
			for _ in range(n):
				t = t0 + r.random() * span
				u = r.random()
				if u < 0.80:
					b = self.size()
					out.append((t, t + r.random() * 20, src, self.ext_dst(), r.randint(32768, 60999),
								443 if r.random() < 0.8 else 80, 6, 0x1b, max(3, b // 1200), b))
				elif u < 0.90:
					out.append((t, t + 5, src, r.choice(FILE_SERVERS), r.randint(32768, 60999), 445,
								6, 0x1b, 20, r.randint(2000, 200000)))
				elif u < 0.97:
					out.append((t, t, src, DNS, r.randint(32768, 60999), 53, 17, 0, 1, 70))
				else:
					out.append((t, t + 2, src, INTRANET, r.randint(32768, 60999), 443, 6, 0x1b, 12,
								r.randint(2000, 90000)))
		# The proxy: about 12 new external connections a minute, answered.
		for _ in range(int(12 * span / 60.0 * max(f, 0.3))):
			t = t0 + r.random() * span
			d = external(r.randint(0, 4999))
			b = self.size()
			out.append((t, t + 3, PROXY, d, r.randint(32768, 60999), 443, 6, 0x1b, max(3, b // 1200), b))
			out.append((t + 0.01, t + 3, d, PROXY, 443, r.randint(32768, 60999), 6, 0x1b, 5, 600))
		# The backup: 1.5 GB from 02:00 to 03:00 UTC, one flow a minute.
		m = int(math.ceil(t0 / 60.0)) * 60
		while m < t1:
			if (m % 86400) // 3600 == 2:
				out.append((m, m + 59, BACKUP, BACKUP_DST, 50500, 443, 6, 0x1b, 20000, 25000000))
			# The monitoring: every minute, jitter up to 20 s, ssh and SNMP.
			if True:
				for h in MONITORED:
					j = r.random() * 20
					out.append((m + j, m + j + 1, MONITOR, h, r.randint(32768, 60999), 22, 6, 0x1b, 12, 2400))
					sp = r.randint(32768, 60999)
					out.append((m + j, m + j, MONITOR, h, sp, 161, 17, 0, 1, 90))
					out.append((m + j + 0.01, m + j + 0.01, h, MONITOR, 161, sp, 17, 0, 1, 300))
				# The administrator: ssh to its servers at 10 past each hour.
				if (m % 3600) == 600:
					for k, s in enumerate(ADMIN_SERVERS):
						out.append((m + k * 3, m + k * 3 + 300, ADMIN, s, r.randint(32768, 60999), 22, 6,
									0x1b, 200, 50000))
			m += 60
		return out

	def attacks(self, a0, t0, t1, unit=600):
		"""Attack flows starting in [t0, t1), the attacks starting at a0,
		one after the other at 1, 3, 6, 9 and 12 units (seconds) after it,
		the beacon from a0 on; and their labels."""
		r = self.rng
		A = self.attacker
		out = []
		labels = []

		def keep(row):
			if t0 <= row[0] < t1:
				out.append(row)

		# Horizontal scan: 80 internal hosts on 8080 within 2 minutes, SYN only.
		s = a0 + unit
		labels.append(dict(kind="scan", src_addr=A["scan_horizontal"], dst_port=8080, start=s, end=s + 120))
		for k in range(80):
			keep((s + k * 1.5, s + k * 1.5, A["scan_horizontal"], host((k * 37) % self.hosts), 40000 + k,
				  8080, 6, 0x02, 1, 44))
		# Vertical scan: ports 1-300 of a file server, reset.
		s = a0 + 3 * unit
		labels.append(dict(kind="scan", src_addr=A["scan_vertical"], dst_addr=FILE_SERVERS[0], start=s,
						   end=s + 150))
		for p in range(1, 301):
			keep((s + p * 0.5, s + p * 0.5, A["scan_vertical"], FILE_SERVERS[0], 41000, p, 6, 0x02, 1, 44))
			keep((s + p * 0.5 + 0.01, s + p * 0.5 + 0.01, FILE_SERVERS[0], A["scan_vertical"], p, 41000, 6,
				  0x14, 1, 40))
		# Lateral movement: RDP to 12 workstations, answered.
		s = a0 + 6 * unit
		labels.append(dict(kind="lateral_movement", src_addr=A["lateral_movement"], dst_port=3389, start=s,
						   end=s + 600))
		for k in range(12):
			keep((s + k * 50, s + k * 50 + 40, A["lateral_movement"], host((k * 101 + 3) % self.hosts), 49000 + k,
				  3389, 6, 0x1b, 300, 150000))
		# Exfiltration: 3 GB to a new destination over 40 minutes.
		s = a0 + 9 * unit
		labels.append(dict(kind="exfiltration", src_addr=A["exfiltration"], dst_addr="45.77.10.20", start=s,
						   end=s + 2400))
		for k in range(40):
			keep((s + k * 60, s + k * 60 + 59, A["exfiltration"], "45.77.10.20", 50123, 443, 6, 0x1b, 60000,
				  75000000))
		# Beaconing: every 60 s +/- 3 s, about 400 bytes, from the start on.
		labels.append(dict(kind="beaconing", src_addr=A["beaconing"], dst_addr="185.100.87.6", dst_port=443,
						   start=a0, end=None))
		k = max(0, int((t0 - a0) // 60) - 1)
		while a0 + k * 60 < t1:
			t = a0 + k * 60 + r.uniform(-3, 3)
			keep((t, t + 1, A["beaconing"], "185.100.87.6", 51000 + k % 1000, 443, 6, 0x1b, 6,
				  380 + r.randint(0, 40)))
			k += 1
		# Flood: 20000 flows from spoofed sources to the intranet server in a minute.
		s = a0 + 12 * unit
		labels.append(dict(kind="volume_anomaly", dst_addr=INTRANET, start=s, end=s + 60))
		for k in range(20000):
			keep((s + k * 0.003, s + k * 0.003, "%d.%d.%d.%d" % (60 + k % 100, k % 251, (k // 251) % 251, 7),
				  INTRANET, 1024 + k % 60000, 80, 6, 0x02, 1, 40))
		return out, labels


def iso(ts):
	"""ISO 8601 text of unix time ts, UTC."""
	return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat()


def cmd_copy(args):
	"""Write COPY rows for [start, start + hours) to stdout."""
	start = dt.datetime.fromisoformat(args.start.replace("Z", "+00:00")).timestamp()
	end = start + args.hours * 3600
	a0 = start + args.attacks_from * 3600
	m = Model(args.hosts, args.rate, args.seed)
	w = sys.stdout.write
	labels = []
	step = 300
	t = start
	n = 0
	while t < end:
		rows = m.background(t, t + step)
		if args.attacks_from >= 0:
			att, labels = m.attacks(a0, t, t + step)
			rows += att
		for (ts, te, s, d, sp, dp, pr, fl, pk, by) in rows:
			n += 1
			w("%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n" % (
				iso(ts), iso(te), iso(te + 1), args.exporter or EXPORTERS[n % 2], s, d, sp, dp, pr, fl, pk, by))
		t += step
	if args.labels:
		with open(args.labels, "w") as f:
			for lab in labels:
				lab = dict(lab)
				lab["start"] = iso(lab["start"])
				lab["end"] = iso(lab["end"]) if lab["end"] else iso(end)
				f.write(json.dumps(lab) + "\n")
	print("%d flows" % n, file=sys.stderr)


def v5_datagrams(rows, boot, now, seq):
	"""NetFlow v5 datagrams (30 records each) carrying rows."""
	uptime = int((now - boot) * 1000)
	for i in range(0, len(rows), 30):
		chunk = rows[i:i + 30]
		head = struct.pack("!HHIIIIBBH", 5, len(chunk), uptime, int(now), int((now % 1) * 1e9), seq, 0, 0, 0)
		body = b""
		for (ts, te, s, d, sp, dp, pr, fl, pk, by) in chunk:
			first = max(0, int((ts - boot) * 1000))
			last = max(first, int((te - boot) * 1000))
			body += struct.pack("!4s4s4sHHIIIIHHBBBBHHBBH",
								socket.inet_aton(s), socket.inet_aton(d), b"\0\0\0\0", 1, 2,
								int(pk) & 0xffffffff, int(by) & 0xffffffff, first & 0xffffffff,
								last & 0xffffffff, sp, dp, 0, fl, pr, 0, 0, 0, 24, 24, 0)
		seq += len(chunk)
		yield head + body, seq


def cmd_send(args):
	"""Send live traffic to the collector on loopback."""
	if not ipaddress.ip_address(args.host).is_loopback:
		sys.exit("demo_traffic.py: send only to a loopback address, not %s" % args.host)
	m = Model(args.hosts, args.rate, args.seed)
	sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	start = time.time()
	boot = start - 3600
	# Flows are generated 30 s behind the clock, so that none ends in the
	# future; the attacks follow each other 30 s apart from a minute on.
	lag = 30
	a0 = start + 60 - lag
	seq = 0
	sent = 0
	t = start
	labels_done = False
	end = start + args.minutes * 60
	while t < end:
		now = time.time()
		if now < t + 1:
			time.sleep(t + 1 - now)
		rows = m.background(t - lag, t - lag + 1)
		att, labels = m.attacks(a0, t - lag, t - lag + 1, unit=30)
		rows += att
		if not labels_done:
			for lab in labels:
				print("attack %-16s %s" % (lab["kind"], json.dumps(
					dict(lab, start=iso(lab["start"]), end=iso(lab["end"]) if lab["end"] else "until stopped"))))
			labels_done = True
		for dgram, seq in v5_datagrams(rows, boot, time.time(), seq):
			sock.sendto(dgram, (args.host, args.port))
		sent += len(rows)
		t += 1
		if int(t - start) % 60 == 0:
			print("%s: %d flows sent" % (iso(t), sent), flush=True)


def cmd_burst(args):
	"""Send one horizontal scan now (the attacker of the model, 80 hosts on
	8080, SYN only), for tests of the alert path."""
	if not ipaddress.ip_address(args.host).is_loopback:
		sys.exit("demo_traffic.py: send only to a loopback address, not %s" % args.host)
	m = Model(args.hosts, args.rate, args.seed)
	now = time.time()
	att, labels = m.attacks(now - 720, now - 720, now + 3600, unit=600)
	rows = [r for r in att if r[2] == m.attacker["scan_horizontal"]]
	sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	for dgram, _ in v5_datagrams(rows, now - 3600, now, 0):
		sock.sendto(dgram, (args.host, args.port))
	print(json.dumps(dict(labels[0], start=iso(labels[0]["start"]), end=iso(labels[0]["end"]),
						  flows=len(rows))))


def main():
	p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
	p.add_argument("--hosts", type=int, default=10000, help="background hosts (default 10000)")
	p.add_argument("--rate", type=float, default=4.0, help="mean flows per host and hour at peak (default 4)")
	p.add_argument("--seed", type=int, default=13)
	sub = p.add_subparsers(dest="mode", required=True)
	c = sub.add_parser("copy", help="rows for COPY netflow.flows over a past range")
	c.add_argument("--start", required=True, help="start, ISO 8601 (e.g. 2030-01-01T00:00:00Z)")
	c.add_argument("--hours", type=float, default=24)
	c.add_argument("--attacks-from", type=float, default=-1,
				   help="hours after start when the attacks begin (default: no attacks)")
	c.add_argument("--labels", help="write the attacks' labels (JSON lines) here")
	c.add_argument("--exporter", help="exporter address of every row (default: two exporters)")
	s = sub.add_parser("send", help="live NetFlow v5 to the collector")
	s.add_argument("--host", default="127.0.0.1")
	s.add_argument("--port", type=int, default=2055)
	s.add_argument("--minutes", type=float, default=30)
	b = sub.add_parser("burst", help="one horizontal scan now (tests)")
	b.add_argument("--host", default="127.0.0.1")
	b.add_argument("--port", type=int, default=2055)
	args = p.parse_args()
	if args.mode == "copy":
		cmd_copy(args)
	elif args.mode == "burst":
		cmd_burst(args)
	else:
		cmd_send(args)


if __name__ == "__main__":
	main()

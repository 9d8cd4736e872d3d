#!/usr/bin/python3
# collector_pcap.py -- write a deterministic capture for the softflowd test
# of the collector (002_collector_softflowd.pl) and print what it holds.
#
# Usage: collector_pcap.py FILE
# Writes FILE (pcap) and prints one line per directional flow key:
#   family src dst proto sport dport packets bytes
# sport/dport are "-" for protocols without ports.  bytes counts the IP
# packet (IPv4 total length, IPv6 payload length + 40), as exporters do.
# All timestamps are fixed, so the file and the output never change.
import random
import sys

from scapy.all import (ICMP, IP, IPv6, TCP, UDP, Ether, ICMPv6EchoRequest,
                       Raw, wrpcap)

rng = random.Random(20261126)
BASE = 1767225600.0  # 2026-01-01 00:00:00 UTC
packets = []
expected = {}


def add(pkt, t):
    """Append a packet at time t and account it under its flow key."""
    pkt.time = t
    packets.append(pkt)
    ip = pkt.getlayer(IP) or pkt.getlayer(IPv6)
    if ip.version == 4:
        family, length, proto = 4, len(ip), ip.proto
    else:
        family, length, proto = 6, len(ip), ip.nh
    l4 = pkt.getlayer(TCP) or pkt.getlayer(UDP)
    if l4 is not None:
        sport, dport = str(l4.sport), str(l4.dport)
    else:
        sport, dport = "-", "-"
    key = (family, ip.src, ip.dst, proto, sport, dport)
    p, b = expected.get(key, (0, 0))
    expected[key] = (p + 1, b + length)


t = BASE
# TCP conversations (both directions), IPv4 and IPv6
for c in range(12):
    v6 = c % 3 == 2
    cli = "2001:db8::%x" % (c + 1) if v6 else "10.1.%d.%d" % (c // 5, c + 1)
    srv = "2001:db8:1::%x" % (c + 10) if v6 else "192.0.2.%d" % (c + 10)
    sport = 40000 + c
    dport = [80, 443, 22, 25][c % 4]
    L3 = (lambda s, d: IPv6(src=s, dst=d)) if v6 else (lambda s, d: IP(src=s, dst=d))
    for i in range(rng.randint(3, 25)):
        t += 0.001
        size = rng.randint(0, 1200)
        add(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / L3(cli, srv) / TCP(sport=sport, dport=dport, flags="PA" if i else "S")
            / Raw(b"x" * size), t)
        if rng.random() < 0.7:
            t += 0.001
            add(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / L3(srv, cli) / TCP(sport=dport, dport=sport, flags="A")
                / Raw(b"y" * rng.randint(0, 1400)), t)

# UDP (DNS-like and others)
for c in range(10):
    v6 = c % 4 == 3
    cli = "2001:db8::1:%x" % (c + 1) if v6 else "10.2.0.%d" % (c + 1)
    srv = "2001:db8:2::53" if v6 else "198.51.100.%d" % (c % 3 + 1)
    sport = 50000 + c
    dport = [53, 123, 514][c % 3]
    L3 = (lambda s, d: IPv6(src=s, dst=d)) if v6 else (lambda s, d: IP(src=s, dst=d))
    for i in range(rng.randint(1, 8)):
        t += 0.002
        add(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / L3(cli, srv) / UDP(sport=sport, dport=dport)
            / Raw(b"q" * rng.randint(10, 500)), t)
        t += 0.001
        add(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / L3(srv, cli) / UDP(sport=dport, dport=sport)
            / Raw(b"r" * rng.randint(10, 900)), t)

# ICMP echo (IPv4) and ICMPv6 echo
for c in range(4):
    for i in range(rng.randint(1, 5)):
        t += 0.003
        add(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="10.3.0.%d" % (c + 1), dst="203.0.113.9") / ICMP(id=c, seq=i)
            / Raw(b"p" * 56), t)
    for i in range(rng.randint(1, 4)):
        t += 0.003
        add(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IPv6(src="2001:db8:3::%x" % (c + 1), dst="2001:db8:3::99")
            / ICMPv6EchoRequest(id=c, seq=i) / Raw(b"p" * 56), t)

wrpcap(sys.argv[1], packets)
for key in sorted(expected, key=str):
    family, src, dst, proto, sport, dport = key
    p, b = expected[key]
    print(family, src, dst, proto, sport, dport, p, b)

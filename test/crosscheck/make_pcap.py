#!/usr/bin/python3
# test/crosscheck/make_pcap.py -- write a deterministic pcap of varied
# traffic for the cross-check: TCP (with SYN/ACK/PSH/FIN/RST), UDP and ICMP
# over IPv4, TCP, UDP and ICMPv6 over IPv6, with varied TOS / traffic class,
# sizes and timestamps.  Same output on every run (fixed seed and times).
#
# Usage: /usr/bin/python3 make_pcap.py OUT.pcap

import random
import sys

from scapy.all import (ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest,
                       ICMPv6EchoReply, IPv6, Raw, wrpcap)

BASE = 1767225600.0  # 2026-01-01 00:00:00 UTC


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_pcap.py OUT.pcap")
    rng = random.Random(20260101)
    pkts = []
    mac_a, mac_b = "02:00:00:00:00:01", "02:00:00:00:00:02"

    def add(t, l3):
        p = Ether(src=mac_a, dst=mac_b) / l3
        p.time = BASE + t
        pkts.append(p)

    t = 0.0
    # IPv4 TCP conversations: handshake, data, close (FIN or RST).
    for i in range(12):
        cli = "10.0.%d.%d" % (i % 3, 10 + i)
        srv = "192.0.2.%d" % (1 + i % 5)
        sport = 40000 + i * 7
        dport = [80, 443, 22, 25, 8080][i % 5]
        tos = [0, 0x10, 0x28, 0xb8][i % 4]
        t += rng.uniform(0.01, 0.5)
        add(t, IP(src=cli, dst=srv, tos=tos) / TCP(sport=sport, dport=dport, flags="S"))
        t += 0.01
        add(t, IP(src=srv, dst=cli, tos=tos) / TCP(sport=dport, dport=sport, flags="SA"))
        t += 0.01
        add(t, IP(src=cli, dst=srv, tos=tos) / TCP(sport=sport, dport=dport, flags="A"))
        for _ in range(rng.randint(1, 6)):
            t += rng.uniform(0.001, 0.2)
            add(t, IP(src=cli, dst=srv, tos=tos) / TCP(sport=sport, dport=dport, flags="PA")
                / Raw(b"x" * rng.randint(1, 1200)))
            t += 0.005
            add(t, IP(src=srv, dst=cli, tos=tos) / TCP(sport=dport, dport=sport, flags="A"))
        t += 0.01
        if i % 4 == 3:
            add(t, IP(src=cli, dst=srv, tos=tos) / TCP(sport=sport, dport=dport, flags="RA"))
        else:
            add(t, IP(src=cli, dst=srv, tos=tos) / TCP(sport=sport, dport=dport, flags="FA"))
            t += 0.01
            add(t, IP(src=srv, dst=cli, tos=tos) / TCP(sport=dport, dport=sport, flags="FA"))
            t += 0.01
            add(t, IP(src=cli, dst=srv, tos=tos) / TCP(sport=sport, dport=dport, flags="A"))

    # IPv4 UDP: DNS-like queries and answers, one-way syslog.
    for i in range(10):
        cli = "10.1.0.%d" % (20 + i)
        srv = "198.51.100.%d" % (53 + i % 2)
        sport = 50000 + i * 13
        t += rng.uniform(0.01, 0.3)
        add(t, IP(src=cli, dst=srv) / UDP(sport=sport, dport=53) / Raw(b"q" * (20 + i)))
        t += 0.002
        add(t, IP(src=srv, dst=cli) / UDP(sport=53, dport=sport) / Raw(b"a" * (60 + 3 * i)))
    for i in range(3):
        t += 0.05
        add(t, IP(src="10.2.0.1", dst="10.2.0.2", tos=0x20) / UDP(sport=514, dport=514)
            / Raw(b"<13>syslog %d" % i))

    # IPv4 ICMP echo.
    for i in range(4):
        t += rng.uniform(0.01, 0.2)
        add(t, IP(src="10.3.0.5", dst="203.0.113.%d" % (7 + i)) / ICMP(type=8, id=100 + i, seq=1)
            / Raw(b"p" * 56))
        t += 0.003
        add(t, IP(src="203.0.113.%d" % (7 + i), dst="10.3.0.5") / ICMP(type=0, id=100 + i, seq=1)
            / Raw(b"p" * 56))

    # IPv6 TCP, UDP, ICMPv6.
    for i in range(5):
        cli = "2001:db8:1::%x" % (0x10 + i)
        srv = "2001:db8:ffff::%x" % (1 + i)
        sport = 41000 + i
        tc = [0, 0x28, 0xb8][i % 3]
        t += rng.uniform(0.01, 0.3)
        add(t, IPv6(src=cli, dst=srv, tc=tc) / TCP(sport=sport, dport=443, flags="S"))
        t += 0.01
        add(t, IPv6(src=srv, dst=cli, tc=tc) / TCP(sport=443, dport=sport, flags="SA"))
        t += 0.01
        add(t, IPv6(src=cli, dst=srv, tc=tc) / TCP(sport=sport, dport=443, flags="PA")
            / Raw(b"y" * rng.randint(10, 900)))
        t += 0.01
        add(t, IPv6(src=cli, dst=srv, tc=tc) / TCP(sport=sport, dport=443, flags="FA"))
    for i in range(4):
        t += rng.uniform(0.01, 0.3)
        add(t, IPv6(src="2001:db8:2::%x" % (i + 1), dst="2001:db8:53::1")
            / UDP(sport=52000 + i, dport=53) / Raw(b"q" * (30 + i)))
        t += 0.002
        add(t, IPv6(src="2001:db8:53::1", dst="2001:db8:2::%x" % (i + 1))
            / UDP(sport=53, dport=52000 + i) / Raw(b"a" * (90 + i)))
    for i in range(3):
        t += rng.uniform(0.01, 0.3)
        add(t, IPv6(src="2001:db8:3::1", dst="2001:db8:3::%x" % (0x100 + i))
            / ICMPv6EchoRequest(id=7, seq=i))
        t += 0.004
        add(t, IPv6(src="2001:db8:3::%x" % (0x100 + i), dst="2001:db8:3::1")
            / ICMPv6EchoReply(id=7, seq=i))

    pkts.sort(key=lambda p: p.time)
    wrpcap(sys.argv[1], pkts)


if __name__ == "__main__":
    main()

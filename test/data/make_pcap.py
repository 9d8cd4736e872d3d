#!/usr/bin/python3
# ---------------------------------------------------------------------------
# make_pcap.py
#     Deterministic pcap of varied loopback-addressed traffic (TCP, UDP,
#     ICMP, ICMPv6; IPv4 and IPv6) with fixed timestamps, for feeding an
#     exporter (softflowd -r FILE -a) and for checking what it exports.
#
# Usage as a script:
#     /usr/bin/python3 test/data/make_pcap.py OUT.pcap      # write the pcap
#     /usr/bin/python3 test/data/make_pcap.py --expected    # print flows
#
# Usage as a module (other tests import it):
#     sys.path.insert(0, 'test/data'); import make_pcap
#     pkts = make_pcap.build_packets()
#     make_pcap.write_pcap('/tmp/x.pcap')
#     exp = make_pcap.expected_flows()   # {FlowKey: FlowTotals}
#     conv = make_pcap.conversation_times()  # both directions' first/last
#
# Everything is a pure function of the constants below: the same packets,
# timestamps and payloads on every run, so exporter output and the expected
# per-flow totals are reproducible.
#
# Byte counts: as NetFlow exporters (softflowd included) count them, bytes
# of the IP packet (IPv4 total length; IPv6 40-byte header + payload
# length), without the link-layer header.
# ---------------------------------------------------------------------------

import collections
import sys

from scapy.all import (ICMP, IP, TCP, UDP, Ether, ICMPv6EchoReply,
                       ICMPv6EchoRequest, IPv6, Raw, wrpcap)

# First packet time (seconds since the Unix epoch): 2024-01-01 00:00:00 UTC.
BASE_TIME = 1704067200.0

# Hosts.  Documentation/loopback-style addresses only; the pcap is never
# sent on a network (softflowd reads it from a file).
V4_HOSTS = ['10.0.0.1', '10.0.0.2', '192.0.2.10', '198.51.100.7']
V6_HOSTS = ['2001:db8::1', '2001:db8::2', '2001:db8:1::10', 'fd00::7']
MAC_A = '02:00:00:00:00:01'
MAC_B = '02:00:00:00:00:02'

# A 5-tuple, directional.  For ICMP/ICMPv6 the ports are 0 and the type and
# code are in FlowTotals (exporters put type*256+code in the destination
# port field in v5/v9 or in icmpTypeCode IEs; tests map them as needed).
FlowKey = collections.namedtuple(
    'FlowKey', 'family src dst proto sport dport')
FlowTotals = collections.namedtuple(
    'FlowTotals', 'packets bytes first last tcp_flags icmp_type icmp_code')


def _payload(n, seed):
    """Deterministic payload of n bytes."""
    return bytes(((seed * 31 + i * 7) & 0xff) for i in range(n))


def _ip(family, src, dst):
    if family == 4:
        return IP(src=src, dst=dst, ttl=64, id=0)
    return IPv6(src=src, dst=dst, hlim=64)


def _tcp_conversation(family, cli, srv, sport, dport, t0, nreq, req_len,
                      resp_len, close='fin', seed=0):
    """A TCP connection: handshake, nreq request/response pairs, close."""
    out = []
    t = t0
    cs, ss = 1000 + seed, 5000 + seed

    def c2s(flags, data=b''):
        nonlocal t
        p = Ether(src=MAC_A, dst=MAC_B) / _ip(family, cli, srv) / \
            TCP(sport=sport, dport=dport, flags=flags, seq=cs, ack=ss,
                window=65535)
        if data:
            p = p / Raw(data)
        out.append((t, p))
        t += 0.003

    def s2c(flags, data=b''):
        nonlocal t
        p = Ether(src=MAC_B, dst=MAC_A) / _ip(family, srv, cli) / \
            TCP(sport=dport, dport=sport, flags=flags, seq=ss, ack=cs,
                window=65535)
        if data:
            p = p / Raw(data)
        out.append((t, p))
        t += 0.003

    c2s('S')
    s2c('SA')
    c2s('A')
    for i in range(nreq):
        c2s('PA', _payload(req_len, seed + i))
        cs += req_len
        s2c('PA', _payload(resp_len, seed + 100 + i))
        ss += resp_len
        c2s('A')
    if close == 'fin':
        c2s('FA')
        s2c('FA')
        c2s('A')
    elif close == 'rst':
        s2c('R')
    return out


def _udp_exchange(family, cli, srv, sport, dport, t0, n, req_len, resp_len,
                  seed=0, reply=True):
    """n UDP request/response pairs (or one-way datagrams)."""
    out = []
    t = t0
    for i in range(n):
        out.append((t, Ether(src=MAC_A, dst=MAC_B) / _ip(family, cli, srv) /
                    UDP(sport=sport, dport=dport) /
                    Raw(_payload(req_len, seed + i))))
        t += 0.01
        if reply:
            out.append((t, Ether(src=MAC_B, dst=MAC_A) /
                        _ip(family, srv, cli) /
                        UDP(sport=dport, dport=sport) /
                        Raw(_payload(resp_len, seed + 50 + i))))
            t += 0.01
    return out


def _ping(family, a, b, t0, n, size, seed=0):
    """n echo request/reply pairs."""
    out = []
    t = t0
    for i in range(n):
        data = _payload(size, seed + i)
        if family == 4:
            rq = IP(src=a, dst=b, ttl=64, id=0) / ICMP(type=8, id=seed, seq=i)
            rp = IP(src=b, dst=a, ttl=64, id=0) / ICMP(type=0, id=seed, seq=i)
        else:
            rq = IPv6(src=a, dst=b, hlim=64) / \
                ICMPv6EchoRequest(id=seed, seq=i)
            rp = IPv6(src=b, dst=a, hlim=64) / ICMPv6EchoReply(id=seed, seq=i)
        out.append((t, Ether(src=MAC_A, dst=MAC_B) / rq / Raw(data)))
        out.append((t + 0.001, Ether(src=MAC_B, dst=MAC_A) / rp / Raw(data)))
        t += 1.0
    return out


# Traffic comes in ROUNDS rounds ROUND_GAP seconds apart (more than the
# exporter's expiry interval of 60 s), so an exporter sends several export
# rounds with advancing sequence numbers and template refreshes.
ROUNDS = 3
ROUND_GAP = 130.0


def _round(k, t0):
    """Conversations of round k (ports shifted by 10*k), starting at t0."""
    v4, v6 = V4_HOSTS, V6_HOSTS
    d = 10 * k
    ev = []
    # TCP, IPv4: a web-like exchange, a bulk transfer, a reset connection.
    ev += _tcp_conversation(4, v4[0], v4[1], 40001 + d, 80, t0 + 0.0, 3, 120,
                            1400, seed=1 + d)
    ev += _tcp_conversation(4, v4[0], v4[2], 40002 + d, 443, t0 + 0.5,
                            12 - 3 * k, 60, 1200, seed=2 + d)
    ev += _tcp_conversation(4, v4[3], v4[1], 40003 + d, 22, t0 + 1.0, 2, 48,
                            48, close='rst', seed=3 + d)
    if k != 1:
        ev += _tcp_conversation(4, v4[2], v4[3], 40004 + d, 25, t0 + 2.0, 1,
                                300, 20, seed=4 + d)
    # TCP, IPv6.
    ev += _tcp_conversation(6, v6[0], v6[1], 40101 + d, 80, t0 + 0.2, 4 + k,
                            200, 1300, seed=5 + d)
    ev += _tcp_conversation(6, v6[2], v6[3], 40102 + d, 8443, t0 + 1.5, 6,
                            90, 600, close='rst', seed=6 + d)
    # UDP, IPv4 and IPv6: DNS-like, NTP-like, one-way syslog-like.
    ev += _udp_exchange(4, v4[0], v4[3], 53001 + d, 53, t0 + 0.1, 5, 40, 120,
                        seed=7 + d)
    if k != 2:
        ev += _udp_exchange(4, v4[1], v4[2], 123, 123, t0 + 0.3, 3, 48, 48,
                            seed=8 + d)
    ev += _udp_exchange(4, v4[2], v4[0], 51000 + d, 514, t0 + 0.7, 7, 90, 0,
                        seed=9 + d, reply=False)
    ev += _udp_exchange(6, v6[1], v6[0], 53002 + d, 53, t0 + 0.4, 4, 44, 200,
                        seed=10 + d)
    ev += _udp_exchange(6, v6[3], v6[2], 50000 + d, 4789, t0 + 2.5, 3, 700,
                        0, seed=11 + d, reply=False)
    # ICMP and ICMPv6 echo.
    ev += _ping(4, v4[0], v4[1], t0 + 0.05, 3, 56, seed=12 + d)
    if k != 1:
        ev += _ping(6, v6[0], v6[2], t0 + 0.15, 2, 32, seed=13 + d)
    return ev


def build_packets():
    """The list of scapy packets, sorted by time, each with .time set."""
    ev = []
    for k in range(ROUNDS):
        ev += _round(k, k * ROUND_GAP)
    ev.sort(key=lambda e: e[0])
    pkts = []
    for off, p in ev:
        p = p.__class__(bytes(p))       # freeze lengths and checksums
        p.time = BASE_TIME + round(off, 6)
        pkts.append(p)
    return pkts


def write_pcap(path):
    """Write the pcap to path; returns the number of packets."""
    pkts = build_packets()
    wrpcap(path, pkts, linktype=1)
    return len(pkts)


def _layer3(p):
    if IP in p:
        return 4, p[IP]
    if IPv6 in p:
        return 6, p[IPv6]
    return None, None


def expected_flows(pkts=None):
    """Per directional 5-tuple: packets, IP bytes, first/last time (s),
    OR of TCP flags, ICMP type/code.  Returns {FlowKey: FlowTotals}."""
    if pkts is None:
        pkts = build_packets()
    acc = {}
    for p in pkts:
        fam, l3 = _layer3(p)
        if l3 is None:
            continue
        if fam == 4:
            ipbytes = l3.len
            proto = l3.proto
        else:
            ipbytes = 40 + l3.plen
            proto = l3.nh
        sport = dport = 0
        flags = 0
        itype = icode = None
        if TCP in p:
            sport, dport, flags = p[TCP].sport, p[TCP].dport, int(p[TCP].flags)
        elif UDP in p:
            sport, dport = p[UDP].sport, p[UDP].dport
        elif ICMP in p:
            itype, icode = p[ICMP].type, p[ICMP].code
        elif ICMPv6EchoRequest in p:
            itype, icode = 128, 0
        elif ICMPv6EchoReply in p:
            itype, icode = 129, 0
        key = FlowKey(fam, l3.src, l3.dst, proto, sport, dport)
        t = float(p.time)
        old = acc.get(key)
        if old is None:
            acc[key] = FlowTotals(1, ipbytes, t, t, flags, itype, icode)
        else:
            acc[key] = FlowTotals(old.packets + 1, old.bytes + ipbytes,
                                  min(old.first, t), max(old.last, t),
                                  old.tcp_flags | flags, itype, icode)
    return acc


def conversation_key(key):
    """The direction-free key of a FlowKey: (family, frozenset of the two
    (address, port) ends, proto)."""
    return (key.family, frozenset([(key.src, key.sport),
                                   (key.dst, key.dport)]), key.proto)


def conversation_times(flows=None):
    """First and last packet time (s) per conversation, both directions
    together: {conversation_key: (first, last)}.  softflowd tracks a flow
    in both directions at once and exports these times for each of the two
    directional records (checked against its v5 and IPFIX output)."""
    if flows is None:
        flows = expected_flows()
    out = {}
    for k, v in flows.items():
        ck = conversation_key(k)
        old = out.get(ck)
        out[ck] = (v.first, v.last) if old is None else \
            (min(old[0], v.first), max(old[1], v.last))
    return out


def main(argv):
    if len(argv) == 2 and argv[1] == '--expected':
        for k, v in sorted(expected_flows().items()):
            print(k.family, k.src, k.dst, k.proto, k.sport, k.dport,
                  v.packets, v.bytes, v.tcp_flags, v.icmp_type, v.icmp_code)
        return 0
    if len(argv) != 2:
        sys.stderr.write('usage: make_pcap.py OUT.pcap | --expected\n')
        return 2
    n = write_pcap(argv[1])
    print('%d packets written to %s' % (n, argv[1]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

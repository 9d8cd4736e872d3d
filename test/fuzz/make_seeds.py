#!/usr/bin/python3
# ---------------------------------------------------------------------------
# make_seeds.py
#     Build the fuzz seed corpus (test/fuzz/corpus/) from the real softflowd
#     datagrams in test/data/softflowd/, framed as fuzz_decoder.c expects:
#
#         cfg byte, then per datagram: ctrl byte, 2-byte big-endian length,
#         the datagram
#
#     Seeds are SEQUENCES: templates then data, data before its template,
#     templates and data split into separate datagrams, interleaved
#     exporters, retransmissions and clock steps, small decoder limits, plus
#     a few hand-made datagrams for paths softflowd never takes (template
#     withdrawal, variable-length and enterprise fields, v9 options).
#
# Usage: /usr/bin/python3 test/fuzz/make_seeds.py [DATADIR [OUTDIR]]
#        (run by make_corpus.sh; not by the test suite)
# ---------------------------------------------------------------------------

import glob
import hashlib
import os
import re
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# cfg byte: all default limits (see pick_limits in fuzz_decoder.c).
CFG_DEFAULT = 0xff
# cfg: 1 template, 300 pending bytes, 1 s max age, 1 exporter.
CFG_TINY = 0x00 | (1 << 3) | (0 << 5) | (0 << 6)
# cfg: 2 templates, 4096 pending bytes, default age, 2 exporters.
CFG_SMALL = 0x01 | (2 << 3) | (1 << 5) | (1 << 6)

# ctrl bits (see run_one in fuzz_decoder.c)
# exporters: 127.0.0.1, 127.0.0.2, ::1, ::ffff:127.0.0.2 (= 127.0.0.2)
EXP_V4A, EXP_V4B, EXP_V6A, EXP_V4MAPPED = 0, 1, 2, 3
STEP_0, STEP_1US, STEP_1MS, STEP_1S, STEP_30S, STEP_10MIN, STEP_DAY, \
    STEP_BACK = range(8)
EXPIRE, EXPORTERS, ALSO_B = 0x20, 0x40, 0x80


def ctrl(exporter=EXP_V4A, step=STEP_1S, extra=EXPORTERS):
    return (exporter & 3) | (step << 2) | extra


def frame(cfg, items):
    """items: list of (ctrl, datagram)."""
    out = bytearray([cfg])
    for c, d in items:
        assert len(d) <= 0xffff
        out += bytes([c]) + struct.pack('>H', len(d)) + d
    return bytes(out)


def sets_of(d):
    """Split a v9/IPFIX datagram into (header, [set bytes])."""
    ver = struct.unpack('>H', d[:2])[0]
    hlen = 20 if ver == 9 else 16
    off, sets = hlen, []
    while off + 4 <= len(d):
        slen = struct.unpack('>H', d[off + 2:off + 4])[0]
        if slen < 4 or off + slen > len(d):
            break
        sets.append(d[off:off + slen])
        off += slen
    return d[:hlen], sets


def build(header, sets):
    """A v9/IPFIX datagram from a header and sets (lengths fixed up)."""
    ver = struct.unpack('>H', header[:2])[0]
    body = b''.join(sets)
    h = bytearray(header)
    if ver == 10:
        struct.pack_into('>H', h, 2, len(h) + len(body))
    else:
        # v9 count: number of records; approximate by sets (exporters get it
        # wrong too, and decoders must not trust it).
        struct.pack_into('>H', h, 2, len(sets))
    return bytes(h) + body


def split_by_set(d):
    """One datagram per set; templates first in the returned order."""
    header, sets = sets_of(d)
    return [build(header, [s]) for s in sets]


def is_template_set(s):
    sid = struct.unpack('>H', s[:2])[0]
    return sid in (0, 1, 2, 3)


def templates_and_data(d):
    """(datagram with only the template sets, one with only data sets)."""
    header, sets = sets_of(d)
    t = [s for s in sets if is_template_set(s)]
    x = [s for s in sets if not is_template_set(s)]
    return (build(header, t) if t else None, build(header, x) if x else None)


def ipfix(domain, seq, sets, export_time=0x65920186):
    body = b''.join(sets)
    return struct.pack('>HHIII', 10, 16 + len(body), export_time, seq,
                       domain) + body


def v9(source_id, seq, sets, uptime=262520, secs=0x65920186):
    body = b''.join(sets)
    return struct.pack('>HHIIII', 9, len(sets), uptime, secs, seq,
                       source_id) + body


def set_(sid, payload):
    pad = (-len(payload)) % 4
    return struct.pack('>HH', sid, 4 + len(payload) + pad) + payload + \
        b'\0' * pad


def handmade():
    """Datagrams for paths softflowd does not produce."""
    seeds = {}
    # IPFIX: template 300 with an enterprise field, a variable-length field
    # (interfaceName) and reverse-direction counters; data with a short and
    # a long (3-byte) variable-length encoding; then withdrawal of 300 and
    # an "all templates" withdrawal (id 2).
    tmpl = struct.pack('>HH', 300, 6) + struct.pack(
        '>HHHHHHHHIHH', 8, 4, 12, 4, 2, 8, 0x8000 | 2, 8, 29305,
        82, 0xffff) + struct.pack('>HH', 7, 2)
    rec1 = bytes([10, 0, 0, 1, 10, 0, 0, 2]) + struct.pack('>QQ', 5, 3) + \
        bytes([4]) + b'eth0' + struct.pack('>H', 1234)
    rec2 = bytes([10, 0, 0, 3, 10, 0, 0, 4]) + struct.pack('>QQ', 7, 0) + \
        bytes([255]) + struct.pack('>H', 300) + b'x' * 300 + \
        struct.pack('>H', 80)
    t = ipfix(7, 0, [set_(2, tmpl)])
    dd = ipfix(7, 0, [set_(300, rec1 + rec2)])
    wd = ipfix(7, 2, [set_(2, struct.pack('>HH', 300, 0))])
    wall = ipfix(7, 2, [set_(2, struct.pack('>HH', 2, 0))])
    seeds['handmade-ipfix-varlen-withdraw'] = frame(CFG_DEFAULT, [
        (ctrl(EXP_V4A), dd), (ctrl(EXP_V4A), t), (ctrl(EXP_V4A), dd),
        (ctrl(EXP_V4A), wd), (ctrl(EXP_V4A), dd), (ctrl(EXP_V4A), t),
        (ctrl(EXP_V4A, extra=EXPORTERS | ALSO_B), wall),
        (ctrl(EXP_V4A), dd)])
    # IPFIX options template (scope: observationDomainId) with sampling.
    otmpl = struct.pack('>HHH', 400, 3, 1) + struct.pack(
        '>HHHHHH', 149, 4, 305, 4, 34, 4)
    orec = struct.pack('>III', 7, 100, 100)
    seeds['handmade-ipfix-options-sampling'] = frame(CFG_DEFAULT, [
        (ctrl(EXP_V6A), ipfix(7, 0, [set_(3, otmpl), set_(400, orec)])),
        (ctrl(EXP_V6A), t), (ctrl(EXP_V6A), dd)])
    # v9: options template with a scope, sampling interval; template with
    # IPv6 addresses and ICMP type; data records; a record count that lies.
    v9t = struct.pack('>HH', 260, 7) + struct.pack(
        '>HHHHHHHHHHHHHH', 27, 16, 28, 16, 4, 1, 32, 2, 1, 4, 2, 4, 22, 4)
    v9o = struct.pack('>HHH', 261, 4, 8) + struct.pack(
        '>HHHHHH', 1, 4, 34, 4, 35, 1) + b''
    v9orec = struct.pack('>IIB', 1, 10, 2)
    v9rec = bytes(range(16)) + bytes(range(16, 32)) + bytes([58]) + \
        struct.pack('>HIII', 0x8000, 100, 2, 1000)
    seeds['handmade-v9-options-icmp6'] = frame(CFG_DEFAULT, [
        (ctrl(EXP_V4MAPPED), v9(9, 0, [set_(260, v9rec)])),
        (ctrl(EXP_V4MAPPED), v9(9, 1, [set_(0, v9t), set_(1, v9o)])),
        (ctrl(EXP_V4MAPPED), v9(9, 2, [set_(261, v9orec), set_(260, v9rec * 3)])),
        (ctrl(EXP_V4MAPPED, STEP_BACK), v9(9, 1, [set_(260, v9rec)])),
        (ctrl(EXP_V4MAPPED, STEP_DAY), v9(9, 0, [set_(260, v9rec)]))])
    # Biflows: NSEL initiator/responder counters (231/232/298/299) in v9,
    # and an IPFIX template mixing RFC 5103 reverse counters, flags and
    # times (PEN 29305) with the same ids under another PEN; one record
    # with reverse traffic, one without.
    nt = struct.pack('>HH', 270, 8) + struct.pack(
        '>HHHHHHHHHHHHHHHH', 8, 4, 12, 4, 7, 2, 11, 2, 231, 8, 232, 8,
        298, 4, 299, 4)
    nrec = bytes([10, 0, 0, 1, 10, 0, 0, 2]) + struct.pack(
        '>HHQQII', 1234, 80, 1000, 2000, 10, 20)
    nrec0 = bytes([10, 0, 0, 3, 10, 0, 0, 4]) + struct.pack(
        '>HHQQII', 1235, 80, 60, 0, 1, 0)
    bt = struct.pack('>HH', 310, 7) + struct.pack('>HHHH', 8, 4, 12, 4) + \
        struct.pack('>HHI', 0x8001, 8, 29305) + \
        struct.pack('>HHI', 0x8002, 4, 29305) + \
        struct.pack('>HHI', 0x8006, 1, 29305) + \
        struct.pack('>HHI', 0x8098, 8, 29305) + \
        struct.pack('>HHI', 0x8001, 8, 9)
    brec = bytes([10, 0, 0, 1, 10, 0, 0, 2]) + struct.pack(
        '>QIBQQ', 500, 3, 0x12, 0x19b796dca48, 77)
    brec0 = bytes([10, 0, 0, 5, 10, 0, 0, 6]) + struct.pack(
        '>QIBQQ', 0, 0, 0, 0, 77)
    seeds['handmade-biflow-nsel-rfc5103'] = frame(CFG_DEFAULT, [
        (ctrl(EXP_V4A), v9(11, 0, [set_(0, nt), set_(270, nrec + nrec0)])),
        (ctrl(EXP_V4B, extra=EXPORTERS | ALSO_B),
         ipfix(12, 0, [set_(2, bt), set_(310, brec + brec0)])),
        (ctrl(EXP_V4B), ipfix(12, 2, [set_(310, brec0 + brec)]))])
    # Many observation domains (exporter table growth past 64 and 128
    # entries, and with small limits, exporter eviction churn).
    small_t = struct.pack('>HH', 256, 2) + struct.pack('>HHHH', 8, 4, 2, 4)
    many = []
    for dom in range(140):
        msg = ipfix(dom, 0, [set_(2, small_t), set_(256, bytes(
            [10, 0, dom >> 8, dom & 0xff]) + struct.pack('>I', dom + 1))])
        many.append((ctrl(dom & 3, STEP_1US, 0), msg))
    many[-1] = (ctrl(EXP_V4A, STEP_1S, EXPORTERS | EXPIRE), many[-1][1])
    seeds['handmade-many-domains'] = frame(CFG_DEFAULT, many)
    seeds['handmade-many-domains-small'] = frame(CFG_SMALL, many)

    # Saved templates loaded into decoder B (ctrl bit 7 with bytes that are
    # not a datagram: id, flags, domain, raw), then data for them.
    raw = struct.pack('>HH', 256, 4) + struct.pack('>HHHHHHHH', 8, 4, 12, 4,
                                                   2, 4, 1, 4)
    load = struct.pack('>HBI', 256, 2, 7) + raw
    bad = struct.pack('>HBI', 256, 2, 7) + raw[:-3]
    data = ipfix(7, 0, [set_(256, bytes([10, 0, 0, 1, 10, 0, 0, 2]) +
                             struct.pack('>II', 3, 300))])
    seeds['handmade-load-template'] = frame(CFG_DEFAULT, [
        (ctrl(EXP_V4A, extra=ALSO_B), bad), (ctrl(EXP_V4A, extra=ALSO_B), load),
        (ctrl(EXP_V4A, extra=ALSO_B), data)])
    return seeds


def main(argv):
    datadir = argv[1] if len(argv) > 1 else \
        os.path.join(HERE, '..', 'data', 'softflowd')
    outdir = argv[2] if len(argv) > 2 else os.path.join(HERE, 'corpus')
    os.makedirs(outdir, exist_ok=True)
    for f in glob.glob(os.path.join(outdir, '*')):
        os.unlink(f)

    variants = {}
    for f in sorted(glob.glob(os.path.join(datadir, '*.bin'))):
        m = re.match(r'(.*)-(\d+)\.bin$', os.path.basename(f))
        with open(f, 'rb') as fh:
            variants.setdefault(m.group(1), []).append(fh.read())

    seeds = {}
    for name, grams in sorted(variants.items()):
        templated = name != 'v5'
        # 1. as exported, one exporter, default limits; also into B.
        seeds[name + '-inorder'] = frame(CFG_DEFAULT, [
            (ctrl(EXP_V4A, extra=EXPORTERS | ALSO_B), g) for g in grams])
        # 2. each datagram alone (for byte-level mutation).
        for i, g in enumerate(grams):
            seeds['%s-single-%02d' % (name, i + 1)] = frame(
                CFG_DEFAULT, [(ctrl(EXP_V6A), g)])
        # 3. the same stream from two exporters, interleaved, small limits.
        items = []
        for g in grams:
            items.append((ctrl(EXP_V4B, STEP_1MS), g))
            items.append((ctrl(EXP_V4MAPPED, STEP_1MS, EXPORTERS | EXPIRE), g))
        seeds[name + '-two-exporters-small'] = frame(CFG_SMALL, items)
        # 4. retransmission and a clock step back.
        seeds[name + '-retransmit'] = frame(CFG_DEFAULT, [
            (ctrl(EXP_V4A), grams[0]), (ctrl(EXP_V4A, STEP_1S), grams[-1]),
            (ctrl(EXP_V4A, STEP_BACK), grams[0]),
            (ctrl(EXP_V4A, STEP_0), grams[-1])])
        if not templated:
            continue
        # 5. data before template: split each datagram into template and
        #    data parts and send all data first.
        tparts, dparts = [], []
        for g in grams:
            t, x = templates_and_data(g)
            if t:
                tparts.append(t)
            if x:
                dparts.append(x)
        seeds[name + '-data-first'] = frame(CFG_DEFAULT, [
            (ctrl(EXP_V4A, STEP_1MS), x) for x in dparts] + [
            (ctrl(EXP_V4A, STEP_1MS, EXPORTERS | ALSO_B), t)
            for t in tparts])
        # 6. same, tiny limits (pending eviction) and expiry before the
        #    templates come.
        seeds[name + '-data-first-tiny'] = frame(CFG_TINY, [
            (ctrl(EXP_V6A, STEP_1MS), x) for x in dparts] + [
            (ctrl(EXP_V6A, STEP_30S, EXPIRE | EXPORTERS), t)
            for t in tparts])
        # 7. one set per datagram, in reverse order.
        parts = []
        for g in grams:
            parts += split_by_set(g)
        seeds[name + '-per-set-reversed'] = frame(CFG_DEFAULT, [
            (ctrl(EXP_V4B, STEP_1US), p) for p in reversed(parts)])

    # 8. all versions from the four exporters at once, default and small
    #    limits.
    mix = []
    order = ['v5', 'v9', 'ipfix', 'v9-ether', 'ipfix-bidir', 'ipfix-sampled']
    for i in range(4):
        for j, name in enumerate(order):
            grams = variants.get(name, [])
            if i < len(grams):
                mix.append((ctrl((i + j) & 3, STEP_1MS, EXPORTERS), grams[i]))
    seeds['mix-all-versions'] = frame(CFG_DEFAULT, mix)
    seeds['mix-all-versions-small'] = frame(CFG_SMALL, mix)
    seeds['mix-all-versions-tiny'] = frame(CFG_TINY, mix)

    seeds.update(handmade())

    # 9. hand-written datagrams of test/data/handmade/ (from the decoders'
    #    first harness), alone and repeated from two exporters.
    hdir = os.path.join(datadir, '..', 'handmade')
    for f in sorted(glob.glob(os.path.join(hdir, '*.bin'))):
        with open(f, 'rb') as fh:
            g = fh.read()
        name = 'handmade-' + os.path.basename(f)[:-4].replace('_', '-')
        seeds[name] = frame(CFG_DEFAULT, [
            (ctrl(EXP_V4B, extra=EXPORTERS | ALSO_B), g),
            (ctrl(EXP_V6A, STEP_1MS), g), (ctrl(EXP_V4B, STEP_30S), g)])

    total = 0
    for name, data in sorted(seeds.items()):
        with open(os.path.join(outdir, name), 'wb') as fh:
            fh.write(data)
        total += len(data)
    print('%d seeds, %d bytes in %s' % (len(seeds), total, outdir))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

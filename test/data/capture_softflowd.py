#!/usr/bin/python3
# ---------------------------------------------------------------------------
# capture_softflowd.py
#     Regenerate test/data/softflowd/: real NetFlow v5, v9 and IPFIX export
#     datagrams produced by softflowd 1.1.0 from the deterministic pcap of
#     make_pcap.py, one file per datagram.
#
# Usage:  /usr/bin/python3 test/data/capture_softflowd.py [OUTDIR]
#         (default OUTDIR: the softflowd/ directory next to this script)
#
# softflowd reads the pcap (-r, with -a so flow times come from the pcap),
# and exports to a UDP listener on 127.0.0.1 (loopback only) run by this
# script, which saves each datagram as OUTDIR/<variant>-<NN>.bin in arrival
# order.  Variants cover the exporter options that change the templates:
# tracking level (VLAN/MAC fields), sampling (options template), IPFIX
# bidirectional flows and absolute time formats.
#
# Not run by the test suite: the saved files are committed.  The output is
# reproducible byte for byte except one field: the IPFIX options record's
# meteringProcessId (IE 143) is softflowd's process id.  The rest depends
# only on the pcap and the options
# (-a takes the export header's clock from the pcap; the pcap is given by a
# fixed relative name because softflowd exports it as the interface name).
# ---------------------------------------------------------------------------

import os
import select
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_pcap  # noqa: E402

# Timeouts short enough that each traffic round is exported separately.
COMMON = ['-t', 'maxlife=30', '-t', 'expint=10']

# (variant name, softflowd arguments)
VARIANTS = [
    ('v5', ['-v', '5']),
    ('v9', ['-v', '9']),
    ('v9-ether', ['-v', '9', '-T', 'ether']),
    ('v9-sampled', ['-v', '9', '-s', '4']),
    ('ipfix', ['-v', '10']),
    ('ipfix-ether', ['-v', '10', '-T', 'ether']),
    ('ipfix-sampled', ['-v', '10', '-s', '4']),
    ('ipfix-bidir', ['-v', '10', '-b']),
    ('ipfix-milli', ['-v', '10', '-A', 'milli']),
    ('ipfix-micro', ['-v', '10', '-A', 'micro']),
    ('ipfix-nano', ['-v', '10', '-A', 'nano']),
]


def capture(pcap, args, workdir, idle=1.0, limit=30.0):
    """Run softflowd on pcap with args; return the list of datagrams."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    # Relative pcap path: softflowd exports it as the interface name.
    cmd = ['softflowd', '-r', os.path.basename(pcap), '-c', 'none', '-a',
           '-d', '-p', os.path.join(workdir, 'softflowd.pid'),
           '-n', '127.0.0.1:%d' % port] + COMMON + args
    proc = subprocess.Popen(cmd, cwd=os.path.dirname(pcap),
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    out = []
    waited = 0.0
    try:
        while waited < limit:
            ready, _, _ = select.select([sock], [], [], idle)
            if ready:
                out.append(sock.recv(65535))
                continue
            waited += idle
            if proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        sock.close()
    if proc.returncode != 0:
        raise RuntimeError('%s exited %d' % (' '.join(cmd), proc.returncode))
    return out


def main(argv):
    outdir = argv[1] if len(argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), 'softflowd')
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        if f.endswith('.bin'):
            os.unlink(os.path.join(outdir, f))
    with tempfile.TemporaryDirectory() as tmp:
        pcap = os.path.join(tmp, 'traffic.pcap')
        make_pcap.write_pcap(pcap)
        for name, args in VARIANTS:
            grams = capture(pcap, args, tmp)
            if not grams:
                raise RuntimeError('no datagram from softflowd %s' % name)
            for i, g in enumerate(grams):
                with open(os.path.join(outdir, '%s-%02d.bin' % (name, i + 1)),
                          'wb') as fh:
                    fh.write(g)
            print('%-14s %d datagrams, %d bytes' %
                  (name, len(grams), sum(len(g) for g in grams)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

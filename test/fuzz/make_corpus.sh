#!/usr/bin/env bash
# test/fuzz/make_corpus.sh -- regenerate the fuzz seed corpus from real
# exporter output.  Not run by CI: its output is committed.
#
#   1. test/data/make_pcap.py builds a deterministic pcap (TCP, UDP, ICMP,
#      IPv4 and IPv6, fixed timestamps, three traffic rounds);
#   2. test/data/capture_softflowd.py runs softflowd 1.1.0 on it
#      (-r FILE -c none -a) in v5, v9 and IPFIX with several options,
#      exporting to a UDP listener on 127.0.0.1, and saves each datagram in
#      test/data/softflowd/<variant>-NN.bin;
#   3. test/fuzz/make_seeds.py frames those datagrams into sequences for
#      fuzz_decoder.c (template then data, data first, per-set split,
#      interleaved exporters, small limits, hand-made extras) in
#      test/fuzz/corpus/.
#
# Usage: bash test/fuzz/make_corpus.sh [--no-capture]
#   --no-capture   keep test/data/softflowd/ as is, rebuild only the seeds
# Needs: /usr/bin/python3 with scapy (python3-scapy), softflowd.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
if [ "${1:-}" != --no-capture ]; then
	command -v softflowd >/dev/null || { echo "softflowd not installed" >&2; exit 1; }
	"$py" "$here/../data/capture_softflowd.py" "$here/../data/softflowd"
fi
"$py" "$here/make_seeds.py" "$here/../data/softflowd" "$here/corpus"
echo "corpus: $(ls "$here/corpus" | wc -l) files, $(du -sk "$here/corpus" | cut -f1) KiB"

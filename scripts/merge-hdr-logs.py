#!/usr/bin/env python3
"""Merge HdrHistogram interval logs from several `sockmodes load --hdr-log`
runs (one per load machine) into one percentile table.

Percentiles cannot be averaged across machines; histograms can be added.
This reads each log with the `hdrhistogram` package's HistogramLogReader
(HdrHistogram's own Python port: `pip install hdrhistogram`), adds every
interval of every log into one histogram, and prints its percentiles in
microseconds, the unit `sockmodes load` records in.

Usage: python3 scripts/merge-hdr-logs.py a.hlog b.hlog [...]
"""
import re
import sys

try:
    from hdrh.histogram import HdrHistogram
    from hdrh.log import HistogramLogReader
except ImportError:
    sys.exit("merge-hdr-logs: needs the hdrhistogram package: pip install hdrhistogram")

# The range sockmodes records: 1 us to one hour, 3 significant digits.
LOWEST_US, HIGHEST_US, DIGITS = 1, 3_600_000_000, 3
PERCENTILES = [50, 90, 99, 99.9, 99.99, 99.999, 100]


# An interval line: optional tag, start, length, max, the histogram (base64).
INTERVAL = re.compile(r"^(Tag=[^,]*,)?[0-9.]+,[0-9.]+,[0-9.]+,[A-Za-z0-9+/=]+$")


def fail(path, why):
    """One line and exit status 1: never a traceback."""
    sys.exit(f"merge-hdr-logs: {path}: {why}")


def check_lines(path):
    """Refuses what is not an HdrHistogram interval log before decoding
    it: the reader skips lines it does not know, so garbage would read as
    a log of no messages."""
    try:
        with open(path, encoding="ascii") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        fail(path, f"cannot read it: {e}")
    intervals = 0
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#") or line.startswith('"StartTimestamp"'):
            continue
        if not INTERVAL.match(line):
            fail(path, f"line {number} is not an interval of an HdrHistogram log: {line[:60]!r}")
        intervals += 1
    if intervals == 0:
        fail(path, "no interval in it (empty, or not an HdrHistogram log)")


def main(paths):
    if not paths:
        sys.exit(__doc__.strip())
    total = HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)
    for path in paths:
        check_lines(path)
        intervals = 0
        try:
            reader = HistogramLogReader(path, HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS))
            while True:
                h = reader.get_next_interval_histogram()
                if h is None:
                    break
                total.add(h)
                intervals += 1
            reader.close()
        except Exception as e:  # the decoder's many kinds: one line each
            fail(path, f"not a readable HdrHistogram log ({type(e).__name__}: {e})")
        if intervals == 0:
            fail(path, "no interval could be decoded")
        print(f"{path}: {intervals} intervals", file=sys.stderr)
    print(f"messages  {total.get_total_count()}")
    print(f"mean_us   {total.get_mean_value():.0f}")
    for p in PERCENTILES:
        print(f"p{p:<8} {total.get_value_at_percentile(p)} us")


if __name__ == "__main__":
    main(sys.argv[1:])

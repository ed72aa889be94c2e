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
import sys

try:
    from hdrh.histogram import HdrHistogram
    from hdrh.log import HistogramLogReader
except ImportError:
    sys.exit("merge-hdr-logs: needs the hdrhistogram package: pip install hdrhistogram")

# The range sockmodes records: 1 us to one hour, 3 significant digits.
LOWEST_US, HIGHEST_US, DIGITS = 1, 3_600_000_000, 3
PERCENTILES = [50, 90, 99, 99.9, 99.99, 99.999, 100]


def main(paths):
    if not paths:
        sys.exit(__doc__.strip())
    total = HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)
    for path in paths:
        try:
            reader = HistogramLogReader(path, HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS))
        except OSError as e:
            sys.exit(f"merge-hdr-logs: cannot read {path}: {e}")
        intervals = 0
        while True:
            h = reader.get_next_interval_histogram()
            if h is None:
                break
            total.add(h)
            intervals += 1
        reader.close()
        print(f"{path}: {intervals} intervals", file=sys.stderr)
    print(f"messages  {total.get_total_count()}")
    print(f"mean_us   {total.get_mean_value():.0f}")
    for p in PERCENTILES:
        print(f"p{p:<8} {total.get_value_at_percentile(p)} us")


if __name__ == "__main__":
    main(sys.argv[1:])

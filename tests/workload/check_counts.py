#!/usr/bin/env python3
"""Compare metrics in Prometheus text format (a `logpulse --once` output or a scrape of
/metrics) with the exact totals gen_access_log.py --stats wrote.

    check_counts.py STATS.json METRICS.txt      exit 0 when every total matches

The metrics are those of the access rules (examples/access.yaml):
http_requests_total{method,status}, http_response_bytes_total{status},
http_request_duration_seconds (histogram, `le` upper bound inclusive) and
access_log_unparsed_lines_total. Integer totals must be equal; the histogram sum may
differ from the generator's by 1e-9 relative (float additions in another order).

--zero-outside-buckets accepts one known deviation, for comparing mtail only: Debian 12's
mtail 3.0.0~rc50 counts an observation of exactly 0 in _count and _sum but in no bucket.

Python 3 standard library only; also importable (compare()).
"""
import json
import re
import sys

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(text):
    """Prometheus text -> [(name, {label: value}, float)]; mtail's `prog` label dropped."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if m:
            labels = dict(_LABEL.findall(m.group(2) or ""))
            labels.pop("prog", None)
            out.append((m.group(1), labels, float(m.group(3))))
    return out


def _bound(text):
    return "+Inf" if text in ("+Inf", "Inf", "inf") else repr(float(text))


def compare(stats, metrics_text, zero_outside_buckets=False):
    """-> (ok, [message]): one message per total, "ok ..." or "MISMATCH ..."."""
    requests, response_bytes, buckets = {}, {}, {}
    hist_sum = hist_count = unparsed = None
    for name, labels, value in samples(metrics_text):
        if name == "http_requests_total":
            requests["%s %s" % (labels.get("method"), labels.get("status"))] = int(value)
        elif name == "http_response_bytes_total":
            response_bytes[labels.get("status")] = int(value)
        elif name == "http_request_duration_seconds_bucket":
            buckets[_bound(labels["le"])] = int(value)
        elif name == "http_request_duration_seconds_sum":
            hist_sum = value
        elif name == "http_request_duration_seconds_count":
            hist_count = int(value)
        elif name == "access_log_unparsed_lines_total":
            unparsed = int(value)

    messages = []

    def check(what, want, got):
        messages.append(("ok %s" % what) if want == got
                        else "MISMATCH %s: expected %r, got %r" % (what, want, got))
        return want == got

    ok = check("requests by method and status (%d series)" % len(stats["requests_by_method_status"]),
               stats["requests_by_method_status"], requests)
    ok &= check("total requests", stats["valid"], sum(requests.values()))
    ok &= check("response bytes by status", stats["bytes_by_status"], response_bytes)
    ok &= check("unparsed lines", stats["malformed"], unparsed)
    ok &= check("histogram count", stats["request_time_count"], hist_count)
    want_sum = stats["request_time_sum"]
    if hist_sum is not None and abs(hist_sum - want_sum) <= 1e-9 * max(1.0, want_sum):
        messages.append("ok histogram sum (%r)" % hist_sum)
    else:
        ok = False
        messages.append("MISMATCH histogram sum: expected %r, got %r" % (want_sum, hist_sum))
    want = {_bound(k): v for k, v in stats["histogram_le_cumulative"].items()}
    if zero_outside_buckets:
        zeros = stats["request_time_zero_count"]
        want = {k: v - zeros for k, v in want.items()}
        messages.append("note: %d observations of 0 expected in no bucket (mtail rc50)" % zeros)
    ok &= check("histogram buckets (le, upper bound inclusive)", want, buckets)
    return bool(ok), messages


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 2 or any(a not in ("--zero-outside-buckets",) for a in argv[1:] if a.startswith("--")):
        sys.stderr.write(__doc__)
        return 2
    with open(args[0]) as f:
        stats = json.load(f)
    with open(args[1]) as f:
        ok, messages = compare(stats, f.read(), "--zero-outside-buckets" in argv)
    for m in messages:
        print(m)
    print("RESULT: %s" % ("all counts match" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Writes the hand-made seed corpora under tests/fuzz/corpus/<target>/.

Seeds are realistic inputs (the shipped example configurations, nginx and JSON log lines,
HTTP requests a scraper sends, checkpoint files as the daemon writes them), encoded the way
each target reads its input (FuzzedDataProvider takes strings from the front and numbers
from the back). Run it again after changing a seed; the corpus files are committed.
Checkpoint seeds are taken from corpus/checkpoint_store/ as they are (copied from a daemon's
state_dir), not generated here.
"""

import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def fdp_string(text):
    """A FuzzedDataProvider::ConsumeRandomLengthString field: '\\' doubled, ended by '\\' 'x'."""
    return text.replace(b"\\", b"\\\\") + b"\\x"


def write(target, seeds):
    directory = os.path.join(CORPUS, target)
    if os.path.isdir(directory):
        for name in os.listdir(directory):
            if name.startswith("seed-"):
                os.remove(os.path.join(directory, name))
    os.makedirs(directory, exist_ok=True)
    for data in seeds:
        name = "seed-" + hashlib.sha1(data).hexdigest()[:12]
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)


NGINX = [
    b'192.168.1.20 - - [25/Nov/2024:10:00:01 +0000] "GET /index.html HTTP/1.1" 200 612 "-" "curl/8.0" 0.004',
    b'10.0.0.7 - alice [25/Nov/2024:10:00:02 +0100] "POST /api/v1/login HTTP/2.0" 401 27 "https://x/" "Mozilla/5.0" 0.120',
    b'2001:db8::1 - - [25/Nov/2024:10:00:03 -0500] "HEAD /health HTTP/1.0" 503 - "-" "kube-probe/1.29" 1.5',
]
JSON = [
    b'{"time":"2024-11-25T10:00:01.123Z","level":"info","msg":"request done","http":{"method":"GET","status":200},"duration_ms":4.5}',
    b'{"ts":1732528801,"level":"error","msg":"db \\"timeout\\"\\n","tags":["db","retry"],"attempt":3,"ok":false,"extra":null}',
    b'  {"a":{"b":{"c":[1,2,{"d":"\\u00e9\\ud83d\\ude00"}]}},"big":123456789012345678901234567890,"e":1e-3}  ',
    b'{"dup":1,"dup":2,"empty":{},"list":[]}',
    b'["not","an","object"]',
    b'{"truncated":"val',
]


def config_seeds():
    seeds = []
    for path in ("examples/access.yaml", "examples/logpulse.yaml", "examples/demo/logpulse.yaml"):
        with open(os.path.join(REPO, path), "rb") as f:
            seeds.append(f.read())
    seeds.append(b"""listen: ["127.0.0.1:0", "[::1]:0"]
state_dir: /tmp/state
checkpoint_interval: 1m30s
watcher: poll
poll_interval: 250ms
patterns:
  MYID: '[a-z]{3}-\\d+'
sources:
  - name: app
    paths: ["/var/log/app/*.log"]
    exclude: ["*.gz"]
    format: json
    start_at: beginning
    max_line_bytes: 1024
rules:
  - name: by_level
    source: app
    timestamp: {field: time, layout: rfc3339}
    metrics:
      - {name: app_lines_total, type: counter, labels: [level, {env: prod}, {lvl: $level}]}
      - {name: app_duration_seconds, type: histogram, value: duration_ms, buckets: [1, 10, 100]}
      - {name: app_duration_summary, type: summary, value: duration_ms, quantiles: [0.5, 0.99], max_age: 1m}
  - name: ids
    source: app
    field: msg
    match: 'id=%{MYID:id}'
    expire_after: 1h
    max_series: 10
    metrics:
      - {name: app_ids_total, type: counter, labels: [id]}
""")
    seeds.append(b"sources:\n  - name: x\n    paths: [/a]\n    bogus: 1\n")
    seeds.append(b"sources: [{name: a, paths: [a], multiline: {start: '^\\S', timeout: 2s}}]\n"
                 b"rules: [{name: r, source: a, unmatched: true, metrics: [{name: u_total, type: counter}]}]\n")
    return seeds


def pattern_seeds():
    def seed(match, user=()):
        data = b"".join(fdp_string(name) + fdp_string(pattern) for name, pattern in user)
        return data + match + bytes([len(user)])  # the count is read from the back

    return [
        seed(b'^%{IP:client} \\S+ \\S+ \\[%{HTTPDATE:time}\\] "(?P<method>[A-Z]+) %{URIPATH:path}'),
        seed(b"^%{COMBINEDAPACHELOG}$"),
        seed(b"^%{NGINXACCESS}"),
        seed(b"^%{SYSLOGLINE}"),
        seed(b"%{TIMESTAMP_ISO8601:ts} %{LOGLEVEL:level} %{UUID:id} %{GREEDYDATA:msg}"),
        seed(b"^%{MYID:id} %{INNER}$", [(b"MYID", b"[a-z]{3}-\\d+"), (b"INNER", b"%{WORD:w} %{NUMBER:n}")]),
        seed(b"%{A}", [(b"A", b"%{B}"), (b"B", b"%{A}")]),
        seed(b"%{IP}", [(b"IPV4", b"v4")]),
        seed(b"\\%{NOT} [%{]} \\Q%{X}\\E %{2} %{1,3}"),
        seed(b"%{WORD:x} %{WORD:x}"),
        seed(b"%{UNTERMINATED"),
    ]


def splitter_seeds():
    def seed(data, max_line_bytes, cuts):
        tail = b"".join(struct.pack("<H", c) for c in reversed(cuts))
        return data + tail + bytes([len(cuts), max_line_bytes - 1])

    text = b"\n".join(NGINX) + b"\n"
    return [
        seed(text, 64, [5, 100, 101, 250]),
        seed(b"a\r\nbb\n\ncc\r\r\ndd", 2, [1, 2, 3, 9]),
        seed(b"x" * 40 + b"\ny\n" + b"z" * 10, 8, [3, 20, 41]),
        seed(b"\x00\x00\x00line after a hole\n\xff\xfe\n", 16, [2]),
    ]


def splitter_regressions():
    """Known failure (the lead's fix of lib/tail): a line of exactly max_line_bytes before
    "\r\n" is counted as cut when a read ends between "\r" and "\n"."""
    data = b"0123456789\r\n0123456789\n"
    return [data + struct.pack("<H", 11) + bytes([1, 10 - 1])]


def timestamp_seeds():
    fixed = [
        (0, b"25/Nov/2024:10:00:01 +0000"), (1, b"2024-11-25T10:00:01.123456789+01:00"),
        (1, b"2024-02-29 23:59:60Z"), (2, b"1732528801.5"), (2, b"-1.000000001"), (3, b"1732528801123"),
        (4, b"Nov  5 10:00:01"), (5, b"2024-11-25 10:00:01,123"), (6, b"2024-11-25T10:00:01-0530"),
        (7, b"1732528801"), (8, b"11/25/24 10:00 PM UTC"), (9, b"24330 10:00:01.5"),
    ]
    seeds = [bytes([i]) + text for i, text in fixed]
    seeds += [b"\xff%a, %d %B %Y %H:%M:%S %Z\nMonday, 25 November 2024 10:00:01 GMT",
              b"\xff%F %R%%\n2024-11-25 10:00%", b"\xff%e.%m.%y\n 5.11.24"]
    return seeds


def http_seeds():
    def seed(request, name=b"nginx", path=b"/var/log/nginx/access.log", text=b"GET /favicon.ico", ready=True):
        return fdp_string(name) + fdp_string(path) + fdp_string(text) + request + bytes([1 if ready else 0])

    return [
        seed(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9273\r\nUser-Agent: Prometheus/2.42.0\r\n"
             b"Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
             b"Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n"),
        seed(b"GET /api/v1/sources HTTP/1.1\r\nHost: x\r\n\r\nGET /?refresh=1 HTTP/1.1\r\nHost: x\r\n\r\n",
             name=b"app \"<b>\"", path=b"/var/log/<script>&\xff.log",
             text=b"<script>alert(1)</script> & \"q\" \xc3"),
        seed(b"HEAD /-/ready HTTP/1.0\r\n\r\n", ready=False),
        seed(b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
             b"GET /-/healthy HTTP/1.1\r\nConnection: close\r\n\r\n"),
        seed(b"GET /nope HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
        seed(b"GET /metrics HTTP/1.1\r\nAccept-Encoding: deflate;q=1, gzip;q=0, *;q=0.5\r\n\r\n"),
    ]


def main():
    write("config", config_seeds())
    write("pattern_library", pattern_seeds())
    write("line_splitter", splitter_seeds())
    regressions = os.path.join(HERE, "regressions", "line_splitter")
    os.makedirs(regressions, exist_ok=True)
    with open(os.path.join(regressions, "crlf-at-max-line-bytes"), "wb") as f:
        f.write(splitter_regressions()[0])
    write("json_fields", JSON + NGINX[:1])
    write("timestamp_parser", timestamp_seeds())
    write("http_request", http_seeds())


if __name__ == "__main__":
    main()

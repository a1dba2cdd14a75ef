"""The daemon's Kafka sink against a real Kafka-protocol broker: librdkafka's
mock cluster (kafka_fixture.c) on loopback, read back by a consumer.

The daemon writes each event to a file sink and to Kafka; what Kafka holds
must be exactly the file's lines, in order per key, with the documented
key and headers. The broker goes down and comes back: the outage is
reported once, the events produced meanwhile are counted as failed (they
time out in librdkafka), delivery resumes. Bad URLs and settings are
refused before anything starts.
"""
import os
import socket
import subprocess
import threading
import time

import harness as h
from test_daemon import Daemon, metrics, parse_prometheus, read_lines, wait_for
from test_ports import in_ns

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURE_SRC = os.path.join(HERE, "kafka_fixture.c")


def fixture_binary(ctx):
    """The Makefile's build, or one compiled here when it is missing or older."""
    built = os.path.join(ROOT, ".output", "kafka_fixture")
    if os.path.exists(built) and os.path.getmtime(built) >= os.path.getmtime(FIXTURE_SRC):
        return built
    out = os.path.join(ctx.tmp, "kafka_fixture")
    r = subprocess.run(["cc", "-O1", "-o", out, FIXTURE_SRC, "-lrdkafka"], capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0:
        raise h.Fail("cannot build the Kafka fixture (librdkafka-dev installed?): %s" %
                     r.stderr.strip()[-400:])
    return out


class Kafka:
    """kafka_fixture: a mock cluster with topics, driven over its stdin."""

    def __init__(self, ctx, *topics):
        cmd = [fixture_binary(ctx)] + list(topics)
        ctx.note("$ " + " ".join(cmd))
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, start_new_session=True)
        ctx.procs.append(self.p)
        self.lock = threading.Lock()
        first = self.p.stdout.readline().split()
        if len(first) != 2 or first[0] != "bootstrap":
            raise h.Fail("kafka fixture did not start: %r %s" % (first, self.p.stderr.read()))
        self.bootstrap = first[1]

    def command(self, cmd):
        """Sends one command; the lines it printed before its 'ok'."""
        with self.lock:
            self.p.stdin.write(cmd + "\n")
            self.p.stdin.flush()
            out = []
            while True:
                line = self.p.stdout.readline()
                if not line:
                    raise h.Fail("kafka fixture exited during %r" % cmd)
                line = line.rstrip("\n")
                if line == "ok":
                    return out
                if line.startswith("error"):
                    raise h.Fail("kafka fixture: %s: %s" % (cmd, line))
                out.append(line)

    def messages(self, topic):
        """[(partition, offset, key, value, {header: value})], as bytes."""
        msgs = []
        for line in self.command("dump " + topic):
            if line.startswith("end "):
                continue
            _, part, off, key, value, hdrs = line.split(" ")
            headers = {}
            if hdrs != "-":
                for kv in hdrs.split(","):
                    k, v = kv.split("=", 1)
                    headers[k] = bytes.fromhex(v)
            msgs.append((int(part), int(off), None if key == "-" else bytes.fromhex(key),
                         bytes.fromhex(value), headers))
        return msgs

    def stop(self):
        try:
            self.command("quit")
        except h.Fail:
            pass
        self.p.wait(10)


def churn(ns, n, port_base):
    """n listeners bound, listening, closed in the netns (4 events or more each)."""
    code = ("import socket\n"
            "for i in range(%d):\n"
            "  s=socket.socket(); s.bind(('127.0.0.1',%d+i)); s.listen(); s.close()\n" % (
                n, port_base))
    in_ns(ns, "python3", "-c", code)


def ours(ns, lines):
    tag = '"netns":%d,' % ns.inode
    return [l for l in lines if tag in l]


def kafka_lines(kafka, topic, ns):
    """The netns's messages of topic, in offset order per partition."""
    msgs = sorted(kafka.messages(topic), key=lambda m: (m[0], m[1]))
    tag = b'"netns":%d,' % ns.inode
    return [m for m in msgs if tag in m[3]]


def sink_samples(port, name):
    _, samples = parse_prometheus(metrics(port))
    return {dict(l)["sink"]: v for (n, l), v in samples.items() if n == name}


@h.test(timeout=120)
def test_sink_kafka_carries_exactly_the_file_lines_in_order_per_key(ctx):
    kafka = Kafka(ctx, "events:3", "bycookie:4")
    ns = ctx.netns()
    path = os.path.join(ctx.tmp, "events.json")
    by_host = "kafka://%s/events" % kafka.bootstrap
    by_cookie = "kafka://%s/bycookie?key=cookie&acks=1&compression=lz4" % kafka.bootstrap
    d = Daemon(ctx, "--sink", "file:" + path, "--sink", by_host, "--sink", by_cookie,
               "--metrics", "127.0.0.1:19481")
    churn(ns, 30, 33000)
    wait_for("file events", lambda: len(ours(ns, read_lines(path))) >= 120)
    want = ours(ns, read_lines(path))
    wait_for("the events in Kafka", lambda: len(kafka_lines(kafka, "events", ns)) >= len(want),
             timeout=20)
    time.sleep(0.5)
    want = ours(ns, read_lines(path))
    got = kafka_lines(kafka, "events", ns)
    host = socket.gethostname().encode()
    values = [m[3].decode() for m in got]
    h.expect(values == want, "topic events: %d messages of the netns, the file %d lines; "
             "first difference: %s" % (len(values), len(want), next(
                 ((a, b) for a, b in zip(values, want) if a != b), None)))
    # one key (the host name): one partition, the file's order
    h.expect({m[2] for m in got} == {host}, "keys: %s" % {m[2] for m in got})
    h.expect(len({m[0] for m in got}) == 1, "one host, one partition: %s" % {m[0] for m in got})
    for m in got:
        ev = h.parse_ndjson(m[3] + b"\n", "kafka message")[0]["event"]
        h.expect(m[4] == {"host": host, "event": ev.encode()},
                 "headers %s of %s" % (m[4], m[3][:120]))
    h.expect(not any(v.endswith("\n") for v in values), "a message ends with a newline")

    # key=cookie: each socket's events in the file's order, keyed by its cookie
    got = kafka_lines(kafka, "bycookie", ns)
    h.expect(len(got) == len(want), "topic bycookie: %d messages, the file %d" % (
        len(got), len(want)))
    per_key = {}
    for m in got:
        per_key.setdefault(m[2], []).append(m[3].decode())
    file_per_key = {}
    for l in want:
        c = h.parse_ndjson((l + "\n").encode(), "file")[0].get("cookie", 0)
        file_per_key.setdefault(str(c).encode(), []).append(l)
    h.expect(per_key == file_per_key, "per cookie, Kafka and the file differ: %d vs %d keys" % (
        len(per_key), len(file_per_key)))
    h.expect(len({m[0] for m in got}) > 1, "30 sockets' cookies spread over partitions")

    delivered = sink_samples(19481, "sockscope_sink_written_total")
    failed = sink_samples(19481, "sockscope_sink_failed_total")
    h.expect(delivered.get(by_host, 0) >= len(want) and failed.get(by_host) == 0,
             "metrics: delivered %s, failed %s" % (delivered, failed))
    h.expect(d.stop() == 0, "daemon exit")
    err = d.stderr()
    h.expect("undelivered" not in err and "brokers are down" not in err, err[-600:])
    kafka.stop()


@h.test(timeout=150)
def test_sink_kafka_broker_outage_counted_told_once_and_delivery_resumes(ctx):
    kafka = Kafka(ctx, "events:1")
    ns = ctx.netns()
    path = os.path.join(ctx.tmp, "events.json")
    spec = "kafka://%s/events?message.timeout.ms=2000" % kafka.bootstrap
    d = Daemon(ctx, "--sink", "file:" + path, "--sink", spec, "--metrics", "127.0.0.1:19482")

    churn(ns, 5, 33100)  # before: delivered
    wait_for("the first events in Kafka", lambda: len(kafka_lines(kafka, "events", ns)) >=
             len(ours(ns, read_lines(path))) >= 20, timeout=20)
    before = ours(ns, read_lines(path))

    kafka.command("down")
    wait_for("the outage reported", lambda: "brokers are down" in d.stderr(), timeout=20)
    churn(ns, 5, 33200)  # during: they time out in librdkafka after 2 s
    wait_for("file events during the outage",
             lambda: len(ours(ns, read_lines(path))) >= len(before) + 20)
    during = ours(ns, read_lines(path))[len(before):]
    wait_for("the events of the outage counted as failed",
             lambda: sink_samples(19482, "sockscope_sink_failed_total").get(spec, 0) >=
             len(during), timeout=20)

    kafka.command("up")
    # librdkafka reconnects with backoff; events keep coming meanwhile
    deadline = time.monotonic() + 40
    n = 0
    while "delivering again" not in d.stderr():
        if time.monotonic() > deadline:
            raise h.Fail("delivery did not resume: %s" % d.stderr()[-600:])
        churn(ns, 1, 33300 + n % 50)
        n += 1
        time.sleep(0.5)
    n_now = len(ours(ns, read_lines(path)))
    churn(ns, 5, 33400)  # after: delivered
    wait_for("file events after the outage",
             lambda: len(ours(ns, read_lines(path))) >= n_now + 20)
    time.sleep(0.3)
    all_lines = ours(ns, read_lines(path))
    after = all_lines[len(before) + len(during):]
    wait_for("the events after the outage in Kafka",
             lambda: [m[3].decode() for m in kafka_lines(kafka, "events", ns)][-5:] ==
             all_lines[-5:], timeout=20)
    got = [m[3].decode() for m in kafka_lines(kafka, "events", ns)]
    h.expect(got[:len(before)] == before, "the events before the outage, in order")
    h.expect(not set(during) & set(got), "%d events of the outage reached Kafka after they "
             "were counted as failed" % len(set(during) & set(got)))
    # those made while librdkafka reconnected may have timed out too: the
    # ones after the recovery are all there, in order
    h.expect(got[-20:] == all_lines[-20:], "the last events, in order")
    h.expect(set(got) <= set(all_lines), "Kafka holds only the file's lines")
    err = d.stderr()
    h.expect(err.count("brokers are down") == 1 and err.count("delivering again") == 1,
             "outage told once, recovery once: %s" % err[-800:])
    h.expect("failed delivery" in err.split("delivering again", 1)[1].split("\n")[0],
             "the recovery line counts the failed events: %s" % err[-400:])
    failed = sink_samples(19482, "sockscope_sink_failed_total").get(spec, 0)
    h.expect(failed >= len(during), "failed %s, want >= %d" % (failed, len(during)))
    h.expect(d.stop() == 0, "daemon exit")
    kafka.stop()


@h.test(timeout=60)
def test_sink_kafka_undelivered_at_exit_counted(ctx):
    kafka = Kafka(ctx, "events:1")
    ns = ctx.netns()
    kafka.command("down")
    spec = "kafka://%s/events" % kafka.bootstrap
    d = Daemon(ctx, "--sink", spec)
    wait_for("the outage reported", lambda: "brokers are down" in d.stderr(), timeout=20)
    churn(ns, 3, 33500)
    time.sleep(0.5)
    t0 = time.monotonic()
    h.expect(d.stop() == 0, "daemon exit")
    h.expect(time.monotonic() - t0 < 8, "the flush at exit is bounded: %.1f s" % (
        time.monotonic() - t0))
    lines = [l for l in d.stderr().splitlines() if "undelivered at exit" in l]
    h.expect(len(lines) == 1 and lines[0].startswith("sockscope: sink %s: " % spec),
             "want one 'N events undelivered at exit' line: %s" % d.stderr()[-600:])
    h.expect(int(lines[0].split(": ")[-1].split()[0]) >= 12, lines[0])
    kafka.stop()


@h.test(timeout=30)
def test_sink_kafka_bad_url_or_setting_exits_2(ctx):
    bad = [
        ("kafka://127.0.0.1/events", "broker '127.0.0.1'"),
        ("kafka://127.0.0.1:9092", "expected kafka://HOST:PORT"),
        ("kafka://127.0.0.1:9092/bad topic", "topic 'bad topic'"),
        ("kafka://127.0.0.1:9092/t?key=pid", "key 'pid'"),
        ("kafka://127.0.0.1:9092/t?acks=2", "acks '2'"),
        ("kafka://127.0.0.1:9092/t?compression=brotli", "compression 'brotli'"),
        ("kafka://127.0.0.1:9092/t?security.protocol=carrier_pigeon", "security.protocol"),
        ("kafka://127.0.0.1:9092/t?sasl.mechanisms=PLAIN&sasl.nonsense=1", "sasl.nonsense"),
        ("kafka://127.0.0.1:9092/t?linger.ms=5", "unknown option 'linger.ms'"),
    ]
    for spec, why in bad:
        for args in (["daemon", "--config", "/dev/null", "--sink", spec],
                     ["daemon", "--config", "/dev/null", "--check-config", "--sink", spec]):
            r = subprocess.run([ctx.binary] + args, capture_output=True, text=True, timeout=15)
            err = r.stderr.strip().splitlines()
            h.expect(r.returncode == 2, "%s: exit %d, want 2: %s" % (spec, r.returncode, err))
            h.expect(len(err) == 1 and why in err[0], "%s: want one line with %r: %s" % (
                spec, why, err))
    conf = os.path.join(ctx.tmp, "bad.conf")
    with open(conf, "w") as f:
        f.write("sink = kafka://127.0.0.1:9092/t?ssl.nonsense=1\n")
    r = subprocess.run([ctx.binary, "daemon", "--config", conf, "--check-config"],
                       capture_output=True, text=True, timeout=15)
    h.expect(r.returncode == 2 and "ssl.nonsense" in r.stderr and ":1:" in r.stderr,
             "config file: exit %d: %s" % (r.returncode, r.stderr))

"""Integration tests for `sockscope daemon`: SQLite history, sinks, queries, metrics.

Discovered by run.py; uses the harness (test registry, Ctx, assertions). Real parts
only: the daemon traces the real kernel, writes a real SQLite file, sends RFC
5424 to a real rsyslogd, serves real HTTP. Each test uses network namespaces
of its own and a daemon with its own database; the daemon's query socket is
machine-wide, so these tests run one daemon at a time.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import harness as h
from test_ports import Holder, in_ns

HERE = os.path.dirname(os.path.abspath(__file__))
SOCK = "/run/sockscope/daemon.sock"


class Daemon:
    def __init__(self, ctx, *args, db=None, wait=True):
        self.ctx = ctx
        self.db = db or os.path.join(ctx.tmp, "sockscope.db")
        self.args = ["daemon", "--config", "/dev/null", "--db", self.db] + [str(a) for a in args]
        self.start(wait)

    def start(self, wait=True):
        cmd = [self.ctx.binary] + self.args
        self.ctx.note("$ " + " ".join(cmd))
        self.err_path = os.path.join(self.ctx.tmp, "daemon-%d.err" % time.monotonic_ns())
        self.err = open(self.err_path, "w")
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=self.err, start_new_session=True)
        self.ctx.procs.append(self.p)
        if wait:
            deadline = time.monotonic() + 20
            while "daemon running" not in self.stderr():
                if self.p.poll() is not None:
                    raise h.Fail("daemon exited %d: %s" % (self.p.returncode, self.stderr()))
                if time.monotonic() > deadline:
                    raise h.Fail("daemon did not start: %s" % self.stderr())
                time.sleep(0.05)

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(15)
        except subprocess.TimeoutExpired:
            self.p.kill()
            raise h.Fail("daemon did not stop on %s" % signal.Signals(sig).name)
        self.err.close()
        return rc


def run(ctx, *args, expect_rc=0):
    return h.run_sockscope(ctx, *args, expect_rc=expect_rc, timeout=60)


def history(ctx, *args):
    r = run(ctx, "history", "--json", "--limit", 1000000, "--comm", "sstest-daemon", *args)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def wait_for(what, fn, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise h.Fail("timed out waiting for %s" % what)
        time.sleep(0.1)


# Workloads name themselves, so history queries can pick their rows out of
# everything else the machine does meanwhile.
NAME = "import ctypes\nctypes.CDLL(None).prctl(15, b'sstest-daemon', 0, 0, 0)\n"


def churn(ns, n, port_base, hold_last=False):
    """n listeners opened and closed in the netns; returns their ports."""
    code = (NAME + "import socket,sys\nports=[]\n"
            "for i in range(%d):\n"
            "  s=socket.socket(); s.bind(('127.0.0.1',%d+i)); s.listen(); ports.append(s.getsockname()[1]); s.close()\n"
            "print(ports)\n" % (n, port_base))
    return json.loads(in_ns(ns, sys.executable, "-c", code).stdout)


def read_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []  # the sink creates it with its first event


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        return r.read().decode()


def parse_prometheus(text):
    """A strict parser of the text exposition format: {(name, labels): value}."""
    families, samples = {}, {}
    sample_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+]+|NaN|[+-]Inf)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            if typ not in ("counter", "gauge", "histogram", "summary", "untyped"):
                raise h.Fail("bad metric type line %r" % line)
            families[name] = typ
            continue
        m = sample_re.match(line)
        if not m:
            raise h.Fail("not a Prometheus sample line: %r" % line)
        name, labels = m.group(1), ()
        if m.group(3):
            labels = tuple(label_re.findall(m.group(3)))
            rebuilt = ",".join('%s="%s"' % kv for kv in labels)
            if rebuilt != m.group(3):
                raise h.Fail("bad labels in %r" % line)
        if name not in families:
            raise h.Fail("sample %s without a # TYPE line" % name)
        samples[(name, labels)] = float(m.group(4))
    return families, samples


# ---- tests ---------------------------------------------------------------------


@h.test(timeout=60)
def test_daemon_history_survives_kill_9(ctx):
    ns = ctx.netns()
    d = Daemon(ctx, "--metrics", "127.0.0.1:19470")
    first = churn(ns, 40, 31000)
    # acknowledged = committed: wait until the daemon says so
    wait_for("40 sockets committed", lambda: len([
        r for r in history(ctx) if r["kind"] == "socket" and r["netns"] == ns.inode]) >= 40)
    held = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 31500]])
    # keep sockets coming while the daemon dies
    busy = subprocess.Popen(["ip", "netns", "exec", ns.name, sys.executable, "-c",
                             NAME + "import socket\nwhile True:\n s=socket.socket(); s.bind(('127.0.0.1',0)); s.close()"],
                            start_new_session=True, stdout=subprocess.DEVNULL)
    ctx.procs.append(busy)
    time.sleep(0.5)
    acked = [r for r in history(ctx) if r["kind"] == "socket" and r["netns"] == ns.inode]
    d.stop(signal.SIGKILL)
    os.killpg(busy.pid, signal.SIGKILL)
    d2 = Daemon(ctx, db=d.db)
    after = {(r["cookie"]) for r in history(ctx) if r["kind"] == "socket" and r["netns"] == ns.inode}
    missing = [r for r in acked if r["cookie"] not in after]
    h.expect(not missing, "%d acknowledged rows lost across kill -9: %s" % (len(missing), missing[:3]))
    h.expect({r["lport"] for r in acked} >= set(first), "the first 40 listeners are in history")
    # the live map is re-seeded from the kernel: the held listener is there
    rows = [json.loads(l) for l in run(ctx, "ports", "--json", "--netns", ns.inode).stdout.splitlines()]
    h.expect([r["lport"] for r in rows] == [31500] and rows[0]["holders"][0]["pid"] == held.pid,
             "after restart the daemon's ports must show the held listener: %s" % rows)
    held.release()
    d2.stop()


@h.test(timeout=60)
def test_daemon_rsyslog_receives_the_same_events_as_the_file(ctx):
    try:
        import rsyslog_fixture
        rs = rsyslog_fixture.Rsyslog(udp=False, tcp=True)
    except Exception as e:  # RsyslogMissing is a reason to fail under CI
        raise h.Fail("rsyslog fixture: %s" % e)
    try:
        ns = ctx.netns()
        path = os.path.join(ctx.tmp, "events.json")
        d = Daemon(ctx, "--sink", "file:" + path, "--sink",
                   "syslog+tcp://127.0.0.1:%d" % rs.tcp_port)
        churn(ns, 25, 32000)
        mine = lambda lines: [l for l in lines if '"netns":%d,' % ns.inode in l]
        # the file may rotate meanwhile (other tests' events): read them all, oldest first
        def all_lines():
            out = []
            for i in range(9, 0, -1):
                out += read_lines("%s.%d" % (path, i))
            return out + read_lines(path)
        wait_for("file events", lambda: len(mine(all_lines())) >= 100)
        time.sleep(1.0)
        d.stop()
        file_lines = mine(all_lines())
        got = mine([m.decode() for m in rs.messages()])
        h.expect(file_lines and got == file_lines,
                 "rsyslog got %d events of the netns, the file %d; first difference: %s" % (
                     len(got), len(file_lines),
                     next(((a, b) for a, b in zip(got, file_lines) if a != b), None)))
        hdrs = [x for x in rs.headers() if x.get("msgid") in ("bind", "listen", "close")]
        h.expect(hdrs and all(x.get("app", x.get("tag", "")).startswith("sockscope") for x in hdrs),
                 "RFC 5424 headers: %s" % hdrs[:3])
    finally:
        rs.stop()


@h.test(timeout=60)
def test_daemon_file_rotation_under_load(ctx):
    ns = ctx.netns()
    path = os.path.join(ctx.tmp, "rot", "events.json")
    d = Daemon(ctx, "--sink", "file:%s?max_bytes=20000&keep=3" % path,
               "--metrics", "127.0.0.1:19471")
    churn(ns, 300, 33000)
    time.sleep(1.5)
    fams, samples = parse_prometheus(metrics(19471))
    d.stop()
    files = sorted(os.listdir(os.path.dirname(path)))
    h.expect(files == ["events.json", "events.json.1", "events.json.2", "events.json.3"],
             "rotation keeps exactly 3 old files: %s" % files)
    for f in files:
        data = open(os.path.join(os.path.dirname(path), f), "rb").read()
        h.expect(len(data) <= 20000 + 4096, "%s is %d bytes, over max_bytes" % (f, len(data)))
        for line in data.splitlines():
            json.loads(line)  # whole lines only, never torn by rotation
    dropped = sum(v for (n, l), v in samples.items() if n == "sockscope_sink_dropped_total")
    h.expect(dropped == 0, "the file sink dropped %d events under this load" % dropped)


@h.test(timeout=60)
def test_daemon_sink_on_full_filesystem_keeps_tracing(ctx):
    ns = ctx.netns()
    mnt = os.path.join(ctx.tmp, "full")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", mnt], check=True)
    try:
        d = Daemon(ctx, "--sink", "file:%s/events.json" % mnt, "--metrics", "127.0.0.1:19472")
        churn(ns, 400, 34000)
        time.sleep(1.0)
        h.expect(d.p.poll() is None, "the daemon died on a full disk: %s" % d.stderr())
        fams, samples = parse_prometheus(metrics(19472))
        errors = sum(v for (n, l), v in samples.items() if n == "sockscope_sink_errors_total")
        dropped = sum(v for (n, l), v in samples.items() if n == "sockscope_sink_dropped_total")
        h.expect(errors > 0 or dropped > 0, "a full disk must be counted (errors %d, dropped %d)"
                 % (errors, dropped))
        h.expect("No space left on device" in d.stderr() or "ENOSPC" in d.stderr(),
                 "the sink failure is reported: %r" % d.stderr()[-500:])
        # tracing goes on: the database still gets the sockets
        wait_for("history while the sink is down", lambda: len([
            r for r in history(ctx) if r["kind"] == "socket" and r["netns"] == ns.inode]) >= 400)
        h.expect(d.stop() == 0, "clean exit")
    finally:
        subprocess.run(["umount", "-l", mnt])


@h.test(timeout=40)
def test_daemon_query_socket_refuses_non_root(ctx):
    d = Daemon(ctx)
    st = os.stat(SOCK)
    h.expect(oct(st.st_mode & 0o777) == "0o600" and st.st_uid == 0,
             "query socket mode %o owner %d" % (st.st_mode & 0o777, st.st_uid))
    # a non-root peer that gets past the file mode (here: a copy of the
    # connection made with root's fd) is still refused by SO_PEERCRED
    code = ("import socket,os\ns=socket.socket(socket.AF_UNIX)\n"
            "try:\n s.connect('%s')\nexcept OSError as e:\n print('refused', e.errno); raise SystemExit\n"
            "s.sendall(b'ports\\0\\0'); print('answer', len(s.recv(100)))" % SOCK)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    h.expect(r.stdout.startswith("refused") or r.stdout.strip() == "answer 0",
             "a non-root peer must get nothing: %r %r" % (r.stdout, r.stderr))
    # root gets an answer
    run(ctx, "ports", "--json")
    d.stop()


@h.test(timeout=40)
def test_daemon_metrics_parse(ctx):
    ns = ctx.netns()
    d = Daemon(ctx, "--metrics", "127.0.0.1:19473")
    churn(ns, 10, 35000)
    in_ns(ns, sys.executable, "-c", "import socket\nc=socket.socket()\ntry: c.connect(('127.0.0.1',9))\nexcept OSError: pass")
    time.sleep(0.5)
    fams, samples = parse_prometheus(metrics(19473))
    for name, typ in (("sockscope_events_total", "counter"), ("sockscope_failures_total", "counter"),
                      ("sockscope_lost_records_total", "counter"),
                      ("sockscope_tracked_sockets", "gauge"),
                      ("sockscope_listening_ports", "gauge"),
                      ("sockscope_sink_errors_total", "counter")):
        h.expect(fams.get(name) == typ, "family %s: %s" % (name, fams.get(name)))
    h.expect(samples[("sockscope_events_total", (("event", "listen"),))] >= 10, "listen count")
    h.expect(samples[("sockscope_failures_total", (("error", "ECONNREFUSED"),))] >= 1,
             "ECONNREFUSED counted")
    r = urllib.request.Request("http://127.0.0.1:19473/other")
    try:
        urllib.request.urlopen(r, timeout=5)
        raise h.Fail("/other must be 404")
    except urllib.error.HTTPError as e:
        h.expect(e.code == 404, "status %d" % e.code)
    d.stop()
    r = run(ctx, "daemon", "--config", "/dev/null", "--metrics", "10.1.2.3:9463", "--check-config",
            expect_rc=2)
    h.expect("only loopback" in r.stderr, "non-loopback metrics refused: %r" % r.stderr)


@h.test(timeout=60)
def test_daemon_who_at_for_a_port_that_changed_hands_three_times(ctx):
    ns = ctx.netns()
    d = Daemon(ctx)
    owners, stamps = [], []
    for i in range(3):
        hd = Holder(ctx, ns, tcp_listen=[["127.0.0.1", 36000]])
        time.sleep(0.4)
        stamps.append(time.time())
        time.sleep(0.4)
        owners.append(hd.pid)
        if i < 2:
            hd.release()
    wait_for("two closed owners in history", lambda: len([
        json.loads(l) for l in run(ctx, "history", "--json", "--port", 36000).stdout.splitlines()
        if '"kind":"socket"' in l]) >= 2)
    for when, pid in zip(stamps, owners):
        at = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + ".%06dZ" % int((when % 1) * 1e6)
        r = run(ctx, "who", 36000, "--at", at, "--json")
        pids = {hh["pid"] for l in r.stdout.splitlines() if l.strip()
                for hh in json.loads(l).get("holders", [])}
        h.expect(pids == {pid}, "who 36000 --at %s: %s, want %d" % (at, pids, pid))
    # "1s" ago must fall within the last owner's life (it started 0.8 s
    # plus a few quick queries ago)
    time.sleep(1)
    r = run(ctx, "who", 36000, "--at", "1s")
    h.expect("pid=%d" % owners[2] in r.stdout, "who --at 1s (relative): %r" % r.stdout)
    run(ctx, "who", 36000, "--at", "yesterday-ish", expect_rc=2)
    d.stop()


@h.test()
def test_daemon_check_config_reports_errors_by_line(ctx):
    conf = os.path.join(ctx.tmp, "bad.conf")
    with open(conf, "w") as f:
        f.write("db = /tmp/x.db\nbogus = 1\nretain = soon\nsink = stdout\n")
    r = run(ctx, "daemon", "--config", conf, "--check-config", expect_rc=2)
    h.expect("%s:2: unknown key 'bogus'" % conf in r.stderr and "%s:3: retain 'soon'" % conf in
             r.stderr, "errors by line: %r" % r.stderr)
    with open(conf, "w") as f:
        f.write("db = /tmp/x.db\nretain = 7d\nsink = stdout\nmetrics = 127.0.0.1:9999\n")
    r = run(ctx, "daemon", "--config", conf, "--check-config")
    h.expect("retain = 604800s" in r.stdout and "sink = stdout" in r.stdout, r.stdout)
    run(ctx, "daemon", "--config", "/nonexistent.conf", "--check-config", expect_rc=2)


@h.test(timeout=120)
def test_make_install_puts_everything_in_place(ctx):
    dest = os.path.join(ctx.tmp, "root")
    root = os.path.dirname(os.path.dirname(HERE))
    r = subprocess.run(["make", "-C", root, "install", "DESTDIR=" + dest],
                       capture_output=True, text=True, timeout=110)
    h.expect(r.returncode == 0, "make install: %s" % r.stderr[-400:])
    for p in ("usr/local/sbin/sockscope", "usr/local/share/man/man8/sockscope.8",
              "etc/systemd/system/sockscope.service", "etc/sockscope/sockscope.conf"):
        h.expect(os.path.exists(os.path.join(dest, p)), "installed %s" % p)
    unit = open(os.path.join(dest, "etc/systemd/system/sockscope.service")).read()
    h.expect("ExecStart=/usr/local/sbin/sockscope daemon" in unit and "Type=notify" in unit,
             "unit: %s" % unit[:300])
    r = run(ctx, "daemon", "--config", os.path.join(dest, "etc/sockscope/sockscope.conf"),
            "--check-config")


@h.test(timeout=40)
def test_daemon_sighup_reopens_log_files(ctx):
    ns = ctx.netns()
    path = os.path.join(ctx.tmp, "logs", "events.json")
    d = Daemon(ctx, "--sink", "file:" + path)
    churn(ns, 5, 37000)
    wait_for("first events", lambda: any('"netns":%d,' % ns.inode in l for l in read_lines(path)))
    os.rename(path, path + ".rotated")  # what logrotate does
    d.p.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    churn(ns, 5, 37100)
    wait_for("events in the reopened file", lambda: any(
        '"lport":371' in l and '"netns":%d,' % ns.inode in l for l in read_lines(path)))
    old = read_lines(path + ".rotated")
    h.expect(not any('"lport":371' in l for l in old),
             "after SIGHUP nothing may go to the rotated file")
    h.expect(d.p.poll() is None, "SIGHUP must not stop the daemon")
    h.expect(d.stop() == 0, "clean exit on SIGTERM")


@h.test(timeout=60)
def test_daemon_sinks_get_state_changes_only_when_asked(ctx):
    """The sinks carry what trace --json prints: no state records unless
    --states (contract 1.3); the daemon's engine still sees them all."""
    for args, want in (((), False), (("--states",), True)):
        ns = ctx.netns()
        path = os.path.join(ctx.tmp, "states%d.json" % want)
        d = Daemon(ctx, "--sink", "file:" + path, *args)
        churn(ns, 5, 37200 + 10 * want)
        mine = lambda: [json.loads(l) for l in read_lines(path) if '"netns":%d,' % ns.inode in l]
        wait_for("the listeners' close events", lambda: sum(
            e["event"] == "close" for e in mine()) >= 5)
        time.sleep(0.3)
        d.stop()
        kinds = {e["event"] for e in mine()}
        h.expect({"listen", "close"} <= kinds, "listen and close in the sink: %s" % sorted(kinds))
        h.expect(("state" in kinds) == want, "daemon %s: state events in the sink: %s" % (
            " ".join(args) or "(default)", sorted(kinds)))

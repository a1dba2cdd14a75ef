#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""A private rsyslogd for tests: the real collector a syslog sink talks to.

    with Rsyslog(udp=True, tcp=True) as rs:
        ... send to ("127.0.0.1", rs.udp_port) / rs.tcp_port / rs.unix_path ...
        rs.wait_lines(3, timeout=5)
        rs.messages()  # [b'{"event":"bind",...}', ...]  the MSG part, as bytes
        rs.headers()   # [{'tag': 'sockscope[42]:', 'msgid': 'bind', 'pri': '30', ...}]

It starts `rsyslogd -n -f CONF -i PIDFILE` in a temporary directory with its
own work directory and only the inputs asked for: imudp and/or imtcp on
127.0.0.1 (each on a free port it picks) and optionally imuxsock on a socket
in that directory (never /dev/log; no imklog, no imjournal). Every message it
receives is parsed (RFC 5424 when it is one) and written twice: its MSG part
alone to msgs.log (template "%msg%\\n") and its header fields to hdrs.log, so
a test can compare payloads byte for byte and check PRI, APP-NAME, MSGID...

rsyslog escapes control characters it receives (a newline becomes #012), so
a payload that is one JSON line with its newline stripped, which is what a
sink sends, comes out unchanged. It keeps a UTF-8 BOM in front of MSG, and
for the local /dev/log format (RFC 3164 style) %msg% keeps the space after
"TAG:": messages() gives them as received.

Readiness is proven, not guessed: the fixture sends probe messages (MSGID
"fixture-probe", routed to probe.log, never seen in messages()) on each
input until each one has delivered one.

If rsyslogd is not installed, constructing Rsyslog raises RsyslogMissing with
the reason: a test should report that loudly (as a skip with the reason),
never pass silently.

As a script: `rsyslog_fixture.py [--keep] [--seconds N]` starts one with UDP,
TCP and a UNIX socket, prints where it listens, and waits (for hand tests);
`rsyslog_fixture.py selftest` checks the fixture itself with messages built
in Python.
"""

import atexit
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

__all__ = ["Rsyslog", "RsyslogMissing", "RsyslogError", "octet_frame"]

PROBE_MSGID = "fixture-probe"


class RsyslogMissing(Exception):
    """rsyslogd is not installed: the caller should skip, loudly."""


class RsyslogError(Exception):
    """rsyslogd did not start, or did not deliver in time."""


def octet_frame(msg: bytes) -> bytes:
    """RFC 6587 octet counting: "LEN SP MSG", LEN = bytes of MSG."""
    return str(len(msg)).encode() + b" " + msg


def _free_port(kind: int) -> int:
    # Racy by nature (the port is free now, rsyslogd binds it a moment
    # later), but on loopback in a test nothing else competes for it.
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rsyslogd() -> str:
    path = shutil.which("rsyslogd") or (
        "/usr/sbin/rsyslogd" if os.access("/usr/sbin/rsyslogd", os.X_OK) else None)
    if not path:
        raise RsyslogMissing(
            "rsyslogd is not installed (Debian: apt-get install -y rsyslog); "
            "the syslog sink tests need a real collector")
    return path


class Rsyslog:
    """A private rsyslogd. Use as a context manager, or call stop()."""

    def __init__(self, udp=True, tcp=True, unix=False, unix_rfc5424=False,
                 max_message_size="64k", keep=False, udp_port=None, tcp_port=None):
        """udp_port, tcp_port: listen there instead of on a free port (to
        restart a collector where a sink already points). unix: also listen on a UNIX datagram socket (self.unix_path) the
        way a system's /dev/log is served: rsyslog's special parser for the
        local format ("<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG", what syslog(3)
        writes). unix_rfc5424: that socket parses RFC 5424 instead (the
        regular parser chain, hostname expected)."""
        self.binary = _rsyslogd()
        self.keep = keep
        self.dir = tempfile.mkdtemp(prefix="sockscope-rsyslog-")
        self.workdir = os.path.join(self.dir, "work")
        os.mkdir(self.workdir)
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        self.pidfile = os.path.join(self.dir, "rsyslogd.pid")
        self.msgs_path = os.path.join(self.dir, "msgs.log")
        self.hdrs_path = os.path.join(self.dir, "hdrs.log")
        self.probe_path = os.path.join(self.dir, "probe.log")
        self.log_path = os.path.join(self.dir, "rsyslogd.stderr")
        self.udp_port = (udp_port or _free_port(socket.SOCK_DGRAM)) if udp else None
        self.tcp_port = (tcp_port or _free_port(socket.SOCK_STREAM)) if tcp else None
        self.unix_path = os.path.join(self.dir, "log.sock") if (unix or unix_rfc5424) else None
        self.unix_rfc5424 = unix_rfc5424
        self.proc = None
        with open(self.conf, "w") as f:
            f.write(self._config(max_message_size, unix_rfc5424))
        # A test that dies without stop() must not leave a daemon behind.
        atexit.register(self.stop)
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    # ---- configuration ----
    def _config(self, max_message_size, unix_rfc5424):
        d = self.dir
        lines = [
            "# written by rsyslog_fixture.py: a private instance for tests",
            # Before any input: it sizes the inputs' buffers. rsyslog's
            # default (8k) would cut long events.
            f'global(workDirectory="{self.workdir}" maxMessageSize="{max_message_size}")',
            # %msg% and the header fields, one line per message, nothing
            # added. "hdr" is space-separated with the tag last but one
            # field-wise safe: none of these fields may contain a space.
            'template(name="fixture_msg" type="string" string="%msg%\\n")',
            'template(name="fixture_hdr" type="string" '
            'string="%pri% %syslogfacility% %syslogseverity% %hostname% %app-name% '
            '%procid% %msgid% %timereported:::date-rfc3339% %syslogtag% %structured-data%\\n")',
            'ruleset(name="fixture") {',
            f'  if $msgid == "{PROBE_MSGID}" or $msg contains "{PROBE_MSGID}" then {{',
            f'    action(type="omfile" file="{self.probe_path}" template="fixture_msg")',
            "    stop",
            "  }",
            f'  action(type="omfile" file="{self.msgs_path}" template="fixture_msg")',
            f'  action(type="omfile" file="{self.hdrs_path}" template="fixture_hdr")',
            "}",
        ]
        if self.udp_port:
            lines += ['module(load="imudp")',
                      f'input(type="imudp" address="127.0.0.1" port="{self.udp_port}" '
                      'ruleset="fixture")']
        if self.tcp_port:
            # Octet-counted framing is recognised by imtcp on its own (a
            # frame starting with a digit); octet-stuffed (LF) also works.
            lines += ['module(load="imtcp")',
                      f'input(type="imtcp" address="127.0.0.1" port="{self.tcp_port}" '
                      'ruleset="fixture")']
        if self.unix_path:
            # sysSock.use="off": never touch the system's /dev/log.
            lines += ['module(load="imuxsock" sysSock.use="off")']
            params = f'socket="{self.unix_path}" ruleset="fixture" rateLimit.interval="0"'
            if unix_rfc5424:
                params += ' useSpecialParser="off" parseHostname="on"'
            lines += [f"input(type=\"imuxsock\" {params})"]
        return "\n".join(lines) + "\n"

    # ---- lifecycle ----
    def _start(self):
        check = subprocess.run([self.binary, "-N1", "-f", self.conf],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise RsyslogError(f"rsyslogd rejected the config {self.conf}:\n"
                               f"{check.stdout}{check.stderr}")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [self.binary, "-n", "-f", self.conf, "-i", self.pidfile],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self._wait_ready(10.0)

    def _send_probes(self):
        probe = (f"<30>1 2026-01-01T00:00:00.000000Z fixture fixture - "
                 f"{PROBE_MSGID} - probe").encode()
        if self.udp_port:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(probe + b" udp", ("127.0.0.1", self.udp_port))
        if self.tcp_port:
            try:
                with socket.create_connection(("127.0.0.1", self.tcp_port), 0.5) as s:
                    s.sendall(octet_frame(probe + b" tcp"))
            except OSError:
                pass
        if self.unix_path:
            local = f"<30>Jan  1 00:00:00 fixture: {PROBE_MSGID} unix".encode()
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                    s.sendto(probe + b" unix" if self.unix_rfc5424 else local,
                             self.unix_path)
            except OSError:
                pass

    def _wait_ready(self, timeout):
        want = {k for k, on in (("udp", self.udp_port), ("tcp", self.tcp_port),
                                ("unix", self.unix_path)) if on}
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RsyslogError(f"rsyslogd exited with {self.proc.returncode} at start; "
                                   f"its output:\n{self._stderr()}")
            got = {line.rsplit(" ", 1)[-1] for line in _read_lines(self.probe_path)}
            if want <= got:
                return
            if time.monotonic() > deadline:
                raise RsyslogError(f"rsyslogd did not deliver probes on {sorted(want - got)} "
                                   f"within {timeout}s; its output:\n{self._stderr()}")
            self._send_probes()
            time.sleep(0.1)

    def _stderr(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        """Stops rsyslogd (SIGTERM, then SIGKILL) and removes the directory
        unless keep=True. Safe to call twice."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if not self.keep and self.dir and os.path.isdir(self.dir):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- what it received ----
    def messages(self):
        """The MSG part of every message received, in order, as bytes."""
        return _read_lines(self.msgs_path, text=False)

    def headers(self):
        """Header fields of every message received, in order: dicts with
        pri, facility, severity, hostname, app, procid, msgid, timestamp,
        tag, sd (strings, as rsyslog parsed them)."""
        keys = ("pri", "facility", "severity", "hostname", "app", "procid", "msgid",
                "timestamp", "tag", "sd")
        out = []
        for line in _read_lines(self.hdrs_path):
            fields = line.split(" ", len(keys) - 1)
            out.append(dict(zip(keys, fields)))
        return out

    def wait_lines(self, n, timeout=5.0):
        """Waits until at least n messages were received; returns them.
        Raises RsyslogError with what did arrive on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages()
            if len(msgs) >= n:
                return msgs
            if self.proc is None or self.proc.poll() is not None:
                raise RsyslogError(f"rsyslogd is gone; output:\n{self._stderr()}")
            if time.monotonic() > deadline:
                raise RsyslogError(f"{len(msgs)} of {n} messages within {timeout}s: {msgs[-3:]}")
            time.sleep(0.05)


def _read_lines(path, text=True):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        if e.errno == errno.ENOENT:
            return []
        raise
    # Only complete lines: omfile may be caught mid-write.
    lines = data.split(b"\n")[:-1]
    return [line.decode("utf-8", "replace") for line in lines] if text else lines


# ---- script ----
def _selftest():
    payloads = [b'{"event":"bind","pid":1,"comm":"a b"}',
                b'{"event":"close","comm":"\\u001b[31m\xc3\xa9"}',
                b'{"event":"lost","lost":3}']
    with Rsyslog(udp=True, tcp=True, unix=True) as rs:
        hdr = b"<30>1 2026-11-21T14:02:11.123456Z host sockscope 42 bind - "
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(hdr + payloads[0], ("127.0.0.1", rs.udp_port))
        with socket.create_connection(("127.0.0.1", rs.tcp_port)) as s:
            s.sendall(octet_frame(hdr + payloads[1]))
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(b"<28>Nov 21 14:02:11 sockscope[42]: " + payloads[2], rs.unix_path)
        got = rs.wait_lines(3)
        # The local format's MSG keeps the space after "TAG:" in rsyslog
        # (RFC 3164 parsing); RFC 5424's MSG starts right after its SP.
        got = [g[1:] if g.startswith(b" ") else g for g in got]
        assert sorted(got) == sorted(payloads), got
        for h in rs.headers():
            assert h["app"] == "sockscope" and h["procid"] == "42", h
        print("selftest: ok:", len(got), "messages; headers", rs.headers())


def main(argv):
    if argv[1:2] == ["selftest"]:
        _selftest()
        return 0
    keep = "--keep" in argv
    seconds = float(argv[argv.index("--seconds") + 1]) if "--seconds" in argv else 3600.0
    with Rsyslog(udp=True, tcp=True, unix=True, keep=keep) as rs:
        print(f"dir {rs.dir}\nudp 127.0.0.1:{rs.udp_port}\ntcp 127.0.0.1:{rs.tcp_port}\n"
              f"unix {rs.unix_path}\nmessages {rs.msgs_path}\nheaders {rs.hdrs_path}",
              flush=True)
        try:
            time.sleep(seconds)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except RsyslogMissing as e:
        print(f"rsyslog_fixture: SKIP: {e}", file=sys.stderr)
        sys.exit(77)

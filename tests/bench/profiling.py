"""Where the cost goes: callgrind totals and top functions, and the
run counters of a process's BPF programs (bpftool, bpf_stats).
"""

import json
import os
import re
import shutil
import subprocess

from lib import ROOT


def callgrind_total(path):
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    return None


def callgrind_top(path, n=12):
    ann = shutil.which("callgrind_annotate")
    if not ann:
        return []
    r = subprocess.run([ann, path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = []
    started = False
    for line in r.stdout.splitlines():
        if re.search(r"file:function", line):
            started = True
            continue
        if started and line.strip():
            if line.startswith("-"):
                continue
            line = re.sub(r"\s*\[[^]]*\]$", "", line.strip())
            out.append(line.replace(ROOT + "/", ""))
            if len(out) >= n:
                break
    return out


def bpf_prog_stats(pid):
    r = subprocess.run(["bpftool", "prog", "show", "-j"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    try:
        progs = json.loads(r.stdout)
    except ValueError:
        return []
    ids = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) not in ("anon_inode:bpf-prog",
                                                                    "anon_inode:bpf_link"):
                    continue
                with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                    for line in f:
                        if line.startswith("prog_id:"):
                            ids.add(int(line.split()[1]))
            except (OSError, ValueError):
                pass
    except OSError:
        return []
    out = []
    for p in progs:
        if p.get("id") not in ids and not any(x.get("pid") == pid for x in p.get("pids", [])):
            continue
        out.append({"name": p.get("name"), "type": p.get("type"),
                    "run_cnt": p.get("run_cnt", 0), "run_time_ns": p.get("run_time_ns", 0)})
    out.sort(key=lambda x: -x["run_time_ns"])
    return out

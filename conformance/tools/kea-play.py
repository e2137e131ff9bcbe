#!/usr/bin/env python3
"""Plays conformance scenarios against the installed Kea 2.2 and prints every
response and, after each step marked "lease_file", the lease file as Kea left
it. It complements `keadiff -v`, whose report leaves the lease files out.

Usage: tools/kea-play.py SCENARIO.json ... (or directories)

Kea is started the way FORMAT.md describes the runner: the scenario's config
(or the default of its family) with control-socket, lease-database name,
interfaces-config, loggers and (v6) data-directory set to per-run paths, and
the lease_cmds hook library added. Needs kea-dhcp4/kea-dhcp6 on PATH.
"""
import copy
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HOOK = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so"

DEFAULTS = {
    4: {"Dhcp4": {
        "valid-lifetime": 4000,
        "subnet4": [
            {"id": 44, "subnet": "192.0.2.0/24", "pools": [{"pool": "192.0.2.10-192.0.2.200"}]},
            {"id": 88, "subnet": "192.0.3.0/24"},
        ]}},
    6: {"Dhcp6": {
        "valid-lifetime": 4000, "preferred-lifetime": 3000,
        "subnet6": [
            {"id": 66, "subnet": "2001:db8:1::/48", "pools": [{"pool": "2001:db8:1::/64"}],
             "pd-pools": [{"prefix": "2001:db8:1:8000::", "prefix-len": 56, "delegated-len": 64}]},
            {"id": 99, "subnet": "2001:db8:2::/48"},
        ]}},
}


def build_config(scenario, workdir):
    fam = scenario.get("family", 4)
    cfg = copy.deepcopy(scenario.get("config") or DEFAULTS[fam])
    top = "Dhcp4" if fam == 4 else "Dhcp6"
    srv = cfg[top]
    srv["control-socket"] = {"socket-type": "unix", "socket-name": os.path.join(workdir, "control.sock")}
    db = dict(srv.get("lease-database") or {})
    db.setdefault("type", "memfile")
    db.setdefault("lfc-interval", 0)
    db["name"] = os.path.join(workdir, "leases.csv")
    srv["lease-database"] = db
    srv["interfaces-config"] = {"interfaces": []}
    srv["loggers"] = [{"name": "kea-dhcp%d" % fam, "severity": "INFO",
                       "output_options": [{"output": os.path.join(workdir, "server.log")}]}]
    if fam == 6:
        srv["data-directory"] = workdir
    libs = [lib for lib in srv.get("hooks-libraries", []) if "lease_cmds" not in lib.get("library", "")]
    libs.append({"library": HOOK})
    srv["hooks-libraries"] = libs
    path = os.path.join(workdir, "config.json")
    with open(path, "w") as f:
        json.dump(cfg, f, indent=1)
    return path


class Kea:
    def __init__(self, fam, config, workdir):
        self.cmd = ["kea-dhcp%d" % fam, "-c", config]
        self.sock = os.path.join(workdir, "control.sock")
        self.env = dict(os.environ, KEA_PIDFILE_DIR=workdir, KEA_LOCKFILE_DIR=workdir)
        self.workdir = workdir
        self.proc = None

    def start(self):
        out = open(os.path.join(self.workdir, "output.log"), "a")
        self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock)
                s.close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("kea exited at start, see " + self.workdir)
                time.sleep(0.05)
        raise RuntimeError("kea control socket did not come up")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def send(self, data):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(15)
        try:
            s.connect(self.sock)
            s.sendall(data)
            chunks = []
            while True:
                try:
                    b = s.recv(65536)
                except socket.timeout:
                    break
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode("utf-8", "backslashreplace")
        except OSError as e:
            return "(no response: %s)" % e
        finally:
            s.close()


def play(path):
    with open(path, encoding="utf-8") as f:
        scenario = json.load(f)
    fam = scenario.get("family", 4)
    workdir = tempfile.mkdtemp(prefix="kea-play-")
    print("=== %s: %s" % (path, scenario.get("name", "")))
    kea = Kea(fam, build_config(scenario, workdir), workdir)
    try:
        kea.start()
        for i, step in enumerate(scenario["steps"]):
            if step.get("restart"):
                kea.stop()
                kea.start()
            if "raw" in step:
                data = step["raw"].encode("utf-8")
                shown = json.dumps(step["raw"], ensure_ascii=False)
            else:
                data = json.dumps(step["send"], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
                shown = data.decode("utf-8")
            resp = kea.send(data)
            print("steps[%d]%s%s" % (i, " (after restart)" if step.get("restart") else "",
                                      "  deviation: " + step["deviation"] if step.get("deviation") else ""))
            print("  sent:     " + shown)
            print("  response: " + (resp if resp else "(empty response)"))
            if step.get("lease_file"):
                lf = os.path.join(workdir, "leases.csv")
                print("  lease file:")
                try:
                    with open(lf, encoding="utf-8", errors="backslashreplace") as f:
                        for line in f.read().splitlines():
                            print("    | " + line)
                except FileNotFoundError:
                    print("    (no lease file)")
    finally:
        kea.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    paths = []
    for arg in sys.argv[1:]:
        if os.path.isdir(arg):
            paths += sorted(glob.glob(os.path.join(arg, "*.json")))
        else:
            paths.append(arg)
    for p in paths:
        play(p)


if __name__ == "__main__":
    main()

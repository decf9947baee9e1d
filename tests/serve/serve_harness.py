"""Starts `tandem serve` for the Python tests and stops it; shared by tests/serve/test_*.py.

The server is started with --port 0; its first stdout line names the port. A test fails with one
clear line when the server does not come up, and the server's stderr is shown."""
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time


def require_tritonclient():
    try:
        import tritonclient.http  # noqa: F401
    except ImportError:
        sys.exit("tritonclient is missing: pip install 'tritonclient[http]' (scripts/requirements.txt)")


class Server:
    def __init__(self, tandem, model, *args, ready_timeout=120, cache_dir="none"):
        # Tests time their choices afresh (cache_dir "none"); a benchmark may share a cache folder.
        env = dict(os.environ, TANDEM_CACHE_DIR=cache_dir)
        self.cmd = [tandem, "serve", model, "--port", "0", *args]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines = queue.Queue()
        self.stderr = []
        self.stdout = []  # the lines read so far
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._collect, daemon=True).start()
        self.port = None
        deadline = time.time() + ready_timeout
        while True:
            line = self._next_line(deadline)
            m = re.search(r"listening on http://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
            if "ready" in line and self.port:
                break
        self.url = f"127.0.0.1:{self.port}"

    def _pump(self, stream, q):
        for line in stream:
            q.put(line)
        q.put(None)

    def _collect(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def _next_line(self, deadline):
        try:
            line = self.lines.get(timeout=max(0.1, deadline - time.time()))
        except queue.Empty:
            line = None
        if line is not None:
            self.stdout.append(line)
        if line is None:
            self.proc.kill()
            raise RuntimeError(f"tandem serve did not become ready: {' '.join(self.cmd)}\n" + "".join(self.stderr))
        return line

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=60):
        return self.proc.wait(timeout=timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise RuntimeError("tandem serve did not stop within 60 s of SIGTERM")
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def run_unittests(module_globals, add_arguments=None):
    """A test file's main: parses --tandem and --models (and what `add_arguments(parser)` adds)
    into the module's ARGS, then runs its unittest cases with the remaining arguments."""
    import argparse
    import unittest
    p = argparse.ArgumentParser()
    p.add_argument("--tandem", required=True)
    p.add_argument("--models", required=True)
    if add_arguments:
        add_arguments(p)
    args, rest = p.parse_known_args()
    module_globals["ARGS"] = args
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)

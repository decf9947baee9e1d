"""`tandem run` timed for long enough: shared by the GPU zoo benchmarks.

A fixed iteration count is too short at small batches: 200 batches of 1 image last ~0.1 s on
the H200, within the GPU's clock ramp, and the same model measured 970, 1257 and 1960 images/s
in three runs (RegNetX-400MF, 2026-12-03). So a first run (which also warms the choice cache)
sizes a second one that lasts `seconds`, with a tenth of it as warm-up.
"""
import json
import os
import subprocess
import tempfile


def _run(tandem, path, units, batch, iters, warmup, env, extra, timeout):
    with tempfile.TemporaryDirectory() as d:
        rep = os.path.join(d, "r.json")
        cmd = [tandem, "run", path, "--units", units, "--batch", str(batch), "--iterations", str(iters),
               "--warmup", str(warmup), "--report", rep, "-q"] + list(extra)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ, **(env or {})))
        if p.returncode != 0:
            return {"error": ((p.stderr or p.stdout).strip().splitlines() or [f"rc {p.returncode}"])[-1][:300], "cmd": cmd}
        r = json.load(open(rep))
        return {"images_per_second": r.get("images_per_second"), "latency_ms_median": r.get("latency_ms_median"),
                "iterations": iters, "cmd": cmd}


def tandem_ips(tandem, path, units, batch, seconds=1.0, env=None, extra=(), timeout=300):
    """{"images_per_second", "latency_ms_median", "iterations", "cmd"} or {"error", "cmd"}."""
    # The first run only sizes the second (and warms the choice cache): short, also on a CPU
    # unit where one batch of 16 can take 0.4 s.
    iters = max(5, min(50, int(2000 / batch)))
    r = _run(tandem, path, units, batch, iters, 2, env, extra, timeout)
    ips = r.get("images_per_second")
    if "error" in r or not ips or iters * batch / ips >= seconds:
        return r
    longer = int(min(50000, max(iters, seconds * ips / batch)))
    return _run(tandem, path, units, batch, longer, max(5, longer // 10), env, extra, timeout)

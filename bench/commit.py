"""The commit a benchmark ran, for its results file: $TANDEM_COMMIT when set (the GPU machine's copy
of the tree has no history of its own; tools/gpu's env.sh exports the bundle's commit), else git's
HEAD of the repository, else "unknown"."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def current_commit(short=True):
    if os.environ.get("TANDEM_COMMIT"):
        c = os.environ["TANDEM_COMMIT"].strip()
        return c[:7] if short else c
    try:
        args = ["git", "-C", ROOT, "rev-parse"] + (["--short"] if short else []) + ["HEAD"]
        return subprocess.run(args, capture_output=True, text=True).stdout.strip() or "unknown"
    except OSError:
        return "unknown"

"""The TUI's start-up in a real terminal (issue #16.6): process spawn → first ticket card on screen.

    python -m bench.tui_start --db STORE [--runs 15] [--user admin] [--before DIR [--before-db STORE]]

Each run starts `python -m sagicc_tui --db STORE --user USER --lang en` in a
tmux pane of 160×50 (a private tmux server, `-L`), and polls
`tmux capture-pane` every few milliseconds until the pane shows a ticket
card (a line "[ ] #<number>"); the time is from just before tmux is told to
spawn the process. Also noted: the first frame (anything painted) and when
the count ("N tickets") appears, i.e. the full backend answered, and the CPU
time the TUI process had used when its first card was seen (user + system,
all threads; 10 ms ticks): on a loaded machine the wall times stretch with
the load, the CPU time much less. The pane is
respawned for every run, so each run is a fresh process with a warm page cache.

`--before DIR` also runs another checkout of the package (e.g. `git archive
main | tar -x -C DIR`), alternating run by run with this one so both see the
same load; `--before-db` gives it a store of its own schema (an older program
refuses a newer store). Prints the medians and the load average around the runs. Nothing asserts a time: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CARD = re.compile(r"\[ \] #\d+")
COUNT = re.compile(r"\d[\d,.]* tickets?\b")
SOCKET = f"sagicc-bench-{os.getpid()}"
BARE = "bare"
# The floor: Textual's own start-up and first paint, one label that the card and count patterns match.
BARE_APP = (
    "from textual.app import App\n"
    "from textual.widgets import Label\n"
    "class Bare(App):\n"
    "    def compose(self):\n"
    "        yield Label('[ ] #1 a bare Textual app, 1 ticket', markup=False)\n"
    "Bare().run()\n"
)


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=True).stdout


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process so far (all its threads), from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(command: str, cwd: str, *, timeout: float = 60.0, poll: float = 0.004) -> dict[str, float]:
    t0 = time.perf_counter()
    tmux("respawn-pane", "-k", "-t", "bench", "-c", cwd, command)
    pid = int(tmux("display-message", "-p", "-t", "bench", "#{pane_pid}").strip())
    seen: dict[str, float] = {}
    deadline = t0 + timeout
    while time.perf_counter() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "bench")
        now = time.perf_counter() - t0
        if "first frame" not in seen and screen.strip():
            seen["first frame"] = now
        if "first card" not in seen and CARD.search(screen):
            seen["first card"] = now
            seen["CPU of the TUI at the first card"] = cpu_seconds(pid)
        if "count shown" not in seen and COUNT.search(screen):
            seen["count shown"] = now
        if len(seen) == 4:
            return seen
        time.sleep(poll)
    raise SystemExit(f"no card on screen within {timeout:.0f} s; the pane shows:\n{screen}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="the store (e.g. a 1,000,000-ticket demo store)")
    ap.add_argument("--runs", type=int, default=15, help="runs per checkout")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--before", metavar="DIR",
                    help="also run the sagicc_tui found in DIR, alternating run by run with this checkout")
    ap.add_argument("--before-db", metavar="STORE",
                    help="the store DIR's program reads (an older checkout refuses a newer schema); default --db")
    ap.add_argument("--bare", action="store_true",
                    help="also run a bare Textual app (one label that reads as a card): the floor on this machine")
    args = ap.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is not installed")
    config = tempfile.mkdtemp(prefix="sagicc-bench-cfg-")
    here = str(Path(__file__).resolve().parents[1])
    variants = {"this checkout": here}
    if args.before:
        variants = {"before": str(Path(args.before).resolve()), "this checkout": here}

    if args.bare:
        variants["bare Textual app"] = BARE

    def command(pythonpath: str, db: str) -> str:
        # Run from the (empty) config folder: `python -m` puts the working directory first on sys.path.
        env = {"SAGICC_CONFIG_DIR": config, "TERM": "xterm-256color"}
        if pythonpath == BARE:
            argv = [sys.executable, "-c", BARE_APP]
        else:
            env["PYTHONPATH"] = pythonpath
            argv = [sys.executable, "-m", "sagicc_tui", "--db", db, "--user", args.user, "--lang", "en"]
        # Bytecode is written and read as on an installed copy, whatever this
        # shell says (a PYTHONDONTWRITEBYTECODE here would recompile every module each run).
        return "exec env -u PYTHONDONTWRITEBYTECODE " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " " + shlex.join(argv)

    tmux("new-session", "-d", "-s", "bench", "-x", "160", "-y", "50", "-c", config, "sleep 1000000")
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    load_before = os.getloadavg()
    try:
        dbs = {name: (args.before_db or args.db) if name == "before" else args.db for name in variants}
        for name, path in variants.items():
            one_run(command(path, dbs[name]), config)  # warm the page cache and the bytecode caches; not counted
        for i in range(args.runs):
            for name, path in variants.items():
                runs[name].append(one_run(command(path, dbs[name]), config))
                print(f"# {name}, run {i + 1}: " + ", ".join(f"{k} {v * 1000:.0f} ms"
                                                             for k, v in runs[name][-1].items()),
                      file=sys.stderr, flush=True)
                time.sleep(0.5)
    finally:
        load_after = os.getloadavg()
        subprocess.run(["tmux", "-L", SOCKET, "kill-server"], capture_output=True)
        shutil.rmtree(config, ignore_errors=True)
    print(f"Command: `python -m bench.tui_start {shlex.join(sys.argv[1:])}` — "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} — {os.cpu_count()} CPUs, "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print()
    print("| checkout | from process spawn | median ms | min | max | runs |")
    print("|---|---|---:|---:|---:|---:|")
    for name, results in runs.items():
        for metric in ("first frame", "first card", "count shown", "CPU of the TUI at the first card"):
            values = [r[metric] * 1000 for r in results]
            print(f"| {name} | {metric} | {statistics.median(values):.0f} | {min(values):.0f} | "
                  f"{max(values):.0f} | {len(values)} |")


if __name__ == "__main__":
    main()

"""The server process's garbage collector (issue #16).

A full collection (generation 2) walks every object the process holds: the
imported modules, SQLAlchemy's compiled statements and metadata, the kept
token lookups. At 100 simulated agents (bench/agents.py) one server process
paused 9 times in 90 s, 100-205 ms each, and every request in flight waited:
those pauses were the reads' p99. So, once the app has started, what is
there stays out of the collector's walks (gc.freeze), and the young
generations are collected less often: a request's garbage is freed by
reference counting, its few cycles can wait.
"""

from __future__ import annotations

import gc

#: Allocations before a young collection (Python's default: 700), then how
#: many of those before the next generation's (Python's: 10, 10). At 50,000
#: a young collection took ~60 ms (a page's cards are young when it runs);
#: at 10,000 they stay short and rare.
THRESHOLDS = (10_000, 10, 10)


def settle() -> None:
    """Once the app is built, in each `sagicc serve` process (serve.app_from_env
    runs per worker). Not in create_app: a test process builds many apps and
    keeps its own collector policy (tests/conftest.py)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)

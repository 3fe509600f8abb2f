"""`python tests/support/die_after.py MODULE:CLASS.METHOD ARGS…`: the `sagicc`
command (ARGS) in a process that SIGKILLs itself right after METHOD returned
a true value (its change committed): a crash at the one moment a test cannot
time from outside (tests/remote/test_fault.py: after the store committed a
sent message, before the server answers; tests/test_mail.py: after a fetched
batch committed, before its \\Seen flags). The hook lives here, not in the
product: production code has no test switch."""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import signal
import sys


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main() -> int:
    target, *args = sys.argv[1:]
    module_name, _, qualname = target.partition(":")
    class_name, _, method_name = qualname.partition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    original = getattr(cls, method_name)

    if inspect.iscoroutinefunction(original):
        @functools.wraps(original)
        async def dying(*a, **kw):
            result = await original(*a, **kw)
            if result:
                _kill()
            return result
    else:
        @functools.wraps(original)
        def dying(*a, **kw):
            result = original(*a, **kw)
            if result:
                _kill()
            return result

    setattr(cls, method_name, dying)
    from sagicc_tui.cli import main as sagicc

    return sagicc(args)


if __name__ == "__main__":
    raise SystemExit(main())

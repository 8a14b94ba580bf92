"""The process that runs --on-alert hooks for a monitor (notify.HookProcess starts it).

It is started before the monitor installs its network guard, so it, and the hooks it starts, keep
the network while the monitor's own process (MediaPipe's) does not. One JSON object of environment
variables per line on standard input is one event; when the input ends, running hooks get their
grace and the runner exits. Ctrl-C is the monitor's to handle: the runner ignores it.
"""

from __future__ import annotations

import json
import logging
import signal
import sys

from headwatch.system.notify import CommandHook


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m headwatch.system.hook_runner COMMAND\n")
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The library's warnings (a hook that cannot start) on this process's standard error, which
    # is the monitor's terminal.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("headwatch: %(levelname)s: %(message)s"))
    logger = logging.getLogger("headwatch")
    logger.addHandler(handler)
    logger.propagate = False
    logging.addLevelName(logging.WARNING, "warning")
    hook = CommandHook(argv[1])
    for line in sys.stdin:
        try:
            variables = {str(k): str(v) for k, v in json.loads(line).items()}
        except (ValueError, AttributeError):
            continue  # not an event: nothing to run
        hook.run(variables)
    hook.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

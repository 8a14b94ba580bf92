"""The process that runs --on-alert hooks for a monitor (notify.HookProcess starts it).

It is started before the monitor installs its network guard, so it, and the hooks it starts, keep
the network while the monitor's own process (MediaPipe's) does not. Its first line on standard
input is ``{"command": ...}`` (a command may carry a token: never in argv, which anyone may read);
each line after it, one JSON object of environment variables, is one event; when the input ends, running hooks get their
grace and the runner exits. Ctrl-C is the monitor's to handle: the runner ignores it.
"""

from __future__ import annotations

import json
import logging
import signal
import sys

from headwatch.system.notify import CommandHook


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: python -m headwatch.system.hook_runner < {\"command\": ...} and events\n")
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
    try:  # the command, first on the pipe: in argv every user could read it
        command = str(json.loads(sys.stdin.readline())["command"])
    except (ValueError, KeyError, TypeError):
        sys.stderr.write("headwatch: error: the --on-alert runner was not given its command\n")
        return 2
    hook = CommandHook(command)
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

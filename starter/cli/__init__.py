"""``triage``: run the stack's parts and act on reviews from a terminal.

Every failure ends in one line on stderr and an exit code a script can test:
0 success, 1 refused or not found, 2 usage, 3 Temporal or the reviewer API
unreachable; ``--debug`` (anywhere on the line, or ``TRIAGE_DEBUG=1``) adds
the traceback.

The app and the order of its commands are in ``app``; each group of commands
in a module of its own; exit codes and messages in ``errors``.
"""

"""Chaos run with exact accounting: faults on every layer, then every message reconciled.

    python -m bench.chaos --messages 1000 [--seed N] [--json PATH]

One process tree on this machine: a fresh Temporal dev server on a SQLite file
in a temporary directory (search attributes registered by ``triage.dev.devserver``),
the myagentmail emulator and the fake OpenAI server (``triage.dev.fake_openai``) in
this process, and the watcher and the worker as child processes, so that the
worker can die by SIGKILL. While a stream of routine and sensitive emails
arrives, a fault script kills the worker (kill -9, restarted after a pause),
kills and restarts the dev server on the same database, drops and half-opens
the watcher's socket, duplicates events, answers REST calls with 500s and with
429 + Retry-After, and makes the LLM time out, answer invalid JSON and fail
over HTTP; reviewers approve, reject, redraft and race each other on the
pending reviews meanwhile, through ``starter.review`` (Update, sometimes Signal).
About a sixth of the emails follow up in an earlier email's thread (within a
second of it, or later) or only say thanks, and one sender writes six routine
emails in the same second, before the first fault: exactly three go out on
their own (the per-sender limit), the others wait for a human.

Then the faults go off (a scripted LLM burst not yet used stays until the run
has settled), the run settles (every workflow finished or waiting for
a reviewer, nothing in flight) and the emulator (the inbox, ``/_sim/sent``) is
reconciled with Temporal (visibility, results, the ``state`` query): one
workflow and one state per message, one reply per sent message, none for the
others (superseded and no_reply_needed included), no reply to anything else;
per thread at most one open review and the newest message never superseded;
every automatic reply allowed by its sender's counter, none beyond the limit.
Any mismatch makes the exit status 1.

One module per job, in the order a run uses them:

* ``plan``: what the run will do and when (the plan, the emails, the fault schedule), from the seed alone;
* ``children``: the dev server, worker and watcher processes and their configuration;
* ``stream``: posting the planned emails to the emulator;
* ``faults``: the fault script (kills, restarts, emulator and LLM faults);
* ``reviewers``: the simulated reviewers;
* ``settle``: waiting until every workflow is at rest;
* ``accounting``: the outcomes, anomalies and figures a run is counted in;
* ``reconcile``: the emulator against Temporal, message by message, thread by thread;
* ``report``: the report and its table;
* ``run``: one whole run; ``__main__``: the command line.
"""

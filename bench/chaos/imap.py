"""The chaos run over IMAP: a real Dovecot, an SMTP relay, the worker and the watcher as processes.

    python -m bench.chaos --mail imap --messages 1000 [--seed N] [--json PATH] [--keep]

N emails are delivered over LMTP into the support mailbox while the fault
script restarts Dovecot (its sessions cut), renumbers the inbox (UIDVALIDITY
reset), cuts every IMAP connection, and kills the worker with SIGKILL (a new
one starts at once). Then the run settles and is accounted for exactly:
every message has one workflow (0 lost, 0 duplicates), every auto-sent
workflow one reply in the relay. A reply sent twice can only come from a
worker killed between the SMTP server's acceptance and the Sent copy (the
window ``tests/test_imap_send_kill.py`` measures): more duplicates than
worker kills is a mismatch, and every duplicate is reported.
"""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.chaos.children import ChildProcesses
from bench.chaos.settle import list_triage_workflows, message_id_of, settle
from starter.review import summarize
from triage.dev.dovecot import PASSWORD, Dovecot
from triage.dev.smtp_relay import SmtpRelay
from triage.domain.models import TriageStatus
from triage.mail.imap.mime import id_for
from triage.runtime.config import Settings
from triage.runtime.temporal_client import connect

QUESTIONS = [
    ("How do I reset my password?", "Hello, how do I reset my password?"),
    ("Which browsers do you support?", "Hi, which browsers does the web app support?"),
    ("Refund for a double charge", "I was charged twice this month, I want my money back."),
    ("Export fails", "The CSV export fails with an error since yesterday."),
    ("Feature idea", "It would be great to have a dark mode."),
]
SENDERS = 200  # one sender's mail shares a counter workflow: many senders, as an inbox has
FAULTS = (
    "dovecot_restart",
    "kick",
    "worker_kill",
    "uidvalidity_reset",
    "kick",
    "worker_kill",
    "dovecot_restart",
)
_IN_REPLY_TO = re.compile(rb"In-Reply-To: <([^>]+)>")


@dataclass
class ImapChaosReport:
    messages: int
    workflows: int = 0
    lost: list[str] = field(default_factory=list)
    duplicate_workflows: int = 0
    auto_sent: int = 0
    replies: int = 0
    duplicate_replies: list[str] = field(default_factory=list)
    auto_sent_without_reply: list[str] = field(default_factory=list)
    replies_without_auto_send: list[str] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    unexpected_exits: list[str] = field(default_factory=list)
    settled: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def mismatches(self) -> list[str]:
        found = []
        if self.lost:
            found.append(f"{len(self.lost)} lost")
        if self.duplicate_workflows:
            found.append(f"{self.duplicate_workflows} duplicate workflows")
        if self.auto_sent_without_reply:
            found.append(f"{len(self.auto_sent_without_reply)} auto-sent without a reply")
        if len(self.duplicate_replies) > self.faults.get("worker_kill", 0):
            found.append(f"{len(self.duplicate_replies)} duplicate replies, more than the worker kills")
        if not self.settled:
            found.append("did not settle")
        return found

    def as_json(self) -> dict:
        return {**asdict(self), "mismatches": self.mismatches}


def format_imap_report(report: ImapChaosReport) -> str:
    rows = [
        ("messages delivered", report.messages),
        ("workflows", report.workflows),
        ("lost", len(report.lost)),
        ("duplicate workflows", report.duplicate_workflows),
        ("auto-sent", report.auto_sent),
        ("replies in the relay", report.replies),
        ("duplicate replies (kill -9 inside the send window)", len(report.duplicate_replies)),
        ("auto-sent without a reply", len(report.auto_sent_without_reply)),
        ("faults", ", ".join(f"{k} {v}" for k, v in sorted(report.faults.items()))),
        ("unexpected exits", len(report.unexpected_exits)),
        ("settled", report.settled),
        ("seconds", ", ".join(f"{k} {v:.0f}" for k, v in report.seconds.items())),
        ("mismatches", "; ".join(report.mismatches) or "none"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _raw(i: int, rng: random.Random) -> tuple[str, bytes]:
    subject, body = QUESTIONS[rng.randrange(len(QUESTIONS))]
    mid = f"chaos-{i}-{rng.getrandbits(40):x}@client.example.test"
    raw = (
        f"From: customer{i % SENDERS}@example.org\r\nTo: support@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <{mid}>\r\nDate: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n\r\n{body}\r\n"
    ).encode()
    return mid, raw


def _deliver(dovecot: Dovecot, raw: bytes) -> None:
    """Delivered, whatever it takes: Dovecot may be down for a restart (a sender's MTA retries too)."""
    while True:
        try:
            dovecot.deliver(raw)
            return
        except OSError:
            time.sleep(0.2)


async def _fault(name: str, dovecot: Dovecot, processes: ChildProcesses) -> None:
    if name == "dovecot_restart":
        await asyncio.to_thread(dovecot.restart)
    elif name == "uidvalidity_reset":
        await asyncio.to_thread(dovecot.reset_uidvalidity)
    elif name == "kick":
        await asyncio.to_thread(dovecot.kick)
    elif name == "worker_kill":
        await processes.kill_worker()
        processes.start_worker()


def child_env(address: str, dovecot: Dovecot, relay: SmtpRelay) -> dict[str, str]:
    return {
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": "default",
        "TRIAGE_MAIL_PROVIDER": "imap",
        "TRIAGE_IMAP_HOST": "127.0.0.1",
        "TRIAGE_IMAP_PORT": str(dovecot.imap_port),
        "TRIAGE_IMAP_SECURITY": "none",
        "TRIAGE_IMAP_USER": "support",
        "TRIAGE_IMAP_PASSWORD": PASSWORD,
        "TRIAGE_IMAP_ADDRESS": dovecot.address("support"),
        "TRIAGE_SMTP_PORT": str(relay.port),
        "TRIAGE_IMAP_POLL_INTERVAL": "3",
        "TRIAGE_WATCH_IDLE_TIMEOUT": "8",
        "TRIAGE_PROVIDER": "offline",
    }


async def run_imap_chaos(
    messages: int, seed: int, *, keep_workdir: bool = False, settle_timeout: float = 900.0
) -> ImapChaosReport:
    workdir = Path(tempfile.mkdtemp(prefix="triage-chaos-imap-"))
    workdir.chmod(0o755)  # Dovecot's users must enter it
    rng = random.Random(seed)
    report = ImapChaosReport(messages=messages)
    loop = asyncio.get_running_loop()
    began = loop.time()
    dovecot = Dovecot(workdir)
    dovecot.start()
    relay = SmtpRelay(dovecot, deliver=False)  # customers have no mailboxes here: replies are counted
    relay.start()
    (workdir / "stack").mkdir()
    processes = ChildProcesses(workdir / "stack")
    try:
        await processes.temporal.serve()
        processes.env = child_env(processes.address, dovecot, relay)
        processes.start_worker()
        processes.start_watcher()
        processes.start_watchdog()
        client = await connect(Settings(temporal_address=processes.address, temporal_namespace="default"))
        at = {round(messages * (k + 1) / (len(FAULTS) + 1)): name for k, name in enumerate(FAULTS)}
        faults: Counter[str] = Counter()
        expected: dict[str, str] = {}  # triage id -> Message-ID
        chaos_began = loop.time()
        for i in range(messages):
            mid, raw = _raw(i, rng)
            await asyncio.to_thread(_deliver, dovecot, raw)
            expected[id_for(mid)] = mid
            if i in at:
                await _fault(at[i], dovecot, processes)
                faults[at[i]] += 1
            await asyncio.sleep(rng.uniform(0, 0.02))
        settle_began = loop.time()
        report.settled = await settle(client, set(expected), settle_timeout)
        executions = await list_triage_workflows(client)
        seen = Counter(message_id_of(e.id) for e in executions)
        report.workflows = len(executions)
        report.lost = sorted(set(expected) - set(seen))
        report.duplicate_workflows = sum(n - 1 for n in seen.values() if n > 1) + len(
            set(seen) - set(expected)
        )
        auto_sent = {message_id_of(e.id) for e in executions if summarize(e).status is TriageStatus.AUTO_SENT}
        report.auto_sent = len(auto_sent)
        answered = Counter(
            match.group(1).decode() for a in relay.accepted if (match := _IN_REPLY_TO.search(a.data))
        )
        report.replies = sum(answered.values())
        report.duplicate_replies = sorted(mid for mid, n in answered.items() if n > 1)
        report.auto_sent_without_reply = sorted(
            expected[t] for t in auto_sent if expected.get(t) not in answered
        )
        report.replies_without_auto_send = sorted(m for m in answered if id_for(m) not in auto_sent)
        report.faults = dict(faults)
        report.unexpected_exits = processes.unexpected_exits
        report.seconds = {
            "chaos": settle_began - chaos_began,
            "settle": loop.time() - settle_began,
            "all": loop.time() - began,
        }
    finally:
        await processes.stop()
        relay.stop()
        dovecot.stop()
    if report.mismatches or keep_workdir:
        print(f"logs and mail kept in {workdir}", flush=True)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return report

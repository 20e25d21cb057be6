"""A local emulator of the myagentmail API (REST + WebSocket + ``/_sim`` control), for the demo and the tests."""

from triage.mail.sim.app import create_app
from triage.mail.sim.runner import RunningMailSim, running_mailsim, serve_mailsim

__all__ = ["RunningMailSim", "create_app", "running_mailsim", "serve_mailsim"]

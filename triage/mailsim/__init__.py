"""A local emulator of the myagentmail API (REST + WebSocket + ``/_sim`` control), for the demo and the tests."""

from triage.mailsim.app import create_app
from triage.mailsim.runner import RunningMailSim, running_mailsim, serve_mailsim

__all__ = ["RunningMailSim", "create_app", "running_mailsim", "serve_mailsim"]

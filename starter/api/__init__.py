"""Reviewer HTTP API and dashboard (FastAPI): ``create_app`` and ``run_api``."""

from starter.api.app import create_app

__all__ = ["create_app"]

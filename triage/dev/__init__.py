"""Test doubles shipped with the library (as ``temporalio.testing`` is), for tests and benchmarks alike.

``fake_openai``: a local OpenAI-compatible server that answers like a model or as scripted.
"""

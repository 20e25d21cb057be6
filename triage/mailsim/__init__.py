"""A local emulator of the myagentmail API, for the demo and the tests."""

"""What every process runs on: configuration, the Temporal client and codec, telemetry, servers."""

"""The ivr-acd daemon: configuration, wiring of the adapters, the CLI and the demo."""

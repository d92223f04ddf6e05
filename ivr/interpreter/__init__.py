"""The pure dialplan interpreter: `Machine` and the actions it exchanges with a runner."""

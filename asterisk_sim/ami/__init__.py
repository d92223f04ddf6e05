"""The manager interface of the simulated Asterisk (like port 5038)."""

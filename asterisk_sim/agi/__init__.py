"""The Asterisk side of FastAGI: connect to the daemon, send the environment, run its commands."""

"""A simulated Asterisk (AMI server + the Asterisk side of FastAGI) for tests, the demo and capacity planning."""

"""The ACD: queues, routing, agent states, callbacks, metrics and records."""

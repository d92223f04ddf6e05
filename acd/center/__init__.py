"""The call centre core: one owner of queues, calls and agents (pure), and what goes in and out."""

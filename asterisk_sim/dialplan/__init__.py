"""A mini dialplan: ``extensions.conf`` parsing, extension patterns and ``${…}``/``$[…]`` evaluation.

Pure code (no asyncio, no channels): the PBX runner in :mod:`asterisk_sim.pbx` executes what
this package parses.
"""

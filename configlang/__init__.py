"""What the engineers' YAML files are made of.

Positioned YAML nodes (every value keeps file:line:col), line-accurate error collection,
and the small safe expression language used by dialplans and queue skill rules.
"""

"""The IVR: the YAML dialplan language, its compiler and linter, and its interpreter."""

"""The one exception users see for bad input: a message that fits on one line."""


class ConfigError(ValueError):
    """A configuration value that cannot work, reported as one line with exit status 2."""

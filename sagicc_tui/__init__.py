"""sagicc-tui: the Sagicc ticket and customer modules in the terminal."""

__version__ = "0.1.0"

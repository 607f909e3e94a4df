"""ITP medication helper: cited answers about ITP immunosuppressants, in Telegram."""

__version__ = "0.1.0"

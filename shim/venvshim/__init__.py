"""venvshim: a `uv` shim that tombstones a project environment instead of deleting it in place."""

__version__ = "0.1.0"

"""Patchwork: a self-hosted backend for archiving online videos."""

__version__ = "0.1.0"

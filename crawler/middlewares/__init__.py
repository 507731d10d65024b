"""Downloader middlewares of the project, one per module, wired in crawler/settings.py."""

"""Spiders: `site` crawls any definition file; each bundled definition has its own name."""

"""For `scrapyd-deploy` only, which builds the project's egg with `setup.py bdist_egg`.

Everything (packages, the bundled site definitions as package data, the `scrapy`
settings entry point scrapyd reads) is declared in pyproject.toml; without this file
scrapyd-deploy would write a setup.py of its own that leaves the site definitions out.
"""

from setuptools import setup

setup()

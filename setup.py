"""Build shim for `scrapyd-deploy`, which packs the project with `setup.py bdist_egg`.

pyproject.toml contains all the metadata, including the `scrapy` entry point that
names the settings module Scrapyd loads. Without this file scrapyd-deploy
writes its own setup.py, whose entry point setuptools ignores because
pyproject.toml declares the project's metadata.
"""

from setuptools import setup

setup()

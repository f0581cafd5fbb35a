"""Kept so `python setup.py ...` and old pip versions work; all metadata is in pyproject.toml."""

from setuptools import setup

setup()

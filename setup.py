"""Packaging for Scrapyd: ``scrapyd-deploy`` runs ``setup.py bdist_egg`` and uploads the egg.

The egg carries every package, the top-level modules (``settings``, ``items``, ``eggenv``) and
the data tables under ``data/`` (cells.csv and friends), which the code reads at run time.
Scrapyd runs a project from the zipped egg; ``eggenv`` (imported first by ``settings``) unpacks
it once so that code reading ``data/`` through ordinary paths works unchanged.
"""
from setuptools import find_packages, setup

PACKAGES = find_packages(exclude=("tests", "tests.*", "bench", "bench.*"))

setup(
    name="nianbao",
    version="0.1",
    description="Crawl, archive and decode China's 政府信息公开工作年度报告",
    packages=[*PACKAGES, "data"],
    py_modules=["settings", "items", "eggenv"],
    package_data={
        "data": ["*.csv", "*.json", "agencies/*.csv", "agencies/*.md", "datasette/*.json"],
        "demo_portal": ["*.json"],
    },
    include_package_data=False,
    entry_points={"scrapy": ["settings = settings"]},
    zip_safe=False,
)

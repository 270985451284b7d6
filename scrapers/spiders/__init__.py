"""Hand-written company spiders, only for exceptions: `<slug>.py` subclassing a platform base.

Every other company's spider is generated from the registry by scrapers.loader.
"""

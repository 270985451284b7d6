"""paywatch's crawling side and its command line: the registry, the item types, pure extraction, the
platform spiders, the night's crawl, the demo and the `paywatch` command (see docs/ARCHITECTURE.md)."""

"""Signals of a crawler that crawls a host group's companies in turn (``PlatformSpider.company_queue``).

Scrapy's ``spider_opened`` and ``spider_closed`` mark a crawler's start and end; with several
companies to one crawler, these mark each company's crawl. Plain objects, as Scrapy's own signals are.

- ``company_opened(spider)``: a later company's crawl begins (the first one's is ``spider_opened``);
- ``company_closed(spider, reason, stats)``: a company's crawl is over, for ``reason`` (Scrapy's
  close reasons: ``finished``, ``closespider_timeout``, …), with ``stats`` its own share of the
  crawler's stats; the spider still holds that company's state while the signal is handled;
- ``company_archived(company, crawl_id, status)``: the archive writer recorded that crawl;
- ``archive_disk_full(path, error)``: the archive writer could not record a crawl because the disk is
  full: the night stops (``scrapers.crawl.run_crawl``), and ``paywatch crawl`` exits 3.
"""

company_opened = object()
company_closed = object()
company_archived = object()
archive_disk_full = object()

"""The versioned SQLite archive: schema, ingestion of one company crawl, queries (diff) and Datasette.
It knows nothing of Scrapy: it takes a Database and dicts."""

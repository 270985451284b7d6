"""The versioned SQLite archive: schema, ingestion of one company crawl, and queries (diff)."""

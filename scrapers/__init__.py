"""paywatch crawling side: settings, the JobPosting item, the companies registry and the spiders."""

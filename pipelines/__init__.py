"""paywatch item pipelines and the pure functions they wrap (pay ranges, role types)."""

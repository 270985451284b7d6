"""Pure extraction: a platform's parsed JSON (or HTML) in, JobPosting items out. No requests, no clock."""

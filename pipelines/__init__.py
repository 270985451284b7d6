"""paywatch's item pipelines: one stage a module (validate, clean, pay_range, role_type,
archive_writer; see docs/PIPELINES.md), and the pure functions two of them wrap: ``parse_pay``
(pay_parser) and ``classify_role`` (role_classifier)."""

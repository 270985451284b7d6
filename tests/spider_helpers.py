"""Drive a spider's callbacks on saved responses, without a network or a reactor."""

from __future__ import annotations

import json
from typing import Any

from scrapy.http import Request, TextResponse
from scrapy.utils.test import get_crawler

from scrapers.items import JobPosting
from scrapers.platforms import spider_class_for
from scrapers.registry import Company


def project_settings() -> dict[str, Any]:
    from scrapers import settings as module

    return {name: getattr(module, name) for name in dir(module) if name.isupper()}


def make_spider(platform: str, slug: str = "acme", settings: dict[str, Any] | None = None, **ids: Any):
    company = Company(slug=slug, name=slug.title(), sector="tech", platform=platform, ids=ids)
    spider_cls = spider_class_for(company)
    crawler = get_crawler(spider_cls, {**project_settings(), **(settings or {})})
    spider = spider_cls.from_crawler(crawler)
    crawler.spider = spider
    return spider


def json_response(url: str, payload: Any, status: int = 200, request: Request | None = None) -> TextResponse:
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    if isinstance(body, str):
        body = body.encode("utf-8")
    return TextResponse(url, body=body, status=status, encoding="utf-8",
                        headers={"Content-Type": "application/json"}, request=request or Request(url))


def split_output(results) -> tuple[list[JobPosting], list[Request]]:
    items, requests = [], []
    for result in results or []:
        if result is None:  # Scrapy ignores a callback's None (an unreadable posting yields one)
            continue
        (requests if isinstance(result, Request) else items).append(result)
    return items, requests

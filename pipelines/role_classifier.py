"""Role type, AI flag and seniority of a job posting, from its title (and department hint).

``classify_role(title, department=None) -> RoleClass`` is a pure, deterministic function that never
raises. All knowledge lives in ``pipelines/role_rules.toml`` (format documented at the top of that
file and in ``docs/ROLES.md``); this module only compiles the rules once at import and applies them:

* role type: every title rule and department hint that matches competes on ``priority``; the highest
  wins, ties go to the rule listed first. No match -> ``other``.
* ai_related: strong AI/ML patterns in the title or department, weak "algorithms team" patterns
  (only for engineering, research and product roles), minus exclusions (game AI, streaming algorithms), never for sales roles,
  and true by default for research roles unless a non-ML research pattern occurs.
* seniority: the ordered rules of the README (intern, numeric level, executive, director, manager
  with IC families, staff, senior, entry, unknown); the first rule that fires wins.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "RoleClass",
    "ROLE_TYPES",
    "SENIORITIES",
    "RULES_PATH",
    "classify_role",
    "load_rules",
    "normalize",
]

RULES_PATH = Path(__file__).with_name("role_rules.toml")
MAX_INPUT_CHARS = 400  # titles longer than this are cut; no real title is anywhere near it


@dataclass(frozen=True)
class RoleClass:
    role_type: str
    ai_related: bool
    seniority: str
    matched_rule: str | None = None


# --------------------------------------------------------------------------------------------
# Text normalisation and pattern compilation
# --------------------------------------------------------------------------------------------
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NON_ALNUM_KEEP_CASE = re.compile(r"[^A-Za-z0-9]+")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def normalize(text: str | None) -> str:
    """Accent-fold, lower-case, '&' -> 'and', every non-alphanumeric run -> one space."""
    if not text or not isinstance(text, str):
        return ""
    text = _fold(text[:MAX_INPUT_CHARS]).lower().replace("&", " and ")
    return _NON_ALNUM.sub(" ", text).strip()


def _phrase_key(pattern: str) -> tuple[str, bool]:
    """A plain pattern as (normalized phrase, trailing-star flag)."""
    star = pattern.endswith("*")
    phrase = normalize(pattern.rstrip("*"))
    if not phrase:
        raise ValueError(f"empty pattern {pattern!r}")
    return phrase, star


_END, _STAR = "\x00end", "\x00star"


def _trie_regex(node: dict[str, Any]) -> str:
    alts = [re.escape(ch) + _trie_regex(child) for ch, child in sorted(node.items()) if len(ch) == 1]
    optional = False
    if _STAR in node:
        alts.append("[a-z0-9]*")
    elif _END in node:
        optional = True
    if not alts:
        return ""
    if len(alts) == 1 and not optional:
        return alts[0]
    return "(?:" + "|".join(alts) + ")" + ("?" if optional else "")


def _compile(patterns: list[str] | None) -> re.Pattern[str] | None:
    """One regex for a pattern list: plain phrases become a character trie between \\b anchors
    (normalized text holds only [a-z0-9 ], so \\b is exactly the alphanumeric word boundary)."""
    if not patterns:
        return None
    trie: dict[str, Any] = {}
    raw: list[str] = []
    for pattern in patterns:
        if pattern.startswith("re:"):
            re.compile(pattern[3:])  # fail early on a bad regex
            raw.append(f"(?:{pattern[3:]})")
            continue
        phrase, star = _phrase_key(pattern)
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[_STAR if star else _END] = True
    parts = []
    if trie:
        parts.append(rf"\b{_trie_regex(trie)}\b")
    parts.extend(raw)
    return re.compile("|".join(parts))


@dataclass(frozen=True)
class _Rule:
    id: str
    role_type: str
    priority: int
    order: int
    regex: re.Pattern[str]
    exclude: re.Pattern[str] | None
    department: re.Pattern[str] | None


@dataclass(frozen=True)
class _SeniorityRule:
    level: str
    kind: str
    regex: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    extra: dict[str, Any]


@dataclass(frozen=True)
class _Compiled:
    role_types: tuple[str, ...]
    seniorities: tuple[str, ...]
    default_role_type: str
    title_rules: tuple[_Rule, ...]
    dept_rules: tuple[_Rule, ...]
    ai: dict[str, Any]
    seniority: tuple[_SeniorityRule, ...]


def load_rules(path: Path | str = RULES_PATH) -> dict[str, Any]:
    """Parse the rules file (raw TOML data, not compiled)."""
    if Path(path) == RULES_PATH and not RULES_PATH.is_file():
        # Shipped inside a zipped package (the egg a Scrapyd node runs): read through the package.
        return tomllib.loads(resources.files("pipelines").joinpath("role_rules.toml").read_text(encoding="utf-8"))
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def _build_rules(data: dict[str, Any], key: str, role_types: tuple[str, ...], start: int) -> list[_Rule]:
    rules = []
    for i, raw in enumerate(data.get(key, [])):
        rt = raw["role_type"]
        if rt not in role_types:
            raise ValueError(f"rule {raw.get('id')!r}: unknown role_type {rt!r}")
        rules.append(
            _Rule(
                id=str(raw["id"]),
                role_type=rt,
                priority=int(raw["priority"]),
                order=start + i,
                regex=_compile(raw["patterns"]),  # type: ignore[arg-type]
                exclude=_compile(raw.get("exclude")),
                department=_compile(raw.get("department")),
            )
        )
    return rules


def compile_rules(data: dict[str, Any]) -> _Compiled:
    meta = data["meta"]
    role_types = tuple(meta["role_types"])
    seniorities = tuple(meta["seniorities"])
    title_rules = _build_rules(data, "role", role_types, 0)
    dept_rules = _build_rules(data, "department", role_types, len(title_rules))

    ai_raw = data["ai"]
    ai = {
        "strong": _compile(ai_raw["patterns"]),
        "weak": _compile(ai_raw.get("weak_patterns")),
        "weak_role_types": frozenset(ai_raw.get("weak_role_types", [])),
        "exclude": _compile(ai_raw.get("exclude")),
        "exclude_role_types": frozenset(ai_raw.get("exclude_role_types", [])),
        "default_true_role_types": frozenset(ai_raw.get("default_true_role_types", [])),
        "non_ml": _compile(ai_raw.get("non_ml")),
        "not_ai_work": _compile(ai_raw.get("not_ai_work")),
        "not_ai_work_except": _compile(ai_raw.get("not_ai_work_except")),
        "not_ai_work_role_types": frozenset(ai_raw.get("not_ai_work_role_types", [])),
    }

    sen_rules = []
    for raw in data["seniority"]:
        kind = raw.get("kind", "phrases")
        extra: dict[str, Any] = {}
        if kind == "numeric":
            extra["level_map"] = {int(k): v for k, v in raw["level_map"].items()}
            extra["roman_map"] = dict(raw.get("roman_map", {}))
            nouns = "|".join(re.escape(n) for n in raw["bare_after"])
            extra["bare"] = re.compile(rf"(?<![a-z0-9])(?:{nouns})s? ([1-9])(?: ([1-9]))?(?![a-z0-9])")
            extra["lvl"] = re.compile(r"(?<![a-z0-9])l([1-9])(?: l?([1-9]))?(?![a-z0-9])")
            if extra["roman_map"]:
                romans = "|".join(sorted(extra["roman_map"], key=len, reverse=True))
                nouns_ci = "|".join(re.escape(n) for n in raw["bare_after"])
                extra["roman"] = re.compile(
                    rf"(?i:(?<![A-Za-z0-9])(?:{nouns_ci})s?) ({romans})(?![A-Za-z0-9])"
                )
            for v in (*extra["level_map"].values(), *extra["roman_map"].values()):
                if v not in seniorities:
                    raise ValueError(f"unknown seniority {v!r} in numeric rule")
        elif kind == "manager":
            families = sorted(raw.get("ic_families", []), key=len, reverse=True)
            fam = "|".join(" ".join(re.escape(w) for w in normalize(f).split(" ")) for f in families)
            extra["ic"] = re.compile(rf"(?<![a-z0-9])(?:{fam}) (?:manager|managers|mgr)(?![a-z0-9])") if fam else None
            extra["manager_word"] = re.compile(r"(?<![a-z0-9])(?:manager|managers|mgr)(?![a-z0-9])")
            extra["always"] = _compile(raw.get("always_manager"))
        elif kind != "phrases":
            raise ValueError(f"unknown seniority rule kind {kind!r}")
        level = raw["level"]
        if kind != "numeric" and level not in seniorities:
            raise ValueError(f"unknown seniority level {level!r}")
        sen_rules.append(
            _SeniorityRule(
                level=level,
                kind=kind,
                regex=_compile(raw.get("patterns")),
                exclude=_compile(raw.get("exclude")),
                extra=extra,
            )
        )
    default = meta.get("default_role_type", "other")
    if default not in role_types:
        raise ValueError(f"unknown default role type {default!r}")
    return _Compiled(
        role_types=role_types,
        seniorities=seniorities,
        default_role_type=default,
        title_rules=tuple(title_rules),
        dept_rules=tuple(dept_rules),
        ai=ai,
        seniority=tuple(sen_rules),
    )


_RULES = compile_rules(load_rules())
ROLE_TYPES: tuple[str, ...] = _RULES.role_types
SENIORITIES: tuple[str, ...] = _RULES.seniorities


# --------------------------------------------------------------------------------------------
# Classification
# --------------------------------------------------------------------------------------------
def _role_type(t: str, dept_parts: list[str], dept: str, rules: _Compiled) -> tuple[str, str | None]:
    best: tuple[int, int] | None = None  # (priority, -order)
    best_rule: _Rule | None = None
    best_src = ""
    for rule in rules.title_rules:
        if best is not None and (rule.priority, -rule.order) <= best:
            continue
        if rule.department is not None and not rule.department.search(dept):
            continue
        if not rule.regex.search(t):
            continue
        if rule.exclude is not None and rule.exclude.search(t):
            continue
        best, best_rule, best_src = (rule.priority, -rule.order), rule, "title"
    for pos, part in enumerate(dept_parts):
        for rule in rules.dept_rules:
            prio = rule.priority + pos
            if best is not None and (prio, -rule.order) <= best:
                continue
            if not rule.regex.fullmatch(part):
                continue
            if rule.exclude is not None and rule.exclude.search(part):
                continue
            best, best_rule, best_src = (prio, -rule.order), rule, "department"
    if best_rule is None:
        return rules.default_role_type, None
    return best_rule.role_type, f"{best_src}:{best_rule.id}"


def _ai_related(t: str, dept: str, role_type: str, rules: _Compiled) -> bool:
    ai = rules.ai
    if role_type in ai["exclude_role_types"]:
        return False
    if (role_type in ai["not_ai_work_role_types"] and ai["not_ai_work"] is not None and ai["not_ai_work"].search(t)
            and not (ai["not_ai_work_except"] is not None and ai["not_ai_work_except"].search(t))):
        return False
    text = f"{t} | {dept}" if dept else t
    if ai["exclude"] is not None:
        text = ai["exclude"].sub(" ", text)
    if ai["strong"] is not None and ai["strong"].search(text):
        return True
    if (
        ai["weak"] is not None
        and role_type in ai["weak_role_types"]
        and ai["weak"].search(text)
    ):
        return True
    if role_type in ai["default_true_role_types"]:
        # The department counts too: a "Researcher" in "Archives" is not doing ML.
        return not (ai["non_ml"] is not None and ai["non_ml"].search(text))
    return False


def _numeric_level(t: str, raw_title: str, extra: dict[str, Any]) -> str | None:
    levels: list[int] = []
    for m in extra["lvl"].finditer(t):
        levels.extend(int(g) for g in m.groups() if g)
    for m in extra["bare"].finditer(t):
        levels.extend(int(g) for g in m.groups() if g)
    if levels:
        lowest = min(levels)
        return extra["level_map"].get(lowest)
    roman = extra.get("roman")
    if roman is not None:
        spaced = _NON_ALNUM_KEEP_CASE.sub(" ", _fold(raw_title[:MAX_INPUT_CHARS]))
        m = roman.search(spaced)
        if m:
            return extra["roman_map"].get(m.group(1))
    return None


def _is_people_manager(t: str, extra: dict[str, Any]) -> bool:
    always = extra.get("always")
    if always is not None and always.search(t):
        return True
    ic = extra.get("ic")
    ic_spans = [m.end() for m in ic.finditer(t)] if ic is not None else []
    for m in extra["manager_word"].finditer(t):
        if m.end() not in ic_spans:
            return True
    return False


def _seniority(t: str, raw_title: str, rules: _Compiled) -> str:
    for rule in rules.seniority:
        if rule.kind == "numeric":
            level = _numeric_level(t, raw_title, rule.extra)
            if level is not None:
                return level
            continue
        if rule.kind == "manager":
            if _is_people_manager(t, rule.extra):
                return rule.level
            # other manager phrases (team lead, supervisor ...) minus the bare manager word
            if rule.regex is not None:
                for m in rule.regex.finditer(t):
                    word = m.group(0)
                    if word in ("manager", "managers", "mgr"):
                        continue
                    if rule.exclude is not None and rule.exclude.search(t):
                        break
                    return rule.level
            continue
        if rule.regex is not None and rule.regex.search(t):
            if rule.exclude is not None and rule.exclude.search(t):
                # an excluded phrase may hide the only match ("Executive Assistant"); try the rest
                if not rule.regex.search(rule.exclude.sub(" ", t)):
                    continue
            return rule.level
    return "unknown"


@lru_cache(maxsize=8192)
def _classify(title: str, department: str) -> RoleClass:
    rules = _RULES
    t = normalize(title)
    if not t:
        return RoleClass("other", False, "unknown", None)
    dept_raw = department[:MAX_INPUT_CHARS]
    dept_parts = [p for p in (normalize(x) for x in dept_raw.split("/")) if p]
    dept = " | ".join(dept_parts)
    role_type, matched = _role_type(t, dept_parts, dept, rules)
    ai = _ai_related(t, dept, role_type, rules)
    seniority = _seniority(t, title, rules)
    return RoleClass(role_type, ai, seniority, matched)


def classify_role(title: str, department: str | None = None) -> RoleClass:
    """Classify a posting title (plus optional platform department/team) into a RoleClass.

    Never raises: non-string or empty input gives ``RoleClass("other", False, "unknown")``.
    """
    try:
        if not isinstance(title, str):
            title = "" if title is None else str(title)
        if not isinstance(department, str):
            department = "" if department is None else str(department)
        return _classify(title, department)
    except Exception:  # pragma: no cover - defensive: a classifier must not break a crawl
        return RoleClass("other", False, "unknown", "error")


# the result cache (titles repeat a lot across crawls); benchmarks clear it to time real work
classify_role.cache_clear = _classify.cache_clear  # type: ignore[attr-defined]

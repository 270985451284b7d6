#!/usr/bin/env python
"""Score pipelines.role_classifier.classify_role against the hand-labeled role corpus (dev half).

    python benchmarks/role_accuracy.py [--corpus DIR] [--errors N] [--reps N] [--check]

The corpus directory holds titles.jsonl and dev-labels.jsonl (see its README.md). Default:
$PAYWATCH_ROLE_CORPUS, else <repo root>/../shared/role-corpus.

Reports role-type accuracy and macro-F1 (unweighted mean of per-class F1 over the role types present
in the labels) with a per-class P/R/F1 table, ai_related P/R/F1 (true = positive), seniority accuracy
(exact, all nine values) and titles/second over --reps runs, for paywatch's classifier and for a
plain title-only keyword table as the baseline. Strings are compared lower-cased; an exception or a
missing value counts as wrong. The last line is
``role_acc=NN.N% role_macro_f1=NN.N% ai_f1=NN.N% seniority_acc=NN.N%`` (ours).
``--check`` exits 1 when ours misses a target.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from pipelines.role_classifier import classify_role  # noqa: E402

TARGETS = {"role_acc": 0.92, "role_macro_f1": 0.88, "ai_f1": 0.95, "seniority_acc": 0.95}


# ---- baseline: the "plain keyword table" the issue compares against (title only, first hit wins) ----
_BASELINE_TABLE = [
    ("research scientist|research engineer|applied scientist", "research"),
    ("data scientist|data engineer|analytics|data analyst", "data"),
    ("product manager|program manager", "product"),
    ("designer|design", "design"),
    ("engineer|developer|software", "engineering"),
    ("marketing|communications|publicity|events", "marketing"),
    ("sales|account executive|account manager|partnership|business development", "sales"),
    ("producer|production|artist|writer|editor|vfx|animation", "creative"),
    ("finance|legal|counsel|accountant|recruiter|audit|fp&a|tax|compliance|policy", "corporate"),
    ("operations|support|assistant|warehouse|security|logistics|customer", "operations"),
    ("operator|fitter|quality|technicien", "other"),
]
_BASELINE = [(re.compile(rf"\b(?:{k})", re.I), v) for k, v in _BASELINE_TABLE]
_BASELINE_AI = re.compile(r"\b(?:ai|ml|machine learning|llm|genai)\b", re.I)
_BASELINE_SEN = [(re.compile(rf"\b(?:{k})\b", re.I), v) for k, v in [
    ("intern", "intern"), ("vp|vice president", "executive"), ("director|head of", "director"),
    ("manager", "manager"), ("staff|principal|lead", "staff"), ("senior|sr", "senior"),
    ("junior|associate|coordinator", "entry")]]


def baseline_classify(title: str, department: str | None = None) -> dict[str, Any]:
    role = next((v for rx, v in _BASELINE if rx.search(title or "")), "other")
    sen = next((v for rx, v in _BASELINE_SEN if rx.search(title or "")), "unknown")
    return {"role_type": role, "ai_related": bool(_BASELINE_AI.search(title or "")), "seniority": sen}


# ---- scoring ------------------------------------------------------------------------------------------
def _field(pred: Any, name: str) -> Any:
    if pred is None:
        return None
    if isinstance(pred, dict):
        return pred.get(name)
    return getattr(pred, name, None)


def _norm(v: Any) -> str | None:
    return None if v is None else str(v).lower()


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def load_corpus(corpus: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    titles = {}
    with open(corpus / "titles.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                titles[rec["id"]] = rec
    rows = []
    with open(corpus / "dev-labels.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                lab = json.loads(line)
                rows.append((titles[lab["id"]], lab))
    return rows


def score(fn: Callable[..., Any], rows: list, reps: int = 1) -> dict[str, Any]:
    preds: list[Any] = []
    start = time.perf_counter()
    for rep in range(max(1, reps)):
        clear = getattr(fn, "cache_clear", None)
        if clear is not None:
            clear()  # time real classification, not cache hits
        out = []
        for rec, _ in rows:
            try:
                out.append(fn(rec["title"], rec["department"]))
            except Exception as exc:  # counts as wrong
                out.append(exc)
        if rep == 0:
            preds = out
    elapsed = time.perf_counter() - start
    n = len(rows)
    role_ok = sen_ok = 0
    classes = sorted({_norm(lab["role_type"]) for _, lab in rows})
    tp, fp, fn_ = Counter(), Counter(), Counter()
    ai_tp = ai_fp = ai_fn = 0
    errors = []
    for (rec, lab), pred in zip(rows, preds):
        bad = isinstance(pred, Exception)
        g_role, g_ai, g_sen = _norm(lab["role_type"]), bool(lab["ai_related"]), _norm(lab["seniority"])
        p_role = None if bad else _norm(_field(pred, "role_type"))
        p_ai_raw = None if bad else _field(pred, "ai_related")
        p_sen = None if bad else _norm(_field(pred, "seniority"))
        if p_role == g_role:
            role_ok += 1
            tp[g_role] += 1
        else:
            fn_[g_role] += 1
            if p_role is not None:
                fp[p_role] += 1
        if p_sen == g_sen:
            sen_ok += 1
        p_ai = p_ai_raw if isinstance(p_ai_raw, bool) else None
        if g_ai and p_ai is True:
            ai_tp += 1
        elif g_ai:
            ai_fn += 1
        elif p_ai is True:
            ai_fp += 1
        elif p_ai is None:
            pass  # missing value on a negative: neither TP nor FP, but we do not reward it either
        if p_role != g_role or p_ai != g_ai or p_sen != g_sen:
            errors.append((rec, lab, pred, p_role, p_ai, p_sen))
    per_class = {c: _prf(tp[c], fp[c], fn_[c]) for c in classes}
    ai_p, ai_r, ai_f = _prf(ai_tp, ai_fp, ai_fn)
    return {
        "n": n,
        "role_acc": role_ok / n if n else 0.0,
        "role_macro_f1": sum(f for _, _, f in per_class.values()) / len(per_class) if per_class else 0.0,
        "per_class": per_class,
        "support": Counter(_norm(lab["role_type"]) for _, lab in rows),
        "ai_p": ai_p, "ai_r": ai_r, "ai_f1": ai_f,
        "seniority_acc": sen_ok / n if n else 0.0,
        "titles_per_s": n * max(1, reps) / elapsed if elapsed > 0 else float("inf"),
        "errors": errors,
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_corpus = os.environ.get("PAYWATCH_ROLE_CORPUS") or str(REPO_ROOT.parent / "shared" / "role-corpus")
    ap.add_argument("--corpus", default=default_corpus, help="dir with titles.jsonl and dev-labels.jsonl")
    ap.add_argument("--errors", type=int, default=0, metavar="N", help="list the first N mistakes")
    ap.add_argument("--reps", type=int, default=1, metavar="N", help="repeat the run N times for timing")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = ap.parse_args(argv)

    rows = load_corpus(Path(args.corpus))
    ours = score(classify_role, rows, args.reps)
    base = score(baseline_classify, rows, args.reps)

    print(f"corpus: {args.corpus}  ({ours['n']} labeled titles, reps={args.reps})")
    print()
    print(f"{'class':<12} {'n':>4}   {'P':>6} {'R':>6} {'F1':>6}   | baseline F1")
    for c in sorted(ours["per_class"], key=lambda c: -ours["support"][c]):
        p, r, f = ours["per_class"][c]
        print(f"{c:<12} {ours['support'][c]:>4}   {_pct(p):>6} {_pct(r):>6} {_pct(f):>6}   | {_pct(base['per_class'][c][2]):>6}")
    print()
    print(f"{'metric':<16} {'ours':>9} {'baseline':>9} {'target':>8}")
    for key, label in [("role_acc", "role accuracy"), ("role_macro_f1", "role macro-F1"),
                       ("ai_p", "ai precision"), ("ai_r", "ai recall"), ("ai_f1", "ai F1"),
                       ("seniority_acc", "seniority acc")]:
        tgt = _pct(TARGETS[key]) if key in TARGETS else ""
        print(f"{label:<16} {_pct(ours[key]):>9} {_pct(base[key]):>9} {tgt:>8}")
    print(f"{'titles/s':<16} {ours['titles_per_s']:>9.0f} {base['titles_per_s']:>9.0f}")

    if args.errors:
        print()
        print(f"first {args.errors} of {len(ours['errors'])} mistakes (gold -> predicted):")
        for rec, lab, pred, p_role, p_ai, p_sen in ours["errors"][: args.errors]:
            parts = []
            if p_role != lab["role_type"]:
                parts.append(f"role {lab['role_type']}->{p_role}")
            if p_ai != lab["ai_related"]:
                parts.append(f"ai {lab['ai_related']}->{p_ai}")
            if p_sen != lab["seniority"]:
                parts.append(f"sen {lab['seniority']}->{p_sen}")
            rule = _field(pred, "matched_rule") if not isinstance(pred, Exception) else repr(pred)
            print(f"  {rec['id']}  {rec['title']!r}  dept={rec['department']!r}  {'; '.join(parts)}  [{rule}]")

    print()
    print(f"role_acc={_pct(ours['role_acc'])} role_macro_f1={_pct(ours['role_macro_f1'])} "
          f"ai_f1={_pct(ours['ai_f1'])} seniority_acc={_pct(ours['seniority_acc'])}")
    if args.check:
        missed = [k for k, v in TARGETS.items() if ours[k] < v]
        if missed:
            print("targets missed: " + ", ".join(missed), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

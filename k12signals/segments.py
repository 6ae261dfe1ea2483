"""District CBE segments: a stage, a score and the evidence behind them.

`update_segments` recomputes `cbe_stage`, `cbe_score`, `cbe_evidence` and
`segment_updated_at` of every district from its `cbe_language` signals and
CBE roles that are not gone and are dated (`published_at`, else
`first_seen_at`) in the last 365 days. In short:

- A stage is supported by signals of it on two or more pages, on one strong
  page (board minutes or a policy page), or on one page plus a CBE role. A
  retreat is also supported by one page dated after adoption. An adoption
  signal counts for every earlier adoption stage too.
- The district's stage is the stage of the newest signal whose stage is
  supported, else `none`. One weak mention and roles alone give `none`.
- The score combines the weights of the supporting evidence. State policy
  raises or lowers the score of an adoption stage, but never sets the stage.

docs/segments.md states the rules and weights in full.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlite_utils

from k12signals import storage

STAGES = ("none", "exploring", "early", "mature", "retreat")
ADOPTION_STAGES = ("exploring", "early", "mature")

WINDOW_DAYS = 365

# NOTE: the weights, the cap and the state factors below are judgment, not
# fitted to labelled districts.
STRONG_PAGE_WEIGHT = 0.5
WEAK_PAGE_WEIGHT = 0.35
ROLE_WEIGHT = 0.25
PRIOR_ADOPTION_WEIGHT = 0.25
NONE_SCORE_CAP = 0.3
# Share of the remaining confidence (1 - score) that state policy adds, by the
# `states.cbe_friendliness` rating that k12signals.states derives from policy labels.
STRONG_STATE_POLICY_RAISE = 0.35
STATE_POLICY_RAISE = 0.2
STATE_WITHOUT_POLICY_FACTOR = 0.85

# Same-date signals are read in this order, so that on one day a retreat
# outranks adoption and a more advanced stage outranks a less advanced one.
SAME_DATE_ORDER = {"retreat": 0, "mature": 1, "early": 2, "exploring": 3}

POLICY_PATH = re.compile(r"polic(y|ies)", re.IGNORECASE)


@dataclass
class SegmentCounts:
    """Districts per stage after an update, and how many changed stage."""

    by_stage: dict[str, int] = field(default_factory=lambda: {stage: 0 for stage in STAGES})
    changed: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())


@dataclass
class Evidence:
    """One signal as segment evidence."""

    id: str
    kind: str
    label: str | None
    stage: str | None
    title: str | None
    person: str | None
    date: str
    url: str
    quote: str | None
    source_type: str | None
    strong: bool

    @classmethod
    def from_row(cls, row: dict) -> "Evidence":
        return cls(
            id=row["id"],
            kind=row["kind"],
            label=row.get("label"),
            stage=row.get("stage"),
            title=row.get("title"),
            person=row.get("person"),
            date=evidence_date(row),
            url=row["url"],
            quote=row.get("quote"),
            source_type=row.get("source_type"),
            strong=is_strong_page(row.get("source_type"), row["url"]),
        )

    def as_json(self) -> dict:
        record = {
            "signal_id": self.id,
            "kind": self.kind,
            "label": self.label,
            "stage": self.stage,
            "date": self.date,
            "url": self.url,
            "quote": self.quote,
            "source_type": self.source_type,
            "strong_page": self.strong,
        }
        if self.kind == "cbe_role":
            record["title"] = self.title
            record["person"] = self.person
        return record


@dataclass
class StatePolicy:
    """A state's CBE policy as the segment rules use it."""

    code: str | None
    policies: int
    friendliness: str | None
    listed: bool

    @property
    def effect(self) -> str:
        if self.policies > 0:
            return "raised"
        if self.listed:
            return "lowered"
        return "none"

    def adjust(self, score: float) -> float:
        """Raise or lower an adoption stage's score by the state's policy."""
        if self.effect == "raised":
            share = STRONG_STATE_POLICY_RAISE if self.friendliness == "strong" else STATE_POLICY_RAISE
            return score + (1 - score) * share
        if self.effect == "lowered":
            return score * STATE_WITHOUT_POLICY_FACTOR
        return score


@dataclass
class Segment:
    stage: str
    score: float
    evidence: dict[str, Any]


def evidence_date(row: dict) -> str:
    """Return a signal's evidence date (YYYY-MM-DD): its page's `published_at`, else its `first_seen_at`."""
    return (row.get("published_at") or row.get("first_seen_at") or "")[:10]


def is_strong_page(source_type: str | None, url: str) -> bool:
    path = re.sub(r"^[a-z]+://[^/]+", "", url or "", flags=re.IGNORECASE)
    return source_type == "board_minutes" or bool(POLICY_PATH.search(path))


def combined_weight(weights: list[float]) -> float:
    return 1 - math.prod(1 - weight for weight in weights)


def _page_weights(signals: list[Evidence]) -> list[float]:
    """Return one weight per page, so that a page with several signals counts once."""
    weights: dict[str, float] = {}
    for signal in signals:
        weight = STRONG_PAGE_WEIGHT if signal.strong else WEAK_PAGE_WEIGHT
        weights[signal.url] = max(weight, weights.get(signal.url, 0.0))
    return list(weights.values())


def _signals_counting_for(stage: str, language: list[Evidence]) -> list[Evidence]:
    """Select the signals that count for `stage`: its own, and for an adoption stage those of later adoption stages."""
    if stage == "retreat":
        return [signal for signal in language if signal.stage == "retreat"]
    later = ADOPTION_STAGES[ADOPTION_STAGES.index(stage):]
    return [signal for signal in language if signal.stage in later]


def _support(stage: str, newest: Evidence, language: list[Evidence], roles: list[Evidence]) -> str | None:
    """Return the rule that supports `stage` as a short phrase, or None when no rule does."""
    counting = _signals_counting_for(stage, language)
    if len({signal.url for signal in counting}) >= 2:
        return "signals on two or more pages"
    if any(signal.strong for signal in counting):
        return "a signal on board minutes or a policy page"
    if stage in ADOPTION_STAGES and roles:
        return "a signal and a CBE role"
    if stage == "retreat" and any(
        signal.stage in ADOPTION_STAGES and signal.date <= newest.date for signal in language
    ):
        return "a retreat after adoption"
    return None


def decide_segment(language: list[Evidence], roles: list[Evidence], state: StatePolicy, window_start: str) -> Segment:
    """Decide one district's stage and score from its evidence in the window."""
    ordered = sorted(language, key=lambda signal: (signal.date, -SAME_DATE_ORDER.get(signal.stage, 9)), reverse=True)
    roles = sorted(roles, key=lambda role: role.date, reverse=True)
    state_record = {
        "code": state.code,
        "policies": state.policies,
        "friendliness": state.friendliness,
        "effect": "none",
    }

    for newest in ordered:
        if newest.stage not in SAME_DATE_ORDER:
            continue
        rule = _support(newest.stage, newest, ordered, roles)
        if rule is None:
            continue
        stage = newest.stage
        supporting = _signals_counting_for(stage, ordered)
        if stage == "retreat":
            supporting = [signal for signal in supporting if signal.date <= newest.date]
        weights = _page_weights(supporting)
        used = list(supporting)
        if stage in ADOPTION_STAGES:
            weights += [ROLE_WEIGHT] * len(roles)
            used += roles
            score = state.adjust(combined_weight(weights))
            state_record["effect"] = state.effect
        else:
            adoption = [signal for signal in ordered if signal.stage in ADOPTION_STAGES and signal.date <= newest.date]
            if adoption:
                weights.append(PRIOR_ADOPTION_WEIGHT)
                used += adoption
            score = combined_weight(weights)
        return Segment(
            stage=stage,
            score=round(score, 3),
            evidence={
                "stage": stage,
                "rule": rule,
                "window_start": window_start,
                "signals": [signal.as_json() for signal in used],
                "state_policy": state_record,
            },
        )

    everything = ordered + roles
    if not everything:
        rule = "no CBE language or CBE role in the window"
    elif not ordered:
        rule = "CBE roles without CBE language"
    else:
        rule = "one weak mention per stage is not enough"
    score = min(combined_weight(_page_weights(ordered) + [ROLE_WEIGHT] * len(roles)), NONE_SCORE_CAP)
    return Segment(
        stage="none",
        score=round(score, 3),
        evidence={
            "stage": "none",
            "rule": rule,
            "window_start": window_start,
            "signals": [signal.as_json() for signal in everything],
            "state_policy": state_record,
        },
    )


def _state_policies(db: sqlite_utils.Database) -> dict[str, StatePolicy]:
    """Read each state's policy from its `state_policy` signals that are not gone and its `states` row.

    The policy count is the larger of the two sources, because the `states`
    row is only as fresh as the last policy crawl.
    """
    states: dict[str, StatePolicy] = {}
    for row in db.query(
        "SELECT upper(state) AS code, count(*) AS n FROM signals "
        "WHERE kind = 'state_policy' AND gone_at IS NULL AND state IS NOT NULL GROUP BY upper(state)"
    ):
        states[row["code"]] = StatePolicy(row["code"], row["n"], friendliness=None, listed=False)
    for row in db.query("SELECT upper(code) AS code, policy_count, cbe_friendliness FROM states"):
        signals = states[row["code"]].policies if row["code"] in states else 0
        states[row["code"]] = StatePolicy(
            row["code"], max(signals, row["policy_count"] or 0), friendliness=row["cbe_friendliness"], listed=True
        )
    return states


def _as_utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None:
        return now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc)


def _read_evidence(
    db: sqlite_utils.Database, window_start: str
) -> tuple[dict[str, list[Evidence]], dict[str, list[Evidence]]]:
    """Read each district's CBE language and CBE roles that are not gone and dated on or after `window_start`."""
    language: dict[str, list[Evidence]] = defaultdict(list)
    roles: dict[str, list[Evidence]] = defaultdict(list)
    for row in db.query(
        "SELECT * FROM signals WHERE kind IN ('cbe_language', 'cbe_role') "
        "AND gone_at IS NULL AND district_id IS NOT NULL"
    ):
        evidence = Evidence.from_row(row)
        if evidence.date < window_start:
            continue
        if evidence.kind == "cbe_language":
            language[row["district_id"]].append(evidence)
        else:
            roles[row["district_id"]].append(evidence)
    return language, roles


def update_segments(db: sqlite_utils.Database, now: datetime | None = None) -> SegmentCounts:
    """Recompute the stage, score and evidence of every district, in one transaction.

    `now` (default: the current time) sets the end of the 365-day window.
    """
    now = _as_utc(now)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    window_start = (now.date() - timedelta(days=WINDOW_DAYS)).isoformat()
    counts = SegmentCounts()

    with storage.transaction(db):
        language, roles = _read_evidence(db, window_start)
        states = _state_policies(db)
        updates = []
        for district in db.query("SELECT nces_id, state, cbe_stage FROM districts"):
            code = (district["state"] or "").upper() or None
            state = states.get(code) or StatePolicy(code, 0, friendliness=None, listed=False)
            segment = decide_segment(
                language.get(district["nces_id"], []), roles.get(district["nces_id"], []), state, window_start
            )
            counts.by_stage[segment.stage] += 1
            if district["cbe_stage"] != segment.stage:
                counts.changed += 1
            evidence = json.dumps(segment.evidence, sort_keys=True)
            updates.append((segment.stage, segment.score, evidence, stamp, district["nces_id"]))

        # Plain UPDATEs, because sqlite-utils' table.update reads each row before writing it.
        db.conn.executemany(
            "UPDATE districts SET cbe_stage = ?, cbe_score = ?, cbe_evidence = ?, segment_updated_at = ? "
            "WHERE nces_id = ?",
            updates,
        )
    return counts

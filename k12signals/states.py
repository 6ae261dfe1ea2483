"""Summarize each state's CBE policy from its stored `state_policy` signals.

`update_states` writes one row per state to the `states` table:
`policy_count` (the state's current `state_policy` signals, those not marked
gone), `policies` (a JSON list of their distinct labels), `cbe_friendliness`
and `updated_at`.

`cbe_friendliness` is derived from the policy labels only:

- `strong`: at least one policy puts credit, diplomas or graduation on
  competencies (a label that names credit, a diploma or graduation, such as
  "competency-based credit" or "proficiency-based graduation requirements");
- `some`: policies, but none of those: pilots, grants, seat-time waivers,
  networks, frameworks or guidance;
- `none`: no current `state_policy` signal for the state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import sqlite_utils

from k12signals import storage
from k12signals.registry import STATE_CODES

# Labels of policies that award credit, diplomas or graduation on competencies.
CREDIT_POLICY = re.compile(r"credit|diploma|graduat", re.IGNORECASE)

STATE_NAMES = {
    code: " ".join(word if word == "of" else word.capitalize() for word in name.split())
    for name, code in STATE_CODES.items()
    if name != "u.s. virgin islands"
}


def rate_friendliness(labels: Iterable[str]) -> str:
    """Return `strong`, `some` or `none` for a state's current policy labels."""
    labels = [label for label in labels if label]
    if not labels:
        return "none"
    if any(CREDIT_POLICY.search(label) for label in labels):
        return "strong"
    return "some"


def summarize_state(db: sqlite_utils.Database, code: str) -> dict:
    """Build the `states` row of one state from its current `state_policy` signals."""
    rows = db.execute(
        "SELECT label FROM signals WHERE kind = 'state_policy' AND state = ? AND gone_at IS NULL",
        [code],
    ).fetchall()
    labels = sorted({label for (label,) in rows if label})
    return {
        "code": code,
        "name": STATE_NAMES.get(code, code),
        "policy_count": len(rows),
        "policies": json.dumps(labels),
        "cbe_friendliness": rate_friendliness(labels),
    }


def update_states(db: sqlite_utils.Database, codes: Iterable[str] | None = None) -> list[dict]:
    """Write the `states` rows of `codes` in one transaction, and return them.

    Without `codes`, every state that already has a row or has a
    `state_policy` signal is rewritten.
    """
    if codes is None:
        found = {row[0] for row in db.execute("SELECT code FROM states").fetchall()}
        found |= {
            row[0]
            for row in db.execute(
                "SELECT DISTINCT state FROM signals WHERE kind = 'state_policy' AND state IS NOT NULL"
            ).fetchall()
        }
        codes = found
    now = storage.utc_now()
    rows = [{**summarize_state(db, code), "updated_at": now} for code in sorted({c.upper() for c in codes})]
    with storage.transaction(db):
        for row in rows:
            db["states"].upsert(row, pk="code")
    return rows

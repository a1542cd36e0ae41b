"""Auto-replies, out-of-office messages and delivery failures: not customer questions.

Exports rarely keep headers such as Auto-Submitted or X-Autoreply, so the subject and the body
decide, with the cues in ``pipeline/resources/nlp/autoreply.yaml``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pipeline.errors import ResourceError
from pipeline.nlp import rules

KINDS = ("delivery_failure", "out_of_office", "auto_acknowledgement")
# Only the start of a body is read: an auto-reply is short, and a long customer mail that quotes
# one further down is not one.
BODY_CHARS = 600


@lru_cache(maxsize=1)
def load_rules() -> tuple[rules.Rule, ...]:
    path = f"{rules.PACKAGE_DIR}/autoreply.yaml"
    found = rules.compile_rules("autoreply.yaml", "rules", default_flags=re.IGNORECASE,
                                required=("kind", "where"))
    for rule in found:
        if rule.extra["kind"] not in KINDS:
            raise ResourceError(f"unknown kind '{rule.extra['kind']}'", path=path,
                                where=f"rules/{rule.id}", hint=f"valid kinds: {', '.join(KINDS)}")
        if rule.extra["where"] not in ("subject", "body"):
            raise ResourceError("where must be 'subject' or 'body'", path=path,
                                where=f"rules/{rule.id}")
    return tuple(found)


def classify(subject: str | None, body: str | None) -> tuple[str, str] | None:
    """(kind, rule id) when the message is an automatic one, else None."""
    head = (body or "")[:BODY_CHARS]
    for rule in load_rules():
        text = subject if rule.extra["where"] == "subject" else head
        if text and rule.regex.search(text):
            return rule.extra["kind"], rule.id
    return None

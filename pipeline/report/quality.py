"""Data quality figures that add up: files, then contacts from ingested to analysed, then what
the analysed contacts lack. Every count has one stated base; no absolute path leaves this module.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePath
from typing import Any

import duckdb
import pandas as pd

from pipeline.errors import ResourceError
from pipeline.resources import package_file, read_yaml

# A reason the reason model gives to contacts without a question (greetings, thanks, empty mails).
NO_QUESTION_REASON = "geen-vraag"
# Anything that looks like a path with folders: only its last part (the file name) is shown.
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][^\s/\\:'\"]+)+[/\\]?")


def file_name(path: str) -> str:
    """'/home/x/export/chat/a.json' -> 'a.json'; 'archive.zip!mail/b.eml' -> 'b.eml'."""
    return PurePath(str(path).replace("\\", "/").split("!")[-1]).name or str(path)


def strip_paths(message: str) -> str:
    """Replace every folder path in an error message by its file name."""
    return _PATH.sub(lambda m: file_name(m.group(0)) if "/" in m.group(0)[1:]
                     or "\\" in m.group(0)[1:] else m.group(0), message or "")


_LOCATION = re.compile(r"\bline (\d+)(?:, column (\d+))?", re.IGNORECASE)
_PHRASES = "pipeline/resources/report/error_phrases.yaml"


def validate_phrases(data: Any, path: str = _PHRASES) -> list[tuple[str, re.Pattern, str]]:
    """[(id, pattern, Dutch explanation)]; every rule's examples must match it."""
    if not isinstance(data, list):
        raise ResourceError("top level must be a list of rules", path=path)
    rules = []
    for i, rule in enumerate(data):
        where = f"rule {i + 1}"
        if not isinstance(rule, dict) or not {"id", "match", "nl", "examples"} <= set(rule):
            raise ResourceError("each rule needs id, match, nl and examples", path=path,
                                where=where)
        try:
            pattern = re.compile(rule["match"], re.IGNORECASE)
        except re.error as exc:
            raise ResourceError(f"invalid pattern: {exc}", path=path, where=where) from exc
        for example in rule["examples"] or []:
            if not pattern.search(example):
                raise ResourceError(f"example does not match: {example!r}", path=path,
                                    where=rule["id"])
        rules.append((rule["id"], pattern, rule["nl"]))
    return rules


@lru_cache(maxsize=1)
def _phrases() -> list[tuple[str, re.Pattern, str]]:
    return validate_phrases(read_yaml(package_file("report", "error_phrases.yaml"), _PHRASES))


def explain_error(message: str, lang: str = "nl") -> str:
    """A reader's error message in Dutch ('regel 5, kolom 86: geen geldige JSON ...');
    English reports and unknown messages keep the message (without folder paths)."""
    message = strip_paths(message)
    if lang != "nl":
        return message
    for _, pattern, dutch in _phrases():
        if pattern.search(message):
            where = _LOCATION.search(message)
            if where:
                place = f"regel {where.group(1)}" + (f", kolom {where.group(2)}"
                                                     if where.group(2) else "")
                return f"{place}: {dutch}"
            return dutch
    return message


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def compute(con: duckdb.DuckDBPyConnection, base: str) -> dict[str, pd.DataFrame]:
    # 'contacts' counts each stored contact once, under the file it was first read from; the
    # files themselves may report more (a mail thread in an mbox and as .eml, a chat split).
    sources = _df(con, """
        WITH stored AS (SELECT source_id, count(*) AS n FROM contacts GROUP BY 1)
        SELECT s.status, count(*) AS files, coalesce(sum(stored.n), 0) AS contacts,
               coalesce(sum(s.n_contacts), 0) AS reported,
               coalesce(sum(s.size_bytes), 0) AS size_bytes
        FROM sources s LEFT JOIN stored USING (source_id)
        GROUP BY s.status ORDER BY files DESC, s.status""")
    # File names carry personal data (WhatsApp names exports after the phone number): the
    # masked list of pipeline.status, the same as `klantvraag status` shows.
    from pipeline.status import source_errors as masked_source_errors

    source_errors = pd.DataFrame(masked_source_errors(con), columns=["path", "format", "error"])
    source_errors["path"] = [file_name(p) for p in source_errors["path"]]
    source_errors["error"] = [strip_paths(e) for e in source_errors["error"]]
    auto_replies = _df(con, """
        SELECT coalesce(auto_reply_kind, 'unknown') AS kind, count(*) AS contacts
        FROM contact_text t SEMI JOIN contacts c USING (contact_id)
        WHERE t.is_auto_reply GROUP BY 1 ORDER BY contacts DESC, kind""")
    languages = _df(con, f"""
        SELECT language, count(*) AS contacts,
               count(*) / (SELECT greatest(count(*), 1) FROM {base}) AS share
        FROM {base} GROUP BY 1 ORDER BY contacts DESC, language""")
    return {"sources": sources, "source_errors": source_errors, "auto_replies": auto_replies,
            "languages": languages, "quality": measures(con, base)}


def measures(con: duckdb.DuckDBPyConnection, base: str) -> pd.DataFrame:
    """Rows (measure, contacts, share, base): ingested = auto-replies + analysed, shares of
    ingested; then what the analysed contacts lack, shares of analysed."""
    no_question = con.execute(f"""
        SELECT count(*) FROM {base} b LEFT JOIN reasons r ON r.reason_id = b.reason_key
        WHERE lower(b.reason_key) = ? OR lower(r.label) = ?""",
                              [NO_QUESTION_REASON, NO_QUESTION_REASON]).fetchall()[0][0]
    has_no_question_reason = con.execute(
        "SELECT count(*) FROM reasons WHERE lower(reason_id) = ? OR lower(label) = ?",
        [NO_QUESTION_REASON, NO_QUESTION_REASON]).fetchall()[0][0] > 0
    frame = _df(con, f"""
        WITH customer AS (
            SELECT DISTINCT contact_id FROM messages
            WHERE role = 'customer' AND trim(text) <> '')
        SELECT
            (SELECT count(*) FROM contacts) AS q_contacts_total,
            (SELECT count(*) FROM contact_text t SEMI JOIN contacts c USING (contact_id)
             WHERE t.is_auto_reply) AS q_auto_replies,
            count(*) AS q_analysed,
            count(*) FILTER (WHERE b.contact_id NOT IN (SELECT contact_id FROM customer))
                AS q_no_customer_text,
            count(*) FILTER (WHERE NOT has_text) AS q_no_text,
            count(*) FILTER (WHERE has_text AND NOT has_question) AS q_no_question,
            count(*) FILTER (WHERE reason_key = '_unassigned') AS q_no_reason,
            count(*) FILTER (WHERE NOT is_tagged) AS q_no_tags,
            count(*) FILTER (WHERE avoidable_unsure) AS q_unsure,
            count(*) FILTER (WHERE started_at IS NULL) AS q_no_date
        FROM {base} b""")
    row = frame.iloc[0].to_dict()
    if has_no_question_reason:
        row["q_geen_vraag"] = no_question
    total, analysed = max(int(row["q_contacts_total"]), 1), max(int(row["q_analysed"]), 1)
    out = pd.DataFrame({"measure": list(row), "contacts": [int(v) for v in row.values()]})
    top = {"q_contacts_total", "q_auto_replies", "q_analysed"}
    out["base"] = ["ingested" if m in top else "analysed" for m in out["measure"]]
    out["share"] = out["contacts"] / [total if b == "ingested" else analysed for b in out["base"]]
    return out

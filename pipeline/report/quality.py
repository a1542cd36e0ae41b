"""Data quality figures that add up: files, then contacts from ingested to analysed, then what
the analysed contacts lack. Every count has one stated base; no absolute path leaves this module.
"""

from __future__ import annotations

import re
from pathlib import PurePath

import duckdb
import pandas as pd

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


def _df(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def compute(con: duckdb.DuckDBPyConnection, base: str) -> dict[str, pd.DataFrame]:
    sources = _df(con, """
        SELECT status, count(*) AS files, coalesce(sum(n_contacts), 0) AS contacts,
               coalesce(sum(size_bytes), 0) AS size_bytes
        FROM sources GROUP BY status ORDER BY files DESC, status""")
    source_errors = _df(con, """
        SELECT path, coalesce(format, '') AS format, coalesce(error, '') AS error
        FROM sources WHERE status = 'error' ORDER BY path""")
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
            count(*) FILTER (WHERE has_text AND coalesce(question_text, '') = '') AS q_no_question,
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

"""E-mail threading: mails (from any number of files) -> contacts, joined with what the store knows.

Pure: the caller passes what the store already knows as two dicts, so this works without a
database. A contact's id is derived from its thread root's Message-ID, so a reply ingested in a
later run (or from a later export) joins the contact its root started.
"""

from __future__ import annotations

from datetime import datetime

from pipeline.ingest.email import Mail
from pipeline.ingest.identity import customer_key, stable_id
from pipeline.ingest.records import Contact, Message

_LATE = datetime.max


def wanted_ids(mails: list[Mail]) -> set[str]:
    """Message-IDs whose contact the store should be asked for."""
    found: set[str] = set()
    for mail in mails:
        found.add(mail.message_id)
        if mail.in_reply_to:
            found.add(mail.in_reply_to)
        found.update(mail.references)
    return found


def thread_key(mail: Mail, salt: str) -> str | None:
    if not mail.subject_key:
        return None
    return f"{mail.subject_key}|{customer_key(salt, mail.customer) or ''}"


def contact_id_for_root(root: str) -> str:
    return stable_id("email", root)


def message_id_for(external_id: str) -> str:
    """A mail's message_id, from its Message-ID: the writer finds stored mails by it."""
    return stable_id("email", external_id)


def thread_mails(mails: list[Mail], salt: str, known_ids: dict[str, str],
                 known_threads: dict[str, str]) -> tuple[list[Contact], list[Message]]:
    """Assign every mail to a contact.

    known_ids: Message-ID -> contact_id for mails already stored; known_threads: thread key
    (normalised subject | customer key) -> contact_id, the subject fallback for replies whose
    headers lost the thread.
    """
    ids = dict(known_ids)
    threads = dict(known_threads)
    contacts: dict[str, Contact] = {}
    messages: list[Message] = []
    order = sorted(mails, key=lambda m: (m.sent_at or _LATE, m.source_id, m.order))
    for mail in order:
        key = thread_key(mail, salt)
        cid, root, how = None, None, "root"
        for ref in (mail.message_id, mail.in_reply_to, *reversed(mail.references)):
            if ref and ref in ids:
                cid, how = ids[ref], "header"
                break
        if cid is None and mail.references:
            root, how = mail.references[0], "references"
        elif cid is None and mail.in_reply_to:
            root, how = mail.in_reply_to, "in_reply_to"
        elif cid is None and mail.had_prefix and key in threads:
            cid, how = threads[key], "subject"
        if cid is None:
            root = root or mail.message_id
            cid = contact_id_for_root(root)
        for ref in (mail.message_id, mail.in_reply_to, *(mail.references[:1])):
            if ref:
                ids.setdefault(ref, cid)
        if key:
            threads[key] = cid
        if cid not in contacts:
            contacts[cid] = Contact(
                contact_id=cid, external_id=root or mail.message_id, channel="email",
                format=mail.format, source_id=mail.source_id, started_at=mail.sent_at, ended_at=mail.sent_at,
                customer_key=customer_key(salt, mail.customer), subject=mail.subject,
                thread_key=key)
        meta = dict(mail.meta)
        meta["threaded_by"] = how
        if mail.to_addrs:
            meta["to_count"] = len(mail.to_addrs)
        messages.append(Message(
            message_id=message_id_for(mail.message_id), contact_id=cid, seq=len(messages),
            role=mail.role, sent_at=mail.sent_at, author=mail.from_name or mail.from_addr,
            text=mail.text, external_id=mail.message_id, meta=meta,
            attachments=mail.attachments, source_id=mail.source_id))
    return list(contacts.values()), messages

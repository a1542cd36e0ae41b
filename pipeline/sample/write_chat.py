"""Write chat contacts in the shapes chat tools export: generic JSON / JSONL / CSV, a Zendesk-like
ticket export, an Intercom-like conversation list, and WhatsApp .txt exports (iOS and Android).

Multi-conversation files are written per month (and split into parts for large exports), so the
export looks like monthly downloads; WhatsApp exports are one file per chat, as the app makes them.
"""

from __future__ import annotations

import csv
import html
import io
import json
import random
from datetime import timezone

from pipeline.sample.compose import Contact, Turn
from pipeline.sample.sink import Sink

JSON_CHUNK = 4000          # conversations per JSON file
LINE_CHUNK = 20000         # conversations per JSONL/CSV file
_ROLE = {"customer": "customer", "agent": "agent", "bot": "bot"}


def _iso(turn_at) -> str:
    return turn_at.isoformat(timespec="seconds")


def _utc(turn_at) -> str:
    return turn_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unix(turn_at) -> int:
    return int(turn_at.timestamp())


def _visible(c: Contact) -> list[Turn]:
    return [t for t in c.turns if t.kind == "text" and t.role != "system"]


def generic_conversation(c: Contact, cid: str) -> dict:
    return {
        "id": cid,
        "started_at": _iso(c.started_at),
        "customer": {"id": c.person.customer_id, "name": c.person.name, "email": c.person.email},
        "messages": [{"from": _ROLE[t.role], "name": t.name, "timestamp": _iso(t.at), "text": t.text}
                     for t in _visible(c)],
    }


class _Batch:
    """Conversations collected for one JSON file (one month, at most JSON_CHUNK)."""

    def __init__(self) -> None:
        self.key = ""
        self.items: list = []
        self.extra: dict = {}
        self.part = 0


class ChatWriter:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.batches: dict[str, _Batch] = {}
        self.streams: dict[str, dict] = {}
        self.whatsapp_names: set[str] = set()

    # -- helpers ------------------------------------------------------------------------------
    def _batch(self, fmt: str, month: str) -> _Batch:
        batch = self.batches.setdefault(fmt, _Batch())
        if batch.key != month or len(batch.items) >= JSON_CHUNK:
            self._flush(fmt)
            batch.part = batch.part + 1 if batch.key == month else 1
            batch.key = month
        return batch

    def _name(self, fmt: str, batch: _Batch, folder: str, stem: str, ext: str) -> str:
        suffix = "" if batch.part == 1 else f"_deel{batch.part}"
        return f"chat/{folder}/{stem}_{batch.key}{suffix}.{ext}"

    def _flush(self, fmt: str) -> None:
        batch = self.batches.get(fmt)
        if not batch or not batch.items:
            return
        if fmt == "chat_json":
            name, doc = self._name(fmt, batch, "json", "gesprekken", "json"), {"conversations": batch.items}
        elif fmt == "zendesk_json":
            users = sorted(batch.extra["users"].values(), key=lambda u: u["id"])
            name, doc = self._name(fmt, batch, "zendesk", "tickets", "json"), {"tickets": batch.items, "users": users}
        else:
            name = self._name(fmt, batch, "intercom", "conversations", "json")
            doc = {"type": "conversation.list", "conversations": batch.items}
        data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
        self.sink.write(name, data, batch.extra.get("at"), "", fmt)
        batch.items, batch.extra = [], {}

    def _stream(self, fmt: str, month: str, folder: str, stem: str, ext: str):
        state = self.streams.get(fmt)
        if state is None or state["month"] != month or state["count"] >= LINE_CHUNK:
            part = state["part"] + 1 if state and state["month"] == month else 1
            if state is not None:
                state["wrapper"].flush()
                state["wrapper"].detach()
                state["handle"].close()
            name = f"chat/{folder}/{stem}_{month}{'' if part == 1 else f'_deel{part}'}.{ext}"
            handle = self.sink.open(name, fmt)
            wrapper = io.TextIOWrapper(handle, encoding="utf-8", newline="")
            if ext == "csv":
                csv.writer(wrapper).writerow(["conversation_id", "timestamp", "sender_type", "sender_name",
                                              "customer_id", "message"])
            state = {"month": month, "part": part, "count": 0, "handle": handle, "wrapper": wrapper, "name": name}
            self.streams[fmt] = state
        state["count"] += 1
        return state["name"], state["wrapper"]

    # -- formats ------------------------------------------------------------------------------
    def add(self, c: Contact, rng: random.Random) -> None:
        month = f"{c.started_at:%Y-%m}"
        fmt = c.format
        if fmt == "chat_json":
            batch = self._batch(fmt, month)
            c.external_id = f"c-{100000 + c.index}"
            batch.items.append(generic_conversation(c, c.external_id))
            batch.extra["at"] = c.started_at
            c.file = self._name(fmt, batch, "json", "gesprekken", "json")
        elif fmt == "chat_jsonl":
            c.external_id = "%08x-%04x-4%03x-a%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                                             rng.getrandbits(12), (rng.getrandbits(24) << 24) | c.index)
            name, out = self._stream(fmt, month, "jsonl", "chats", "jsonl")
            out.write(json.dumps(generic_conversation(c, c.external_id), ensure_ascii=False) + "\n")
            c.file = name
        elif fmt == "chat_csv":
            c.external_id = f"CHT-{c.started_at:%Y%m}-{c.index:06d}"
            name, out = self._stream(fmt, month, "csv", "chatlog", "csv")
            writer = csv.writer(out)
            for t in _visible(c):
                writer.writerow([c.external_id, _iso(t.at), _ROLE[t.role], t.name, c.person.customer_id, t.text])
            c.file = name
        elif fmt == "zendesk_json":
            self._zendesk(c, rng, month)
        elif fmt == "intercom_json":
            self._intercom(c, rng, month)
        else:
            self._whatsapp(c, rng)

    def _zendesk(self, c: Contact, rng: random.Random, month: str) -> None:
        batch = self._batch("zendesk_json", month)
        users = batch.extra.setdefault("users", {})
        requester = 360000000 + int(c.person.customer_id[1:])
        users[requester] = {"id": requester, "name": c.person.name, "email": c.person.email, "role": "end-user"}
        agent_id = 900000 + sum(map(ord, c.agent))
        users[agent_id] = {"id": agent_id, "name": c.agent, "email": f"{c.agent.lower()}@voorbeeldwinkel.nl",
                           "role": "agent"}
        ticket_id = 50000 + c.index
        comments = []
        for n, t in enumerate(c.turns):
            if t.role == "bot" or t.kind == "media":
                continue
            comments.append({"id": ticket_id * 100 + n, "author_id": requester if t.role == "customer" else agent_id,
                             "public": t.role != "system", "created_at": _utc(t.at), "body": t.text})
        batch.items.append({"id": ticket_id, "subject": c.subject, "created_at": _utc(c.started_at),
                            "via": {"channel": rng.choice(("chat", "chat", "web"))}, "requester_id": requester,
                            "comments": comments})
        batch.extra["at"] = c.started_at
        c.external_id = str(ticket_id)
        c.file = self._name("zendesk_json", batch, "zendesk", "tickets", "json")

    def _intercom(self, c: Contact, rng: random.Random, month: str) -> None:
        batch = self._batch("intercom_json", month)
        kinds = {"customer": "user", "agent": "admin", "bot": "bot", "system": "admin"}
        first = next(t for t in c.turns if t.role == "customer")
        parts = []
        for n, t in enumerate(c.turns):
            if t is first or t.kind == "media":
                continue
            author = {"type": kinds[t.role], "name": t.name}
            body = "<p>" + html.escape(t.text).replace("\n", "<br>") + "</p>"
            parts.append({"part_type": "note" if t.role == "system" else "comment", "author": author,
                          "body": body, "created_at": _unix(t.at)})
            if t.role == "bot" and n > 0:  # the bot hands over: an assignment part without a body
                parts.append({"part_type": "assignment", "author": {"type": "bot", "name": t.name},
                              "body": None, "created_at": _unix(t.at) + 1})
        c.external_id = str(215470000000 + c.index)
        batch.items.append({
            "type": "conversation", "id": c.external_id, "created_at": _unix(first.at),
            "source": {"author": {"type": "user", "name": c.person.name, "email": c.person.email},
                       "body": "<p>" + html.escape(first.text).replace("\n", "<br>") + "</p>"},
            "conversation_parts": {"conversation_parts": parts},
        })
        batch.extra["at"] = c.started_at
        c.file = self._name("intercom_json", batch, "intercom", "conversations", "json")

    def _whatsapp(self, c: Contact, rng: random.Random) -> None:
        ios = c.format == "whatsapp_ios"
        digits = c.person.phone_digits
        shown = c.person.name if rng.random() < 0.6 else f"+31 6 {digits[1:5]} {digits[5:]}"
        base = f"WhatsApp-chat met {shown}" if rng.random() < 0.7 else f"WhatsApp Chat met {shown}"
        name, n = f"{base}.txt", 1
        while name in self.whatsapp_names:
            n += 1
            name = f"{base} ({n}).txt"
        self.whatsapp_names.add(name)
        lines = []
        if not ios and rng.random() < 0.6:  # Android's system line has no author
            lines.append(f"{c.turns[0].at:%d-%m-%Y %H:%M} - Berichten en oproepen zijn end-to-end versleuteld. "
                         "Niemand buiten deze chat, zelfs WhatsApp niet, kan ze lezen of beluisteren.")
        for t in c.turns:
            who = shown if t.role == "customer" else "Voorbeeldwinkel Klantenservice"
            text = t.text.replace("\n\n", "\n")
            lines.append(f"[{t.at:%d-%m-%Y %H:%M:%S}] {who}: {text}" if ios else f"{t.at:%d-%m-%Y %H:%M} - {who}: {text}")
        folder = "ios" if ios else "android"
        path = f"chat/whatsapp/{folder}/{name}"
        self.sink.write(path, ("\n".join(lines) + "\n").encode("utf-8"), c.started_at, "", c.format)
        c.external_id = name
        c.file = path

    def close(self) -> None:
        for fmt in sorted(self.batches):
            self._flush(fmt)
        for state in self.streams.values():
            state["wrapper"].flush()
            state["wrapper"].detach()
            state["handle"].close()
        self.streams = {}

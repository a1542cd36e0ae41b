"""Two deliberately broken files, so that ingesting the sample shows how errors are recorded:
a truncated e-mail (cut off inside a base64 attachment, the MIME boundary never closed) and a chat
export whose JSON stops half-way. They are not contacts and are not in the ground truth."""

from __future__ import annotations

from datetime import datetime

from pipeline.sample.plan import TZ
from pipeline.sample.sink import Sink

BROKEN_FILES = {
    "email/eml/2026-09-14_093112_afgebroken.eml": "e-mail afgebroken midden in een base64-bijlage "
                                                   "(MIME-grens nooit gesloten)",
    "chat/json/gesprekken_2026-09_export_afgebroken.json": "chat-export met ongeldige JSON (stopt halverwege)",
}

_EML = """From: "Ria Dekker" <ria.dekker@ziggo.nl>
To: Klantenservice Voorbeeldwinkel <klantenservice@voorbeeldwinkel.nl>
Subject: Kapotte vaatwasser, foto's in de bijlage
Date: Mon, 14 Sep 2026 09:31:12 +0200
Message-ID: <afgebroken.20260914093112@ziggo.nl>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="----=_Part_88412_20260914"

------=_Part_88412_20260914
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Goedemorgen,

De vaatwasser (bestelling VW-2026-4418207) is met een deuk in de zijkant bezorg=
d. Zie de foto's.

Met vriendelijke groet,
Ria Dekker

------=_Part_88412_20260914
Content-Type: image/jpeg; name="IMG_4471.jpg"
Content-Disposition: attachment; filename="IMG_4471.jpg"
Content-Transfer-Encoding: base64

/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a
HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIy
MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAA"""

_JSON = """{"conversations": [{"id": "c-kapot-1", "started_at": "2026-09-03T14:02:11+02:00",
 "customer": {"id": "K999001", "name": "Sem Groen", "email": "sem.groen@gmail.com"},
 "messages": [{"from": "customer", "name": "Sem Groen", "timestamp": "2026-09-03T14:02:11+02:00",
   "text": "hoi, waar blijft mijn pakket?"},
  {"from": "agent", "name": "Kim", "timestamp": "2026-09-03T14:03:40+02:00", "text": "Hoi Sem, ik kijk even mee"""


def write_broken(sink: Sink) -> None:
    at = datetime(2026, 9, 14, 9, 31, 12, tzinfo=TZ)
    eml, chat = BROKEN_FILES
    sink.write(eml, _EML.encode("utf-8"), at, "", "broken")
    sink.write(chat, _JSON.encode("utf-8"), at, "", "broken")

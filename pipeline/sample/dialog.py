"""Turn a composed contact into the turns of its channel: an e-mail thread, a chat, or a phone call.

Quoting, MIME and file shapes are the writers' business; here we decide who says what, when.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from pipeline.sample import text as variation
from pipeline.sample.catalogue import Catalogue
from pipeline.sample.compose import Contact, Pieces, Slots, Turn, written

ORG = "Voorbeeldwinkel"
_DAYPART = re.compile(r"\b([Gg])oede(morgen|middag|navond)\b")


def daypart(text: str, at: datetime) -> str:
    """'Goedemiddag' at 9:00 becomes 'Goedemorgen': greetings follow the clock."""
    part = "morgen" if at.hour < 12 else "middag" if at.hour < 18 else "navond"
    return _DAYPART.sub(lambda m: f"{m.group(1)}oede{part}", text)


def verify(rng: random.Random, cat: Catalogue, slots: Slots) -> tuple[str, str]:
    """An agent's identification question and the customer's matching answer."""
    ask, answer = rng.choice(cat.conversation["agent"]["verify"]).split(" || ")
    return ask, slots.fill(answer)


def _symptom(rng: random.Random, cat: Catalogue, slots: Slots, share: float) -> str:
    if rng.random() >= share:
        return ""
    agent = cat.conversation["agent"]
    pool = rng.choice(("symptom_consult", "symptom_consult", "symptom_callback", "symptom_transfer"))
    return slots.fill(rng.choice(agent[pool]))


def _business_later(at: datetime, rng: random.Random, min_h: float, max_h: float) -> datetime:
    later = at + timedelta(minutes=rng.randrange(int(min_h * 60), int(max_h * 60)))
    if later.hour < 8:
        later = later.replace(hour=8 + rng.randrange(3), minute=rng.randrange(60))
    elif later.hour >= 20:
        later = (later + timedelta(days=1)).replace(hour=8 + rng.randrange(3), minute=rng.randrange(60))
    return later


def email_turns(c: Contact, rng: random.Random, cat: Catalogue, slots: Slots, pieces: Pieces) -> None:
    conv = cat.conversation
    cust, agent = conv["customer"], conv["agent"]
    en = c.language == "en"
    if c.is_auto_reply:
        _auto_reply_turns(c, rng, cat, slots, pieces)
        return
    greeting = rng.choice(cust["greeting_en"] if en else cust["greeting_formal" if c.formal else "greeting_informal"])
    closing = rng.choice(cust["closing_en"] if en else cust["closing_formal" if c.formal else "closing_informal"])
    sign = c.person.first if (not c.formal and rng.random() < 0.6) else c.person.name
    intro = slots.fill(rng.choice(cust["intro"])) + " " if not en and rng.random() < 0.3 else ""
    parts = [greeting] if greeting else []
    parts.append(intro + written(pieces, rng, c.formal, en))
    signature = f"{closing}\n{sign}"
    if rng.random() < 0.3:
        signature += f"\n{c.person.street} {c.person.housenumber}\n{c.person.postcode} {c.person.city}"
        if rng.random() < 0.6:
            signature += f"\nTel. {slots.fill('{phone}')}"
    parts.append(signature)
    if rng.random() < 0.2:
        parts.append(rng.choice(cust["device_signature"]))
    at = c.started_at
    c.turns.append(Turn("customer", "\n\n".join(parts), at, c.person.name))
    if rng.random() < 0.12:
        return  # unanswered mail: happens
    at = _business_later(at, rng, 1, 50)
    c.turns.append(Turn("agent", _agent_mail(c, rng, cat, slots, pieces.answer, en), at, c.agent))
    if rng.random() < 0.38:
        at = _business_later(at, rng, 0.5, 40)
        reply = rng.choice(cust["thanks_reply_en" if en else "thanks_reply"])
        if c.repeat or rng.random() < 0.3:
            reply += " " + rng.choice(cust["chase_en" if en else "chase"])
        close = rng.choice(cust["closing_en"] if en else cust["closing_formal" if c.formal else "closing_informal"])
        c.turns.append(Turn("customer", f"{reply}\n\n{close}\n{sign}", at, c.person.name))
        if rng.random() < 0.5:
            at = _business_later(at, rng, 1, 30)
            follow = slots.fill(rng.choice(agent["symptom_callback"] + agent["symptom_consult"])) if not en else \
                "I have forwarded your question to the right department."
            c.turns.append(Turn("agent", _agent_mail(c, rng, cat, slots, follow, en), at, c.agent))


def _agent_mail(c: Contact, rng: random.Random, cat: Catalogue, slots: Slots, answer: str, en: bool) -> str:
    agent = cat.conversation["agent"]
    if en:
        greeting = slots.fill(rng.choice(agent["greeting_en"]))
        closing = rng.choice(agent["closing_en"])
        body = [greeting, "Thank you for your message.", answer, closing]
    else:
        greeting = slots.fill(rng.choice(agent["greeting_formal" if c.formal else "greeting_informal"]))
        if "heer/mevrouw" in greeting:
            title = "heer/mevrouw" if rng.random() < 0.25 else ("heer" if c.person.gender == "m" else "mevrouw")
            greeting = greeting.replace("heer/mevrouw", title).replace(c.person.last, c.person.surname_cap)
        symptom = _symptom(rng, cat, slots, 0.2)
        thanks = rng.choice(agent["thanks" if c.formal else "thanks_informal"])
        text = " ".join(p for p in (thanks, answer, symptom) if p)
        body = [greeting, text, rng.choice(agent["more" if c.formal else "more_informal"]), rng.choice(agent["closing"])]
    body.append(slots.fill(rng.choice(agent["signature"])))
    if rng.random() < 0.75:
        body.append(rng.choice(agent["disclaimer"]))
    return "\n\n".join(body)


def _auto_reply_turns(c: Contact, rng: random.Random, cat: Catalogue, slots: Slots, pieces: Pieces) -> None:
    auto = cat.conversation["auto_reply"]
    c.turns.append(Turn("agent", _agent_mail(c, rng, cat, slots, pieces.answer, c.language == "en"),
                        c.started_at, c.agent))
    slots.values["subject"] = c.subject
    at = c.started_at + timedelta(seconds=rng.randrange(2, 90))
    if c.extra.get("bounce"):
        c.extra["auto_subject"] = slots.fill(rng.choice(auto["bounce_subject"]))
        c.turns.append(Turn("customer", slots.fill(rng.choice(auto["bounce_body"])), at, "Mail Delivery System"))
    else:
        c.extra["auto_subject"] = slots.fill(rng.choice(auto["subject"]))
        body = slots.fill(rng.choice(auto["body"]))
        c.turns.append(Turn("customer", f"{body}\n\nMet vriendelijke groet,\n{c.person.name}", at, c.person.name))


def chat_turns(c: Contact, rng: random.Random, cat: Catalogue, slots: Slots, pieces: Pieces, whatsapp: bool) -> None:
    conv = cat.conversation
    chat, agent, cust = conv["chat"], conv["agent"], conv["customer"]
    en = c.language == "en"
    at = c.started_at
    name = c.person.name

    def say(role: str, text: str, who: str, kind: str = "text", gap: tuple[int, int] = (15, 120)) -> None:
        nonlocal at
        if c.turns:
            at = at + timedelta(seconds=rng.randrange(*gap))
        c.turns.append(Turn(role, daypart(text, at) if role != "customer" else text, at, who, kind))

    if not whatsapp and rng.random() < 0.65:
        say("bot", rng.choice(chat["bot_welcome_en" if en else "bot_welcome"]), "Vera (bot)")
    body = pieces.body()
    first = written(Pieces(body[0], "", "", "", "", "", "", ""), rng, False, en)
    if not en and rng.random() < 0.3:
        first = rng.choice(("hoi ", "Hallo, ", "goedemiddag, ", "Hey ")) + first[:1].lower() + first[1:]
    say("customer", first, name)
    if c.turns[0].role == "bot":
        say("bot", rng.choice(chat["bot_handover_en" if en else "bot_handover"]), "Vera (bot)", gap=(2, 6))
    agent_name = c.agent if not whatsapp else f"{ORG} Klantenservice"
    say("agent", slots.fill(rng.choice(chat["agent_hello"])) if not en else f"Hi {c.person.first}, this is {c.agent}.",
        agent_name, gap=(30, 400))
    for piece in body[1:]:
        say("customer", written(Pieces(piece, "", "", "", "", "", "", ""), rng, False, en), name, gap=(5, 60))
    if whatsapp and rng.random() < 0.25:
        say("customer", "<Media weggelaten>", name, kind="media", gap=(5, 30))
    if not en and rng.random() < 0.7:
        ask, answer = verify(rng, cat, slots)
        say("agent", ask, agent_name)
        say("customer", answer if not pieces.pii or rng.random() < 0.5 else pieces.pii, name)
    if rng.random() < 0.12 and c.format in ("zendesk_json", "intercom_json"):
        say("system", slots.fill(rng.choice(chat["internal_note"])), c.agent, kind="note", gap=(10, 60))
    symptom = "" if en else _symptom(rng, cat, slots, 0.3)
    if symptom:
        say("agent", symptom, agent_name)
        say("customer", rng.choice(("oke", "Oké, ik wacht wel", "hoe lang duurt dat?", "ok")), name)
    say("agent", pieces.answer, agent_name, gap=(40, 300))
    if not en and rng.random() < 0.5:
        say("agent", rng.choice(agent["more_informal" if rng.random() < 0.6 else "more"]), agent_name, gap=(5, 30))
    say("customer", rng.choice(chat["customer_bye"]) if not en else "thanks!", name)
    if rng.random() < 0.5:
        say("agent", rng.choice(agent["bye_en" if en else "bye"]), agent_name, gap=(5, 40))


def call_turns(c: Contact, rng: random.Random, cat: Catalogue, slots: Slots, pieces: Pieces, asr_style: bool) -> None:
    conv = cat.conversation
    call, agent = conv["call"], conv["agent"]
    en = c.language == "en"
    fillers = call["fillers"]
    script: list[tuple[str, str]] = []
    script.append(("agent", slots.fill(rng.choice(call["agent_open_en" if en else "agent_open"]))))
    if not en:
        opener = slots.fill(rng.choice(call["customer_open"]))
        script.append(("customer", opener + " " + " ".join(pieces.body()[:2])))
        ask, answer = verify(rng, cat, slots)
        script.append(("agent", ask))
        script.append(("customer", answer))
        if rng.random() < 0.5:
            script.append(("agent", "En uw postcode en huisnummer?"))
            script.append(("customer", f"{c.person.postcode} {c.person.housenumber}"))
        for piece in pieces.body()[2:]:
            script.append(("agent", rng.choice(call["backchannel"])))
            script.append(("customer", piece))
        symptom = _symptom(rng, cat, slots, 0.4)
        if symptom:
            script.append(("agent", symptom))
            script.append(("customer", rng.choice(("ja is goed", "oké", "hoe lang gaat dat duren", "ja prima"))))
        script.append(("agent", pieces.answer))
        script.append(("customer", rng.choice(("oké dank u wel", "nou fijn", "ja dat is goed", "oké duidelijk"))))
        script.append(("agent", rng.choice(agent["more"])))
        script.append(("customer", "nee dat was het, dank u wel"))
        script.append(("agent", rng.choice(agent["bye"])))
    else:
        script.append(("customer", f"Hi, this is {c.person.name}. " + " ".join(pieces.body())))
        script.append(("agent", pieces.answer))
        script.append(("customer", "OK, thank you."))
        script.append(("agent", rng.choice(agent["bye_en"])))
    at = c.started_at
    script[0] = ("agent", daypart(script[0][1], at))
    for role, line in script:
        text = variation.asr(line, rng, fillers) if asr_style and not en else line
        c.turns.append(Turn(role, text, at, role))
        at += timedelta(seconds=max(2, len(line.split()) // 2) + rng.randrange(0, 3))

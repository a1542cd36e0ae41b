"""Small, seeded Dutch (and English) customer questions for the reason tests."""

from __future__ import annotations

import random

import pandas as pd

NL = {
    "bezorgd_niet_ontvangen": [
        "mijn pakket is niet bezorgd maar volgens de track en trace wel afgeleverd",
        "pakket niet ontvangen terwijl er staat dat het bezorgd is",
        "de bezorger zegt dat het pakket is afgeleverd maar ik heb niets ontvangen",
        "ik heb mijn pakket niet ontvangen, status zegt bezorgd",
    ],
    "factuur_kopie": [
        "kunt u mij een kopie van de factuur sturen",
        "ik heb een factuur nodig voor mijn administratie",
        "waar kan ik de factuur van mijn bestelling downloaden",
        "graag een kopie factuur van bestelling",
    ],
    "retour_aanmelden": [
        "hoe kan ik mijn bestelling retourneren",
        "ik wil het artikel terugsturen, hoe meld ik een retour aan",
        "retour aanmelden lukt niet op de website",
        "ik wil de stofzuiger retourneren want hij bevalt niet",
    ],
    "wachtwoord": [
        "ik kan niet inloggen, wachtwoord vergeten",
        "wachtwoord resetten werkt niet, ik krijg geen mail",
        "inloggen op mijn account lukt niet meer",
        "hoe wijzig ik mijn wachtwoord van mijn account",
    ],
    "kortingscode": [
        "mijn kortingscode werkt niet bij het afrekenen",
        "de kortingscode wordt niet geaccepteerd",
        "kortingscode ongeldig volgens de website maar hij is nog geldig",
        "ik kreeg een kortingscode maar die doet het niet",
    ],
    "monteur": [
        "de monteur is niet gekomen voor de installatie van de vaatwasser",
        "monteur kwam niet opdagen vandaag, niemand gebeld",
        "we hebben de hele dag gewacht maar de monteur is niet gekomen",
        "afspraak met monteur voor wasmachine installatie niet nagekomen",
    ],
}
EN = {
    "parcel": ["my parcel has not arrived yet", "where is my package, tracking shows nothing",
               "the delivery of my order is late", "my package was never delivered"],
    "refund": ["when do i get my refund for the return", "refund not received after returning",
               "i returned the item but no money back yet", "how long does a refund take"],
    "invoice": ["please send me a copy of my invoice", "i need an invoice for my company",
                "where can i download the invoice", "invoice missing from my order email"],
}
OPENERS = ["", "", "Hallo, ", "Beste [NAAM], ", "Goedemorgen, ", "Hoi, "]
CLOSERS = ["", "", " Met vriendelijke groet, [NAAM]", " Alvast bedankt!", " mvg [NAAM]"]
EXTRA = ["", "", " Bestelling [ORDERNUMMER].", " Het gaat om een koelkast.", " Dit is al de tweede keer.",
         " Graag snel reactie.", " Ik heb al gebeld."]


def questions(n_per_reason: int = 40, seed: int = 0, english: int = 0,
              reasons: dict | None = None) -> pd.DataFrame:
    """A contact_text-like frame: contact_id, language, question_text, question_lemmas, truth."""
    rng = random.Random(seed)
    rows = []
    for language, table, count in (("nl", reasons or NL, n_per_reason), ("en", EN, english)):
        for reason, phrases in table.items():
            for i in range(count):
                text = rng.choice(phrases)
                if rng.random() < 0.15:  # a typo now and then
                    j = rng.randrange(1, len(text) - 2)
                    text = text[:j] + text[j + 1] + text[j] + text[j + 2:]
                if language == "nl":
                    text = rng.choice(OPENERS) + text + "." + rng.choice(EXTRA) + rng.choice(CLOSERS)
                rows.append({"language": language, "question_text": text, "truth": reason})
    rng.shuffle(rows)
    frame = pd.DataFrame(rows)
    frame.insert(0, "contact_id", [f"c{i:05d}" for i in range(len(frame))])
    frame["question_lemmas"] = frame["question_text"].str.lower()
    return frame


def load(con, frame: pd.DataFrame, *, extra_sql: str = "") -> None:
    """Write ``frame`` into contact_text of the test store."""
    data = frame.copy()
    data["is_auto_reply"] = data.get("is_auto_reply", False)
    con.register("synthetic_frame", data)
    con.execute("DELETE FROM contact_text")
    con.execute(
        "INSERT INTO contact_text (contact_id, language, language_confidence, is_auto_reply, "
        "question_text, question_lemmas, input_hash, prepared_at) SELECT contact_id, language, "
        "1.0, is_auto_reply, question_text, question_lemmas, 'h', now() FROM synthetic_frame")
    con.unregister("synthetic_frame")

"""`klantvraag parties`: names in the messages, proposed as an [organisatie] snippet."""

from __future__ import annotations

import tomllib

from pipeline.tagging.discover import Finder, run

MESSAGES = [
    ("customer", "De monteur van Glasnet Montage is niet gekomen. Ik heb al drie keer gebeld."),
    ("customer", "Glasnet Montage zou vandaag komen maar er kwam niemand."),
    ("customer", "Mijn pakket van PostNL is nog steeds niet bezorgd."),
    ("customer", "PostNL zegt dat het bezorgd is, maar ik heb niks."),
    ("agent", "Goedemorgen, u spreekt met Telco Noord, mijn naam is Sanne."),
    ("agent", "Goedemiddag, u spreekt met Telco Noord."),
    ("agent", "Ik verbind u door met de afdeling Facturatie."),
    ("agent", "Ik verbind u door met de afdeling Facturatie, een moment."),
    ("customer", "Stuur het maar naar info@telconoord.nl alstublieft. Essentieel is dat het snel gaat."),
]


def _finder():
    finder = Finder()
    for role, text in MESSAGES:
        finder.add(text, role)
    return finder


def test_finds_parties_departments_and_own_name():
    finder = _finder()
    found = {name: (n, at_cause, kind) for name, n, at_cause, kind in finder.parties(2)}
    assert found["Glasnet Montage"][0] == 2 and found["Glasnet Montage"][2] == "installer"
    assert found["PostNL"][1] >= 1
    assert "Telco Noord" not in found                # the organisation itself
    assert "Essentieel" not in found and "Goedemorgen" not in found
    assert finder.departments.most_common(1)[0] == ("Facturatie", 2)
    assert finder.own_names.most_common(1)[0] == ("Telco Noord", 2)
    assert finder.domains["telconoord"] == 1


def test_run_on_a_database_prints_a_snippet_that_is_valid_toml(con, tmp_path, config):
    import pandas as pd

    from pipeline import store
    path = tmp_path / "k.duckdb"
    db = store.connect(path)
    frame = pd.DataFrame({"message_id": [f"m{i}" for i in range(len(MESSAGES))],
                          "contact_id": [f"c{i}" for i in range(len(MESSAGES))],
                          "seq": 0, "role": [r for r, _ in MESSAGES],
                          "text": [t for _, t in MESSAGES], "source_id": "s"})
    db.register("m", frame)
    db.execute("INSERT INTO messages (message_id, contact_id, seq, role, text, source_id) "
               "SELECT * FROM m")
    db.close()
    summary = run([path], config)[0]
    assert any(row[0] == "Glasnet Montage" for row in summary.rows)
    snippet = next(n for n in summary.notes if "[organisatie]" in n).split(":\n", 1)[1]
    data = tomllib.loads(snippet)
    assert data["organisatie"]["naam"] == "Telco Noord"
    assert "Facturatie" in data["organisatie"]["afdelingen"]
    assert {p["naam"] for p in data["organisatie"]["partijen"]} >= {"Glasnet Montage", "PostNL"}

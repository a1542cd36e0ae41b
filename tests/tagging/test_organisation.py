"""The organisation's own world ([organisatie]): config, matching in the text, party names."""

from __future__ import annotations

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError
from pipeline.tagging import ContactInput, Tagger
from pipeline.tagging.party_types import canonical_type, examples

ORG = """
[organisatie]
naam = "Gemeente Zuiderhaven"
aliassen = ["Zuiderhaven", "KCC Zuiderhaven"]
afdelingen = ["Burgerzaken", "Declaraties"]

[[organisatie.partijen]]
naam = "HVC"
type = "Network Operator"
aliassen = ["hvc afval"]

[[organisatie.partijen]]
naam = "PostNL"
type = "carrier"
aliassen = ["post nl"]

[[organisatie.partijen]]
naam = "Essent"
type = "supplier"

[[organisatie.partijen]]
naam = "GGN"
type = "collection agency"
"""


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    path = tmp_path_factory.mktemp("org") / "klantvraag.toml"
    path.write_text(ORG, encoding="utf-8")
    return load_config(path).organisatie


@pytest.fixture(scope="module")
def org_tagger(tagger, org):
    return Tagger(tagger.ruleset, organisation=org, text_model=tagger.text_model)


def _tag(tagger, question, agent=None):
    return tagger.tag([ContactInput("c1", question, question, agent)])[0]


def test_config_reads_parties_with_type_aliases(org):
    assert org.naam == "Gemeente Zuiderhaven"
    assert [(p.naam, p.type) for p in org.partijen] == [
        ("HVC", "supplier"), ("PostNL", "carrier"), ("Essent", "supplier"), ("GGN", "payment")]
    assert org.afdelingen == ["Burgerzaken", "Declaraties"]


@pytest.mark.parametrize("example", examples())
def test_party_type_examples(example):
    assert canonical_type(example["written"]) == example["type"]


@pytest.mark.parametrize("bad, message", [
    ('[[organisatie.partijen]]\nnaam = "X"\ntype = "koffiezetter"\n', "type 'koffiezetter'"),
    ('[[organisatie.partijen]]\nnaam = "X"\ntype = "carrier"\nalias = ["x"]\n', "onbekende sleutel"),
    ('[[organisatie.partijen]]\ntype = "carrier"\n', "heeft geen naam"),
    ('[organisatie]\nafdelingen = [1, 2]\n', "lijst van namen"),
])
def test_config_errors_name_the_file_and_the_problem(tmp_path, bad, message):
    path = tmp_path / "klantvraag.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as error:
        load_config(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("question, kind, party", [
    ("De HVC-container is al twee weken niet geleegd, ik heb al drie keer gebeld.", "supplier",
     "HVC"),
    ("De postnlbezorger heeft mijn stempas kwijtgeraakt.", "carrier", "PostNL"),
    ("Post NL heeft mijn pas nooit bezorgd.", "carrier", "PostNL"),
    ("Burgerzaken heeft mijn paspoortaanvraag kwijtgeraakt.", "backoffice", "Burgerzaken"),
])
def test_configured_parties_are_found_and_named(org_tagger, question, kind, party):
    result = _tag(org_tagger, question)
    assert (result.third_party_type, result.party) == (kind, party)


def test_a_compound_that_is_an_ordinary_word_is_not_the_party(org_tagger):
    result = _tag(org_tagger, "Dat is essentieel voor mij, kunt u dat nakijken?")
    assert not any(t.party == "Essent" for t in result.third_parties)
    assert not any(e.get("party") == "Essent" for e in result.evidence)


def test_own_name_is_never_a_third_party(org_tagger):
    result = _tag(org_tagger, "Zuiderhaven heeft mijn brief nooit beantwoord.")
    assert result.party not in ("Zuiderhaven", "Gemeente Zuiderhaven")


def test_agent_naming_a_configured_department_gives_the_cause(org_tagger):
    result = _tag(org_tagger, "Ik betaal dubbel voor mijn aanslag, dat klopt toch niet?",
                  agent="U heeft gelijk, dat is bij Declaraties fout verwerkt. Ik corrigeer het.")
    assert (result.third_party_type, result.party) == ("backoffice", "Declaraties")


def test_without_config_nothing_changes(tagger):
    result = _tag(tagger, "Burgerzaken heeft mijn paspoortaanvraag kwijtgeraakt.")
    assert result.party != "Burgerzaken"

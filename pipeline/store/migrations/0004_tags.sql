-- 0004: the tagging stage's output. Every tag keeps the evidence that decided it.
-- Auto-replies (contact_text.is_auto_reply) are not customer questions: they get no rows here.
-- The tables are rewritten as a whole by each `klantvraag tag` run.

CREATE TABLE contact_tags (
    contact_id          VARCHAR PRIMARY KEY,
    avoidable_category  VARCHAR NOT NULL,     -- voorkomen | verschuiven | automatiseren | waardevol
    confidence          DOUBLE NOT NULL,
    third_party_type    VARCHAR,              -- the main third party: carrier | store | supplier | installer | payment | backoffice | NULL (a cause; else one whose process is the subject, see contact_third_parties.kind)
    party               VARCHAR,              -- named party where known: 'PostNL', 'Klarna', ...
    is_repeat           BOOLEAN NOT NULL DEFAULT false,
    repeat_of           VARCHAR,              -- contact_id of the earlier contact
    repeat_gap_days     DOUBLE,
    evidence            JSON                  -- [{"rule": id, "source": question|customer|agent|repeat|reason|symptom|third_party, "span": masked text, "weight": w, ...}]
                                              -- rule 'fallback' first: no signal found, category is the configured default
);

-- Every third-party cause found (zero or more per contact).
CREATE TABLE contact_third_parties (
    contact_id        VARCHAR NOT NULL,
    third_party_type  VARCHAR NOT NULL,
    party             VARCHAR,
    confidence        DOUBLE NOT NULL,
    rule_id           VARCHAR NOT NULL,
    span              VARCHAR,                -- the matched words, PII-masked
    kind              VARCHAR NOT NULL DEFAULT 'cause'  -- cause | involved (the party's process is the subject, e.g. rescheduling)
                                              -- | model (no rule found a party: the text model's type, rule_id 'model', no span)
);

-- Process symptoms seen in agent turns: the contact centre as a pass-through.
CREATE TABLE contact_symptoms (
    contact_id  VARCHAR NOT NULL,
    symptom     VARCHAR NOT NULL,             -- transfer | callback | consultation
    rule_id     VARCHAR NOT NULL,
    span        VARCHAR
);

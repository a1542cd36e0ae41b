-- 0004: the tagging stage's output. Every tag keeps the evidence that decided it.

CREATE TABLE contact_tags (
    contact_id          VARCHAR PRIMARY KEY,
    avoidable_category  VARCHAR NOT NULL,     -- voorkomen | verschuiven | automatiseren | waardevol
    confidence          DOUBLE NOT NULL,
    third_party_type    VARCHAR,              -- the main third-party cause: carrier | store | supplier | installer | payment | backoffice | NULL
    party               VARCHAR,              -- named party where known: 'PostNL', 'Klarna', ...
    is_repeat           BOOLEAN NOT NULL DEFAULT false,
    repeat_of           VARCHAR,              -- contact_id of the earlier contact
    repeat_gap_days     DOUBLE,
    evidence            JSON                  -- [{"rule": id, "source": question|customer|agent|repeat|reason, "span": masked text, "weight": w}]
);

-- Every third-party cause found (zero or more per contact).
CREATE TABLE contact_third_parties (
    contact_id        VARCHAR NOT NULL,
    third_party_type  VARCHAR NOT NULL,
    party             VARCHAR,
    confidence        DOUBLE NOT NULL,
    rule_id           VARCHAR NOT NULL,
    span              VARCHAR                 -- the matched words, PII-masked
);

-- Process symptoms seen in agent turns: the contact centre as a pass-through.
CREATE TABLE contact_symptoms (
    contact_id  VARCHAR NOT NULL,
    symptom     VARCHAR NOT NULL,             -- transfer | callback | consultation
    rule_id     VARCHAR NOT NULL,
    span        VARCHAR
);

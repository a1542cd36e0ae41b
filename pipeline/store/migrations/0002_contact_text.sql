-- 0002: the nlp stage's output. One row per contact; re-prepared only when input_hash changes.

CREATE TABLE contact_text (
    contact_id          VARCHAR PRIMARY KEY,
    language            VARCHAR,              -- ISO 639-1 ('nl', 'en', ...) or 'unknown'
    language_confidence DOUBLE,
    is_auto_reply       BOOLEAN NOT NULL DEFAULT false,
    auto_reply_kind     VARCHAR,              -- out_of_office | delivery_failure | auto_acknowledgement | NULL
    question_text       VARCHAR,              -- the customer's opening turns, cleaned and PII-masked
    customer_text       VARCHAR,              -- every customer turn, cleaned and PII-masked
    agent_text          VARCHAR,              -- every agent turn, cleaned and PII-masked
    bot_text            VARCHAR,              -- every bot turn, cleaned and PII-masked
    question_lemmas     VARCHAR,              -- lemmas of question_text, space-separated, compounds split, stop words out
    pii_counts          JSON,                 -- {"TELEFOON": 2, "IBAN": 1, ...}
    clean_rules         JSON,                 -- {"nl_op_schreef": 1, "signature_block": 1, ...}: which cleaning rules fired
    input_hash          VARCHAR NOT NULL,     -- hash of the contact's messages as prepared
    prepared_at         TIMESTAMP NOT NULL
);

-- 0003: the reasons stage's output, rewritten per run of a model.

CREATE TABLE reasons (
    reason_id        VARCHAR PRIMARY KEY,     -- stable id from the taxonomy, e.g. 'nl-007'
    model_name       VARCHAR NOT NULL,
    model_version    VARCHAR NOT NULL,
    language         VARCHAR NOT NULL,
    label            VARCHAR NOT NULL,        -- readable, e.g. 'pakket niet bezorgd'
    description      VARCHAR,
    keywords         JSON,                    -- list of strings
    examples         JSON,                    -- 3 PII-masked example questions
    size             INTEGER NOT NULL,
    default_category VARCHAR,                 -- voorkomen | verschuiven | automatiseren | waardevol | NULL
    owner            VARCHAR
);

CREATE TABLE contact_reasons (
    contact_id   VARCHAR PRIMARY KEY,
    reason_id    VARCHAR,                     -- NULL: 'overig / niet toegewezen'
    probability  DOUBLE,
    how          VARCHAR NOT NULL,            -- assigned | reduced | seeded | applied | outlier
    model_name   VARCHAR NOT NULL
);

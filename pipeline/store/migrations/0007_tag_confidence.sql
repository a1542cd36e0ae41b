-- 0007: say when unsure, and learn from the analyst.
-- A tag whose calibrated confidence is below the configured threshold is 'onzeker': the best
-- guess stays in avoidable_category / third_party_type, the flag says it must not be counted
-- as certain. Analyst labels are kept apart from what the tagger computes, so they survive a
-- re-run of `tag`, a refit of the reasons and a fresh ingest of the same contacts.

ALTER TABLE contact_tags ADD COLUMN avoidable_unsure BOOLEAN DEFAULT false;
ALTER TABLE contact_tags ADD COLUMN third_party_confidence DOUBLE;
ALTER TABLE contact_tags ADD COLUMN third_party_unsure BOOLEAN DEFAULT false;
ALTER TABLE contact_tags ADD COLUMN decided_by VARCHAR;   -- tagger | analyst

CREATE TABLE analyst_labels (
    contact_id          VARCHAR PRIMARY KEY,
    avoidable_category  VARCHAR,            -- voorkomen | verschuiven | automatiseren | waardevol | NULL (not given)
    third_party_type    VARCHAR,            -- carrier | installer | store | supplier | payment | backoffice | none | NULL
    party               VARCHAR,
    labelled_at         TIMESTAMP NOT NULL,
    source_file         VARCHAR             -- the sheet it was read from (file name only)
);

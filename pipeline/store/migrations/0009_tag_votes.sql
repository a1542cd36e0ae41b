-- 0009: `tag` re-tags only what changed. Each tag row keeps the reason the contact was tagged
-- with and its vote for the run's learned defaults (its best category where its phrase
-- signals are strong, and the reason that vote counts for): the votes of every contact are
-- then a GROUP BY over the rows, so a new month is tagged with them without reading the rest.
ALTER TABLE contact_tags ADD COLUMN tagged_reason_id VARCHAR;
ALTER TABLE contact_tags ADD COLUMN vote VARCHAR;
ALTER TABLE contact_tags ADD COLUMN vote_reason_id VARCHAR;

-- 0005: sub-reasons. Where HDBSCAN found more dense groups of questions than max_reasons
-- allows, Ward's tree is also cut into that many groups; each reason keeps the groups it is
-- made of as sub-reasons (a reason of one group has none). A reason the analyst merged into
-- another is one sub-reason there when it has none of its own. Rewritten with `reasons`.

ALTER TABLE contact_reasons ADD COLUMN sub_reason_id VARCHAR;   -- NULL: the reason has none

CREATE TABLE sub_reasons (
    sub_reason_id  VARCHAR PRIMARY KEY,     -- the reason's id and its rank by size: 'nl-007.2'
    reason_id      VARCHAR NOT NULL,        -- the reason it belongs to (after taxonomy merges)
    model_name     VARCHAR NOT NULL,
    model_version  VARCHAR NOT NULL,
    language       VARCHAR NOT NULL,
    label          VARCHAR NOT NULL,        -- what sets it apart from the reason's other groups
    size           INTEGER NOT NULL
);

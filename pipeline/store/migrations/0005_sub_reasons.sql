-- 0005: sub-reasons. Where the reasons stage merged more dense groups of questions than
-- max_reasons allows, each reason keeps the groups it holds as sub-reasons (the same Ward
-- tree cut finer). Rewritten with `reasons` by each run; a reason without groups has none.

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

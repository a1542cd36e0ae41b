-- 0006: themes above reasons (three levels: thema > reden > subreden). Themes come from the
-- reason model itself (the reason tree or a fit over reason centres), never from a typed list.
-- Rewritten with `reasons`; a theme's size is the sum of its reasons' sizes.

CREATE TABLE themes (
    theme_id       VARCHAR PRIMARY KEY,     -- 'T01', 'T02', ... by size within a model
    model_name     VARCHAR NOT NULL,
    model_version  VARCHAR NOT NULL,
    label          VARCHAR NOT NULL,        -- Dutch, e.g. 'Bezorging'; a user's own name in taxonomy.yaml wins
    size           INTEGER NOT NULL
);

ALTER TABLE reasons ADD COLUMN theme_id VARCHAR;           -- every reason belongs to one theme
ALTER TABLE contact_reasons ADD COLUMN theme_id VARCHAR;   -- copied from the reason, for joins

-- 0001: the frame. Every input file, the contacts and their messages, and run bookkeeping.

CREATE TABLE settings (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- Every input file seen. source_id is the sha256 of the file's bytes, so the same content
-- ingested twice is a duplicate whatever its name. A zip member's path is 'archive.zip!/member'.
CREATE TABLE sources (
    source_id     VARCHAR PRIMARY KEY,      -- sha256 hex of the content
    path          VARCHAR NOT NULL,
    size_bytes    BIGINT NOT NULL,
    format        VARCHAR,                  -- eml, mbox, chat_json, chat_jsonl, chat_csv, whatsapp, transcript_txt, webvtt, srt, stt_json, ...
    status        VARCHAR NOT NULL,         -- ingested | error | superseded
    error         VARCHAR,                  -- what is wrong and where (line, part)
    n_contacts    INTEGER NOT NULL DEFAULT 0,
    n_messages    INTEGER NOT NULL DEFAULT 0,
    first_seen_at TIMESTAMP NOT NULL,
    ingested_at   TIMESTAMP,
    run_id        VARCHAR
);

-- contact_id is derived from content (source system + external id), so re-ingesting changes nothing.
CREATE TABLE contacts (
    contact_id     VARCHAR PRIMARY KEY,
    external_id    VARCHAR NOT NULL,        -- the source's own id: thread root Message-ID, conversation id, transcript file name
    channel        VARCHAR NOT NULL,        -- email | chat | call
    format         VARCHAR NOT NULL,
    source_id      VARCHAR NOT NULL,        -- the file the contact (its first message) came from
    started_at     TIMESTAMP,
    ended_at       TIMESTAMP,
    customer_key   VARCHAR,                 -- salted sha256 of the e-mail address / phone / customer id
    subject        VARCHAR,
    language       VARCHAR,                 -- set by the nlp stage
    n_messages     INTEGER NOT NULL DEFAULT 0,
    meta           JSON,                    -- format-specific extras (ticket tags, queue, speaker inference, ...)
    thread_key     VARCHAR                  -- e-mail: normalised subject | customer_key, the threading fallback
);

CREATE TABLE messages (
    message_id  VARCHAR PRIMARY KEY,        -- stable key derived from content / the source's id
    contact_id  VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,           -- order within the contact, 0-based
    role        VARCHAR NOT NULL,           -- customer | agent | bot | system
    sent_at     TIMESTAMP,
    author      VARCHAR,                    -- display name or speaker label as in the source
    text        VARCHAR NOT NULL,
    source_id   VARCHAR NOT NULL,
    meta        JSON,                       -- e.g. {"role_inferred": true, "evidence": "..."}
    external_id VARCHAR                     -- the source's own id for this message (e-mail Message-ID without <>)
);

CREATE TABLE attachments (
    message_id    VARCHAR NOT NULL,
    filename      VARCHAR,
    content_type  VARCHAR,
    size_bytes    BIGINT
);

CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    command     VARCHAR NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,           -- running | ok | failed
    config      JSON,
    counts      JSON
);

CREATE INDEX messages_contact ON messages (contact_id);
CREATE INDEX contacts_customer ON contacts (customer_key);

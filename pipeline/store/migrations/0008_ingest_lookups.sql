-- 0008: indexes for ingest's lookups. Each window of files asks the store only about its own
-- keys (list_contains(?, column), answered by an ART index scan), so a window costs what it
-- holds, not what the database already holds (the scans made a big export quadratic).
-- message_id and contact_id have their primary-key indexes, messages.contact_id has
-- messages_contact (0001); an e-mail's Message-ID is found through its message_id (derived
-- from it, see pipeline/ingest/thread.py), so messages.external_id needs none.

CREATE INDEX contacts_thread_key ON contacts (thread_key);     -- the subject fallback of threading
CREATE INDEX messages_source ON messages (source_id);          -- a changed file's old messages
CREATE INDEX attachments_message ON attachments (message_id);  -- and their attachments

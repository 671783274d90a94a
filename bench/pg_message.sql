-- One answered message's statements, as the host's PostgreSQL store sends them
-- (Sources/Stores/PostgreSQL), replayed by bench/pg_capacity.sh under pgbench: one pgbench
-- transaction is one message, from the webhook's accept to the reply marked sent.
-- Keep it in step with the store: one block per store call, in the pipeline's order, each
-- statement as the store writes it (same tables, predicates and RETURNING lists; values
-- inlined). When the store's statements change, change the block and nothing else.
--
-- A message from one of the client's own 1,000 senders (conversations: two clients never
-- share one, as one conversation is answered one message at a time), a unique message id.
\set sender 5000000000000000 + :client_id * 1000 + random(0, 999)
\set mid random(1, 9000000000000000000)

-- accept (PostgreSQLStore+Inbox.swift, one event naming one id: no transaction):
-- the person-alias lookup, then the insert.
SELECT alias_id, user_id FROM person_aliases WHERE channel = 'instagram' AND alias_id = ANY(ARRAY[:sender::text]);
INSERT INTO inbox (channel, platform_message_id, account_id, sender_id, event_timestamp_ms,
                   event_json, state, attempts, received_at, updated_at)
VALUES ('instagram', 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE_pgbench_' || :mid, '17841400000000001', :sender::text,
        (extract(epoch from clock_timestamp()) * 1000)::bigint,
        '{"accountID":"17841400000000001","channel":"instagram","content":{"text":{"_0":"bench hello from the load test, ça va? 👋"}},"platformMessageID":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE_pgbench","senderID":"5000000000000000","timestamp":786000000.123}',
        'received', 0, (extract(epoch from clock_timestamp()) * 1000)::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint)
ON CONFLICT (channel, platform_message_id) DO NOTHING
RETURNING id \gset

-- claimHead (PostgreSQLStore+Leases.swift): the conditional claim of the conversation's head.
UPDATE inbox SET state = 'processing', lease_expires_at = (extract(epoch from clock_timestamp()) * 1000)::bigint + 60000,
                 next_attempt_at = NULL, updated_at = (extract(epoch from clock_timestamp()) * 1000)::bigint,
                 unfinished_claims = unfinished_claims + 1, claim_epoch = claim_epoch + 1, lease_owner = 'pgbench'
WHERE id = :id AND (
    state = 'received'
    OR (state = 'failed' AND (next_attempt_at IS NULL OR next_attempt_at <= (extract(epoch from clock_timestamp()) * 1000)::bigint))
    OR (state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= (extract(epoch from clock_timestamp()) * 1000)::bigint)))
  AND NOT EXISTS (
    SELECT 1 FROM inbox earlier
    WHERE earlier.channel = inbox.channel AND earlier.account_id = inbox.account_id
      AND earlier.sender_id = inbox.sender_id AND earlier.state IN ('received', 'failed', 'processing')
      AND (earlier.event_timestamp_ms < inbox.event_timestamp_ms
           OR (earlier.event_timestamp_ms = inbox.event_timestamp_ms AND earlier.id < inbox.id)))
RETURNING id, event_json, state, attempts, next_attempt_at, lease_expires_at, last_error, received_at, updated_at,
          unfinished_claims, claim_epoch, lease_owner;

-- recordReply (PostgreSQLStore+Outbox.swift): one transaction — the fence, the item's state,
-- the parts already there, the reply's one part, the two turns and the history trim.
BEGIN;
SELECT 1 FROM inbox WHERE id = :id AND state = 'processing' AND claim_epoch = 1 FOR NO KEY UPDATE;
SELECT state FROM inbox WHERE id = :id FOR NO KEY UPDATE;
SELECT id, inbox_id, part_index, message_json, state, platform_message_id, last_error FROM outbox WHERE inbox_id = :id ORDER BY part_index;
INSERT INTO outbox (id, inbox_id, part_index, message_json, state, created_at, updated_at)
SELECT part.id, :id, part.n - 1, part.json, 'pending', (extract(epoch from clock_timestamp()) * 1000)::bigint,
       (extract(epoch from clock_timestamp()) * 1000)::bigint
FROM unnest(ARRAY[:id || '.0']::text[], ARRAY['{"text":"You said: bench hello from the load test, ça va? 👋"}']::text[]) WITH ORDINALITY AS part (id, json, n);
INSERT INTO conversation_turns (channel, account_id, user_id, role, text, timestamp_ms)
SELECT 'instagram', '17841400000000001', :sender::text, turn.role, turn.text, turn.at
FROM unnest(ARRAY['user', 'assistant']::text[], ARRAY['bench hello from the load test, ça va? 👋', 'You said: bench hello from the load test, ça va? 👋']::text[],
            ARRAY[(extract(epoch from clock_timestamp()) * 1000)::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint]::bigint[])
     WITH ORDINALITY AS turn (role, text, at, n)
ORDER BY turn.n;
DELETE FROM conversation_turns
WHERE channel = 'instagram' AND account_id = '17841400000000001' AND user_id = :sender::text
  AND id <= (SELECT id FROM conversation_turns
             WHERE channel = 'instagram' AND account_id = '17841400000000001' AND user_id = :sender::text
             ORDER BY id DESC LIMIT 1 OFFSET 200);
COMMIT;

-- markSentAndComplete (PostgreSQLStore+Outbox.swift): one transaction — the fence, the part
-- sent, the item done.
BEGIN;
SELECT 1 FROM inbox WHERE id = :id AND state = 'processing' AND claim_epoch = 1 FOR NO KEY UPDATE;
UPDATE outbox SET state = 'sent', platform_message_id = 'm_bench', updated_at = (extract(epoch from clock_timestamp()) * 1000)::bigint
WHERE id = :id || '.0' AND state = 'pending' RETURNING 1;
UPDATE inbox SET state = 'done', lease_expires_at = NULL, next_attempt_at = NULL,
                 updated_at = (extract(epoch from clock_timestamp()) * 1000)::bigint, unfinished_claims = 0
WHERE id = :id AND state = 'processing' AND (false OR claim_epoch = 1) RETURNING 1;
COMMIT;

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

-- accept (PostgreSQLStore+Accept.swift, a webhook arriving alone with one event naming one
-- id: no transaction): the person-alias lookup by primary key, then the insert.
SELECT user_id FROM person_aliases WHERE channel = 'instagram' AND alias_id = :sender::text;
INSERT INTO inbox (channel, platform_message_id, account_id, sender_id, event_timestamp_ms,
                   event_json, state, attempts, received_at, updated_at)
VALUES ('instagram', 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE_pgbench_' || :mid, '17841400000000001', :sender::text,
        (extract(epoch from clock_timestamp()) * 1000)::bigint,
        '{"accountID":"17841400000000001","channel":"instagram","content":{"text":{"_0":"bench hello from the load test, ça va? 👋"}},"platformMessageID":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE_pgbench","senderID":"5000000000000000","timestamp":786000000.123}',
        'received', 0, (extract(epoch from clock_timestamp()) * 1000)::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint)
ON CONFLICT (channel, platform_message_id) DO NOTHING
RETURNING id \gset

-- claimHead (PostgreSQLStore+Leases.swift): the conditional claim of the conversation's head.
-- (A first claim reads no recorded reply: the pipeline skips that read.)
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

-- the assistant's context (PostgreSQLStore+Identity.swift, +Conversations.swift): the linked
-- profile, if any, and the conversation's history.
SELECT p.id, p.email, p.display_name, p.preferences_json FROM identity_links l JOIN identity_profiles p ON p.id = l.profile_id
WHERE l.channel = 'instagram' AND l.user_id = :sender::text;
SELECT role, text, timestamp_ms FROM conversation_turns
WHERE channel = 'instagram' AND account_id = '17841400000000001' AND user_id = :sender::text
ORDER BY id DESC LIMIT 20;

-- recordReply (PostgreSQLStore+Outbox.swift, recordFirstReply): one statement — the item's row
-- locked under the fence with no part recorded yet, the reply's one part, the history trimmed
-- to leave room for the two turns, the two turns.
WITH item AS (
    SELECT id FROM inbox
    WHERE id = :id AND state = 'processing' AND (false OR claim_epoch = 1)
      AND NOT EXISTS (SELECT 1 FROM outbox WHERE inbox_id = :id)
    FOR NO KEY UPDATE),
parts AS (
    INSERT INTO outbox (id, inbox_id, part_index, message_json, state, created_at, updated_at)
    SELECT part.id, :id, part.n - 1, part.json, 'pending', (extract(epoch from clock_timestamp()) * 1000)::bigint,
           (extract(epoch from clock_timestamp()) * 1000)::bigint
    FROM unnest(ARRAY[:id || '.0']::text[], ARRAY['{"text":"You said: bench hello from the load test, ça va? 👋"}']::text[])
         WITH ORDINALITY AS part (id, json, n)
    WHERE EXISTS (SELECT 1 FROM item)),
trimmed AS (
    DELETE FROM conversation_turns
    WHERE true AND EXISTS (SELECT 1 FROM item)
      AND channel = 'instagram' AND account_id = '17841400000000001' AND user_id = :sender::text
      AND id <= (SELECT id FROM conversation_turns
                 WHERE channel = 'instagram' AND account_id = '17841400000000001' AND user_id = :sender::text
                 ORDER BY id DESC LIMIT 1 OFFSET 198)),
added AS (
    INSERT INTO conversation_turns (channel, account_id, user_id, role, text, timestamp_ms)
    SELECT 'instagram', '17841400000000001', :sender::text, turn.role, turn.text, turn.at
    FROM unnest(ARRAY['user', 'assistant']::text[],
                ARRAY['bench hello from the load test, ça va? 👋', 'You said: bench hello from the load test, ça va? 👋']::text[],
                ARRAY[(extract(epoch from clock_timestamp()) * 1000)::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint]::bigint[])
         WITH ORDINALITY AS turn (role, text, at, n)
    WHERE EXISTS (SELECT 1 FROM item)
    ORDER BY turn.n)
SELECT 1 FROM item;

-- markSentAndComplete (PostgreSQLStore+Outbox.swift): one statement — the item's row locked
-- under the fence, the part sent, the item done.
WITH item AS (
    SELECT id FROM inbox
    WHERE id = :id AND state = 'processing' AND (false OR claim_epoch = 1)
    FOR NO KEY UPDATE),
part AS (
    UPDATE outbox SET state = 'sent', platform_message_id = 'm_bench', updated_at = (extract(epoch from clock_timestamp()) * 1000)::bigint
    WHERE id = :id || '.0' AND state = 'pending' AND EXISTS (SELECT 1 FROM item) RETURNING 1),
done AS (
    UPDATE inbox SET state = 'done', lease_expires_at = NULL, next_attempt_at = NULL,
                     updated_at = (extract(epoch from clock_timestamp()) * 1000)::bigint, unfinished_claims = 0
    WHERE id IN (SELECT id FROM item) AND state = 'processing' AND EXISTS (SELECT 1 FROM part) RETURNING 1)
SELECT 1 FROM done;

-- the conversation's next message (PostgreSQLStore+Leases.swift, openHead), after the reply.
SELECT id, event_json, state, attempts, next_attempt_at, lease_expires_at, last_error, received_at, updated_at,
       unfinished_claims, claim_epoch, lease_owner FROM inbox
WHERE channel = 'instagram' AND account_id = '17841400000000001' AND sender_id = :sender::text
  AND state IN ('received', 'failed', 'processing')
ORDER BY event_timestamp_ms, id LIMIT 1;

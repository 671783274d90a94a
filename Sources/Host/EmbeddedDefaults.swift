/// The configuration used when no file is named and `./channels.yaml` does not exist: the
/// same as the repository's `channels.yaml` (a test keeps the two equal), so `sandra` runs
/// anywhere on embedded defaults.
enum EmbeddedDefaults {
    static let channelsYAML = #"""
# Sandra channel host — the working default configuration.
#
# Every value can come from the environment: ${VAR} must be set, ${VAR:-default} falls
# back to the default when VAR is unset or empty. `sandra check-config` validates this file
# and prints the effective configuration with secrets masked.

server:
  host: ${SANDRA_HOST:-127.0.0.1}
  port: ${SANDRA_PORT:-8080}
  shutdown_timeout_seconds: 10    # in-flight replies get this long to finish on SIGTERM
  # Host names answered besides localhost, IP addresses and admin.public_base_url's (comma-
  # separated; * for any): others get 421 on the portal and the sandbox (against DNS rebinding).
  allowed_hosts: ${SANDRA_ALLOWED_HOSTS:-}
  header_timeout_seconds: 10      # a request's head must arrive within this long (slow or silent clients are cut)
  idle_timeout_seconds: 60        # a connection waiting for its next request, or a body still arriving after its head
  # Open connections per client address (0: no cap). Behind a reverse proxy every client has
  # the proxy's address: raise it to what the proxy may hold open.
  max_connections_per_client: ${SANDRA_MAX_CONNECTIONS_PER_CLIENT:-64}
  degraded_after_seconds: 300     # a channel (or the mailer) whose sends all failed this long is "degraded" in /readyz
  # Sandbox channels accept webhooks signed with a public development secret: on an address
  # other than loopback the host refuses to start with one unless this is true.
  public_sandbox: ${SANDRA_PUBLIC_SANDBOX:-false}

storage:
  path: ${SANDRA_STORAGE_PATH:-./data/sandra.sqlite}   # SQLite, WAL; created with its folder
  max_size_mb: 0                  # 0: no cap; at the cap webhooks answer 503 so Meta delivers again
  retention_days: 30              # answered messages lose their text, history is deleted, after this many days
  postgres:
    # Set: everything is kept in PostgreSQL instead of the file above, so that several hosts
    # can share it (each needs the same admin.secret_key). postgres://user:password@host:5432/db
    url: ${SANDRA_DATABASE_URL:-}
    pool_size: ${SANDRA_DATABASE_POOL_SIZE:-10}

assistant:
  # echo (embedded, deterministic: "You said: …") | openai (any OpenAI-compatible server).
  # A live channel refuses to start with this default echo: set SANDRA_ASSISTANT=openai (or
  # SANDRA_ASSISTANT=echo on purpose).
  type: ${SANDRA_ASSISTANT:-echo}
  base_url: ${OPENAI_BASE_URL:-https://api.openai.com}
  api_key: ${OPENAI_API_KEY:-}
  model: ${OPENAI_MODEL:-gpt-4o-mini}
  vision_model: ${OPENAI_VISION_MODEL:-}    # for messages with photos; empty: the model above
  system_prompt: "You are Sandra, a helpful assistant."
  timeout_seconds: 30
  history_turns: 20
  retry_window_seconds: 180         # assistant down (5xx, 429, refused, timeout): the message waits and is retried this long
  hold_note_after_seconds: 5        # a longer wait gets one "One moment, please" note

transcription:
  # none: voice messages get a friendly "please type" (with the echo assistant, a labelled
  # echo stand-in reports the audio instead) | openai: any OpenAI-compatible
  # /v1/audio/transcriptions server (OpenAI Whisper, whisper.cpp, faster-whisper)
  type: ${SANDRA_TRANSCRIPTION:-none}
  base_url: ${TRANSCRIPTION_BASE_URL:-https://api.openai.com}
  api_key: ${TRANSCRIPTION_API_KEY:-}
  model: ${TRANSCRIPTION_MODEL:-whisper-1}
  language: ${TRANSCRIPTION_LANGUAGE:-}     # an ISO-639-1 hint such as en; empty: detected
  timeout_seconds: 60

pipeline:
  max_concurrent_conversations: 64  # conversations answered at once; one message at a time within each
  send_attempts: 5                  # tries per message part, with backoff and jitter
  max_attempts: 5                   # attempts of one message before it is dead (see `sandra inbox`)
  max_message_age_seconds: 3600     # at start-up, older unanswered messages are expired, not answered
  unauthorized_pause_seconds: 60    # after Meta refuses the token (code 190), sends pause this long
  typing_indicator_delay_ms: 500    # an answer that takes longer shows "typing…" first (Instagram); 0: always
  max_interrupted_claims: 1         # a message in progress when the host died this often is tried again; once more: dead, with an apology

identity:
  # People link their chat accounts to one Sandra profile: `/link name@example.com`, then the
  # 6-digit code from the email. `/whoami`, `/unlink`, `/cancel`, `/resend` work too.
  enabled: ${SANDRA_IDENTITY_ENABLED:-true}
  code_ttl_seconds: 600              # a code is valid this long, and works once
  max_attempts: 5                    # wrong codes that void a code
  max_codes_per_user_per_hour: 5     # per chat identity
  max_codes_per_email_per_hour: 5    # per address, whoever asks: no mail bombing through Sandra
  shared_history: ${SANDRA_SHARED_HISTORY:-false}   # true: a linked person's memory follows them across channels
  email:
    # Empty: the DEVELOPMENT MAILER writes each email (code included) to the log instead of
    # sending it, so the sandbox works without a mail server. Set it for real email:
    # smtp://host:587 (STARTTLS) or smtps://host:465.
    smtp_url: ${SANDRA_SMTP_URL:-}
    username: ${SANDRA_SMTP_USERNAME:-}
    password: ${SANDRA_SMTP_PASSWORD:-}
    from: ${SANDRA_MAIL_FROM:-}        # required with smtp_url: "Sandra <sandra@example.com>"
    starttls: ${SANDRA_SMTP_STARTTLS:-required}   # smtp:// only: required | optional | off
    connect_timeout_seconds: 10
    timeout_seconds: 30
    retry_delay_seconds: 30          # a failed email is sent again after this, then after twice as long, …
    max_send_attempts: 8             # … up to this many sends, then its code is void
    # A host with a live channel refuses to start with the development mailer unless this is
    # true (or identity linking is off): people would be told a code was emailed.
    development_mailer: ${SANDRA_DEVELOPMENT_MAILER:-false}

channels:
  instagram:
    type: instagram
    # auto: live with an access token; without one, the local emulator at /sandbox/instagram/
    # while no channel of this host is live (make run), else off. true: always the sandbox.
    sandbox: ${INSTAGRAM_SANDBOX:-auto}
    # facebook: Instagram API with Facebook Login (a Page token, graph.facebook.com);
    # instagram: Instagram API with Instagram Login (an Instagram User token, graph.instagram.com,
    # refreshed by the host before its 60 days are up). Empty: facebook.
    login: ${INSTAGRAM_LOGIN:-}
    access_token: ${INSTAGRAM_ACCESS_TOKEN:-}
    page_id: ${INSTAGRAM_PAGE_ID:-}                  # Facebook Login: exchange a system-user token for this Page's
    verify_token: ${INSTAGRAM_VERIFY_TOKEN:-}
    app_secret: ${INSTAGRAM_APP_SECRET:-}
    app_id: ${INSTAGRAM_APP_ID:-}                     # the Meta app's id: echoes of its own replies carry it
    appsecret_proof: ${INSTAGRAM_APPSECRET_PROOF:-false}
    api_version: ${INSTAGRAM_API_VERSION:-v27.0}
    graph_api_base_url: ${INSTAGRAM_GRAPH_API_BASE_URL:-}      # empty: the login's host
    max_message_bytes: 1000
    human_agent_tag: ${INSTAGRAM_HUMAN_AGENT_TAG:-false}   # true with Meta's Human Agent permission: replies up to 7 days
    max_body_bytes: 1048576
    # Photos and voice messages are downloaded into memory (never to disk) over HTTPS from
    # Instagram's CDNs (lookaside.fbsbx.com, *.fbcdn.net, *.cdninstagram.com) plus these hosts.
    media_allowed_hosts: ${INSTAGRAM_MEDIA_HOSTS:-}
    media_max_bytes: 26214400         # 25 MB; larger files are refused while they download
    media_timeout_seconds: 30
  whatsapp:
    type: whatsapp
    # auto: live with an access token; without one, the local emulator at /sandbox/whatsapp/
    # while no channel of this host is live (make run), else off. true: always the sandbox.
    sandbox: ${WHATSAPP_SANDBOX:-auto}
    access_token: ${WHATSAPP_ACCESS_TOKEN:-}
    verify_token: ${WHATSAPP_VERIFY_TOKEN:-}
    app_secret: ${WHATSAPP_APP_SECRET:-}
    phone_number_id: ${WHATSAPP_PHONE_NUMBER_ID:-}     # empty: answer every number the webhook delivers
    api_version: ${WHATSAPP_API_VERSION:-v27.0}
    graph_api_base_url: ${WHATSAPP_GRAPH_API_BASE_URL:-https://graph.facebook.com}
    appsecret_proof: ${WHATSAPP_APPSECRET_PROOF:-false}
    max_message_characters: 4096
    # Sent when a reply is due more than 24 hours after the person's last message; the reply
    # follows when they write again. Empty: such replies are not sent.
    reengagement_template: ${WHATSAPP_REENGAGEMENT_TEMPLATE:-}
    reengagement_template_language: ${WHATSAPP_REENGAGEMENT_TEMPLATE_LANGUAGE:-en_US}
    reengagement_template_parameters: ${WHATSAPP_REENGAGEMENT_TEMPLATE_PARAMETERS:-}   # {{1}} | {{2}} | …
    max_body_bytes: 1048576
  messenger:
    type: messenger
    # Facebook Messenger for a Facebook Page. auto: live with a Page access token; without one,
    # the local emulator at /sandbox/messenger/ while no channel of this host is live (make run),
    # else off. true: always the sandbox.
    sandbox: ${MESSENGER_SANDBOX:-auto}
    access_token: ${MESSENGER_PAGE_ACCESS_TOKEN:-}
    page_id: ${MESSENGER_PAGE_ID:-}                   # empty: the Page of the access token (/me)
    verify_token: ${MESSENGER_VERIFY_TOKEN:-}
    app_secret: ${MESSENGER_APP_SECRET:-}
    app_id: ${MESSENGER_APP_ID:-}                     # the Meta app's id: echoes of its own replies carry it
    api_version: ${MESSENGER_API_VERSION:-v27.0}
    graph_api_base_url: ${MESSENGER_GRAPH_API_BASE_URL:-https://graph.facebook.com}
    appsecret_proof: ${MESSENGER_APPSECRET_PROOF:-false}
    max_message_characters: 2000      # longer replies are split, never truncated
    human_agent_tag: ${MESSENGER_HUMAN_AGENT_TAG:-false}   # true with Meta's Human Agent permission: replies up to 7 days
    max_body_bytes: 1048576

handover:
  # A reply from a person of the business (typed in Meta's apps, a helpdesk or the WhatsApp
  # Business app, seen as an echo) pauses Sandra in that conversation this long, counted from
  # that reply; each further reply extends it. Meanwhile the person's messages are kept in the
  # conversation, for the person of the business and for Sandra afterwards, and not answered.
  pause_minutes: ${SANDRA_HANDOVER_PAUSE_MINUTES:-30}
  # What a person writes to ask for a person (whole words, any case, anywhere in the message):
  # Sandra confirms and stays quiet until someone answers or this many minutes pass. The admin
  # portal's Conversations page lists them. []: never.
  request_phrases: [talk to a person, talk to a human, speak to a person, speak to a human, real person, human agent, talk to someone, speak to someone]
  request_pause_minutes: 1440
  # channels: { instagram: { pause_minutes: 60 } }   # a channel's own pause

admin:
  # The admin portal at /admin (Settings → Instagram Channel, status, identity links) and its
  # JSON API at /admin/api. Off until a password is set (at least 12 characters).
  password: ${SANDRA_ADMIN_PASSWORD:-}
  api_token: ${SANDRA_ADMIN_API_TOKEN:-}        # bearer token of /admin/api; empty: the API is off
  # Secrets saved in the portal are encrypted with this 32-byte key (base64 or hex); empty:
  # a key file beside the database, created with mode 0600 on first run.
  secret_key: ${SANDRA_SECRET_KEY:-}
  secret_key_file: ${SANDRA_SECRET_KEY_FILE:-}   # or a file holding the key; empty: secret.key beside the SQLite database
  public_base_url: ${SANDRA_PUBLIC_URL:-}       # https://sandra.example.com: the callback URL shown to paste into Meta; its host is answered
  cookie_secure: true                           # browsers still send Secure cookies to http://localhost
  # Reverse proxies in front of the host (addresses or CIDR blocks, comma-separated): from
  # them the client is read from X-Forwarded-For, so failed logins lock out that client and
  # not the proxy every admin comes through.
  trusted_proxies: ${SANDRA_TRUSTED_PROXIES:-}

"""#
}

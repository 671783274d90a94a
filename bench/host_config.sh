# The configuration of a bench host, sourced by bench/run.sh and bench/pg_capacity.sh.

# host_config <file> <port> <SQLite path> <graph port> [PostgreSQL URL]: writes a host's YAML —
# sandbox off, the echo assistant, the benchmark routes, no identity linking, one Instagram
# channel whose Graph API is the fake one on <graph port> and whose app secret is SECRET
# (bench-app-secret by default); on the PostgreSQL database the URL names when given (with
# PG_SECRET_KEY as the admin key), else on the SQLite file. HOST_EXTRA_CHANNELS is appended.
host_config() {
  local postgres=""
  if [ -n "${5:-}" ]; then
    postgres=$(printf '  postgres:\n    url: "%s"\nadmin:\n  secret_key: "%s"' "$5" "$PG_SECRET_KEY")
  fi
  cat > "$1" <<YAML
server:
  host: 127.0.0.1
  port: $2
  shutdown_timeout_seconds: 2
  benchmark_routes: true
  # The load generators open up to 1,024 connections from one address: no per-client cap.
  max_connections_per_client: 0
storage:
  path: "$3"
$postgres
assistant:
  type: echo
identity:
  enabled: false
channels:
  instagram:
    type: instagram
    sandbox: false
    access_token: bench-access-token
    verify_token: bench-verify-token
    app_secret: ${SECRET:-bench-app-secret}
    graph_api_base_url: http://127.0.0.1:$4
${HOST_EXTRA_CHANNELS:-}
YAML
}

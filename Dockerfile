# Sandra channel host: a release build in the official Swift image, run in a slim Debian
# image with only the runtime libraries. Build and run:
#
#   docker build -t sandra .
#   docker run -d --name sandra -p 127.0.0.1:8080:8080 --env-file sandra.env -v sandra-data:/var/lib/sandra sandra
#
# The container listens on 0.0.0.0:8080 inside; publish it on loopback and put the TLS proxy
# (deploy/Caddyfile) in front. The volume holds the database and the secret key: back it up.

# --- build ---------------------------------------------------------------------------------
FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcmark-gfm-dev libcmark-gfm-extensions-dev libcurl4-openssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a source change does not fetch them again.
COPY Package.swift Package.resolved* ./
RUN swift package resolve
COPY Sources ./Sources
COPY channels.yaml ./
# The Swift runtime is linked in: the runtime image needs no Swift.
RUN swift build -c release --product sandra --static-swift-stdlib \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/sandra" /out/sandra

# --- run -----------------------------------------------------------------------------------
FROM debian:bookworm-slim
# cmark-gfm renders Markdown; libcurl sends the identity-linking emails; ca-certificates for
# HTTPS to Meta and the assistant; tzdata for Foundation's time zones.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcmark-gfm0.29.0.gfm.6 libcmark-gfm-extensions0.29.0.gfm.6 libcurl4 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/sandra --shell /usr/sbin/nologin sandra \
 && install -d -o sandra -g sandra -m 0700 /var/lib/sandra
COPY --from=build /out/sandra /usr/local/bin/sandra
COPY --from=build /src/channels.yaml /etc/sandra/channels.yaml
USER sandra
WORKDIR /var/lib/sandra
ENV SANDRA_CONFIG=/etc/sandra/channels.yaml \
    SANDRA_STORAGE_PATH=/var/lib/sandra/sandra.sqlite \
    SANDRA_HOST=0.0.0.0 \
    SANDRA_PORT=8080
VOLUME ["/var/lib/sandra"]
EXPOSE 8080
# SIGTERM drains in-flight replies within server.shutdown_timeout_seconds; give it that long.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/sandra"]
CMD ["serve"]

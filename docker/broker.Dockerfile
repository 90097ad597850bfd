# tgctl-broker: trades CI jobs' OIDC tokens for short-lived Twingate service keys (docs/broker.md).
# Built from the workspace:
#   docker build -f docker/broker.Dockerfile -t tgctl-broker .
# Run with the config and the API token mounted read-only, the database on a volume:
#   docker run -p 8787:8787 -v /etc/tgctl-broker:/etc/tgctl-broker:ro -v tgctl-broker:/var/lib/tgctl-broker tgctl-broker
# The config's `listen` must be 0.0.0.0:8787 inside a container; TLS ends at a reverse proxy
# or load balancer in front of it (docs/broker.md, "TLS").
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p tgctl-broker

FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/tgctl-broker --create-home tgctl-broker
COPY --from=build /src/target/release/tgctl-broker /usr/local/bin/tgctl-broker
USER tgctl-broker
WORKDIR /var/lib/tgctl-broker
EXPOSE 8787
HEALTHCHECK CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8787 || exit 1"]
ENTRYPOINT ["/usr/local/bin/tgctl-broker", "serve", "--config", "/etc/tgctl-broker/broker.toml"]

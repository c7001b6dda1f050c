# dalal in a container. Build:           docker build -t dalal .
# A paper day on the built-in simulator: docker run --rm dalal
# Market hours with a broker: see "Docker" in README.md (env file, three volumes, the status port).

FROM rust:1-slim-bookworm AS build
WORKDIR /src
# Dependencies in a layer of their own, built against empty stand-ins for the crate's targets: a change in src/
# rebuilds only the crate.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && for bench in feed_decode engine; do echo 'fn main() {}' > "benches/$bench.rs"; done \
 && cargo build --release --locked \
 && rm -rf src benches target/release/.fingerprint/dalal-* target/release/deps/dalal-* \
      target/release/deps/libdalal-* target/release/dalal*
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked && strip target/release/dalal

FROM debian:bookworm-slim
# apt's package caches are cleared in the same layer: they are most of what an install leaves behind.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/cache/debconf/*-old /var/log/apt /var/log/dpkg.log \
 && useradd --system --create-home --home-dir /app --uid 10001 dalal
WORKDIR /app
COPY --from=build /src/target/release/dalal /usr/local/bin/dalal
COPY config ./config
COPY strategies ./strategies
RUN mkdir -p /app/data && chown dalal:dalal /app/data
USER dalal
# JSON logs for log shippers; the status endpoint reachable from outside the container.
ENV DALAL_LOG_FORMAT=json \
    DALAL_STATUS_LISTEN=0.0.0.0:8686
EXPOSE 8686
VOLUME ["/app/config", "/app/strategies", "/app/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["dalal", "health"]
ENTRYPOINT ["dalal"]
CMD ["run"]

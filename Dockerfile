# syntax=docker/dockerfile:1
# The operator image: a static-stdlib release build on the Swift image, stripped, run on Debian slim as a
# non-root user. Multi-architecture with buildx (each platform builds natively or under QEMU emulation):
#   docker buildx build --platform linux/amd64,linux/arm64 \
#       --build-arg GIT_COMMIT="$(git rev-parse --short=12 HEAD)" -t REPO/ecr-pullsecret-operator:TAG --push .
# CI has no container engine: hack/image-check.sh replays this file's build flags, runtime packages, binary
# path and user in a debootstrap root filesystem. It reads the three ARG lines below, so keep them one line each.
ARG SWIFT_BUILD_FLAGS="-c release --static-swift-stdlib --product ecr-pullsecret-operator"
ARG RUNTIME_PACKAGES="libcurl4 libssl3 ca-certificates"

FROM swift:6.3-bookworm AS build
ARG SWIFT_BUILD_FLAGS
# Set by buildx for each platform; the check stops an image whose binary is for another architecture.
ARG TARGETARCH
RUN test -z "$TARGETARCH" || test "$(dpkg --print-architecture)" = "$TARGETARCH"
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
COPY hack/stamp-commit.sh ./hack/
ARG GIT_COMMIT=unknown
# Debug symbols stay out of the image: the binary is stripped (about 61 MB unstripped, 26 MB stripped).
RUN hack/stamp-commit.sh . "$GIT_COMMIT" \
    && swift build $SWIFT_BUILD_FLAGS \
    && install -D "$(swift build $SWIFT_BUILD_FLAGS --show-bin-path)/ecr-pullsecret-operator" \
        /out/ecr-pullsecret-operator \
    && strip --strip-all /out/ecr-pullsecret-operator

FROM debian:bookworm-slim
ARG RUNTIME_PACKAGES
# libcurl (HTTP/2 through libnghttp2) and OpenSSL are linked dynamically; ca-certificates for AWS and the API server.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $RUNTIME_PACKAGES \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ecr-pullsecret-operator /usr/local/bin/ecr-pullsecret-operator
# 65532 is the conventional "nonroot" UID; the chart's securityContext runs as it too.
USER 65532:65532
EXPOSE 8080 8081 9443
ENTRYPOINT ["/usr/local/bin/ecr-pullsecret-operator"]

# syntax=docker/dockerfile:1
# logpulse container image: built on Debian 12 with the same script and packages as a
# developer machine, run on debian:bookworm-slim as an unprivileged user.
#
#   docker build -t logpulse .
#   docker run --rm -p 9273:9273 -v /var/log/nginx:/logs:ro -v logpulse-state:/var/lib/logpulse logpulse
#   podman build --format docker -t logpulse .     (docker format: OCI images drop HEALTHCHECK)
#
# The default configuration (deploy/docker/logpulse.yaml) follows /logs/*.log and serves
# on 0.0.0.0:9273; mount your own at /etc/logpulse/logpulse.yaml to change it. Checkpoints
# go to the /var/lib/logpulse volume, so a new container resumes where the last one stopped.
# tests/integration/test_container.py builds this file with podman and runs the result.

FROM debian:bookworm AS build
WORKDIR /src
# Dependencies in their own layer: changing a source file does not reinstall them.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
# Only the daemon, as one unity build (about half the compile time of a per-file build).
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOGPULSE_TESTS=OFF \
      -DLOGPULSE_UNITY_BUILD=ON \
 && cmake --build /build --target logpulse \
 && strip /build/logpulse \
 && /build/logpulse --version

FROM debian:bookworm-slim
# The shared libraries behind the -dev packages the build links (`apt-cache depends` on
# libre2-dev, libspdlog-dev, libfmt-dev, libyaml-cpp-dev, prometheus-cpp-dev, libsimdjson-dev,
# libsystemd-dev, zlib1g-dev, libssl-dev, libcrypt-dev, libprotobuf-dev, libsnappy-dev);
# Boost.Asio/Beast and CLI11 are header-only. ca-certificates: remote write over https. Keep
# this list in step with scripts/install-deps.sh: the `logpulse --version` below fails on a
# missing one.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libre2-9 libspdlog1.10 libfmt9 libyaml-cpp0.7 libprometheus-cpp-core1.0 \
      libsimdjson14 libsystemd0 zlib1g libssl3 libcrypt1 libprotobuf32 libsnappy1v5 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid so Kubernetes' runAsNonRoot can check it, and a group of the same number
# (useradd --user-group would pick a system gid below 1000); group adm (gid 4), like the
# systemd unit, to read host logs mounted in from a Debian or Ubuntu /var/log.
RUN groupadd --system --gid 10001 logpulse \
 && useradd --system --uid 10001 --gid logpulse --groups adm --no-create-home \
      --home-dir /var/lib/logpulse --shell /usr/sbin/nologin logpulse \
 && install -d -o logpulse -g logpulse -m 0750 /var/lib/logpulse \
 && install -d -m 0755 /etc/logpulse /logs
COPY --from=build /build/logpulse /usr/local/bin/logpulse
COPY deploy/docker/logpulse.yaml /etc/logpulse/logpulse.yaml
# Fails the image build when a runtime library is missing or the default config is invalid.
RUN logpulse --version && logpulse -c /etc/logpulse/logpulse.yaml --check

# The uid alone, no group: Docker, podman and Kubernetes then take the primary group from
# /etc/passwd and the supplementary ones (adm) from /etc/group, while "10001:10001" would
# drop adm. Numeric, so that runAsNonRoot can check it.
USER 10001
WORKDIR /var/lib/logpulse
EXPOSE 9273
VOLUME /var/lib/logpulse
# GET /-/healthy on the address logpulse wrote to its listen file, over https when the
# configuration has web.tls_server_config: logpulse's own client (daemon/health_check.h),
# so the slim image needs no curl, wget or script. It gives up after 4 s, within --timeout.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["logpulse", "-c", "/etc/logpulse/logpulse.yaml", "--healthcheck"]
# logpulse handles SIGTERM itself (final checkpoint, exit 0) and starts no children, so it
# runs as PID 1 without an init.
STOPSIGNAL SIGTERM
ENTRYPOINT ["logpulse"]
CMD ["-c", "/etc/logpulse/logpulse.yaml"]

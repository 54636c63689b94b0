# i2i-serve on Debian 12 (bookworm) with Debian's libtorch and OpenBLAS, a
# non-root user, the trained tiny edit bundle (models/ip2p-tiny) and tiny
# random-weight control and upscale bundles baked in for a smoke run.
#
#   docker build -t i2i-serve:0.1.0 .
#   docker run --rm -p 8080:8080 i2i-serve:0.1.0
#   docker stop -t 45 <container>   # > I2I_DRAIN_TIMEOUT (30 s): jobs finish
#
# No Docker engine runs where this project is developed and tested, so this
# image is not built in CI. To keep it working anyway, every RUN line is a
# command CI runs too: scripts/install-deps.sh, the cmake configure and build
# of scripts/test.sh, and the `i2i mkmodel` that the integration tests use.
# (The edit bundle is the repository's models/ip2p-tiny, as demo.sh serves.)
# See deploy/README.md.
FROM debian:bookworm

ENV DEBIAN_FRONTEND=noninteractive
WORKDIR /src

# Packages first: editing the sources does not re-run apt.
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN ./scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*

# The build stays in /src: the binaries find assets/ and profiles/ there.
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    && cmake --build build -j"$(nproc)" --target i2i i2i-serve \
    && ln -s /src/build/i2i /src/build/i2i-serve /usr/local/bin/ \
    && mkdir -p /opt/i2i/bundles && cp -r /src/models/ip2p-tiny /opt/i2i/bundles/edit \
    && i2i mkmodel control --size tiny --out /opt/i2i/bundles/control \
    && i2i mkmodel upscale --size tiny --out /opt/i2i/bundles/upscale

RUN groupadd --system --gid 10001 i2i \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin i2i
# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001

# Every setting is a flag or an I2I_* variable (i2i-serve --help); point
# I2I_MODELS at a mounted directory of real bundles (one per task) for real
# work, or I2I_BUNDLE at one or more bundle directories.
ENV I2I_MODELS=/opt/i2i/bundles \
    I2I_PROFILES=/src/profiles \
    I2I_ACCESS_LOG=-
EXPOSE 8080
# /healthz answers while the bundle loads and while draining: it says the
# process is alive; readiness (/readyz) is for load balancers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
# SIGTERM drains: /readyz turns 503, running jobs finish, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["i2i-serve", "--listen", "0.0.0.0:8080"]

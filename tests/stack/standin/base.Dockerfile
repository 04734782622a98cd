# Debian 13 from debootstrap (imported by tests/stack/prepare), trusting any extra CAs the host
# trusts: a machine whose HTTPS goes through an inspecting proxy needs them for pip and apt.
FROM lyceum-standin/trixie:rootfs
COPY certs/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV LANG=C.UTF-8

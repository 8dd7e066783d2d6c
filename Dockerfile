# podreach image: built on Debian 12; the runtime image holds only /usr/bin/podreach, the ELF
# interpreter and the shared libraries podreach loads (its ldd closure) — no shell, no package
# manager, nothing else. It needs no CA bundle (every kubeconfig carries its CA) and no
# openssl.cnf (OpenSSL's defaults).
#   docker build -t podreach:0.1.0 . && kind load docker-image podreach:0.1.0 --name cluster1
# A plain `docker build` keeps the build stage as an untagged image (the build cache);
# tests/k8s/image.sh builds the same image and removes it.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      gcc make pkg-config libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev \
      libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev libyaml-dev libssl-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY agent ./agent
COPY netlink ./netlink
RUN make WERROR=1 -j"$(nproc)"
# The runtime root. Every library ldd resolves is copied to the path ldd names (symlinks
# followed), the interpreter included. libgcc_s too: glibc dlopens it to unwind a thread that
# is cancelled or exits early, and libcurl resolves names in a thread. nsswitch.conf: hosts
# from /etc/hosts, then DNS (the kubelet mounts both; glibc 2.36 has files and dns built in).
RUN set -e; mkdir -p /rootfs/usr/bin /rootfs/etc; \
    cp build/podreach /rootfs/usr/bin/podreach; \
    { ldd build/podreach | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; \
      echo /lib/x86_64-linux-gnu/libgcc_s.so.1; } | sort -u | \
    while read -r lib; do mkdir -p "/rootfs${lib%/*}"; cp -L "$lib" "/rootfs$lib"; done; \
    printf 'hosts: files dns\n' >/rootfs/etc/nsswitch.conf; \
    chroot /rootfs /usr/bin/podreach version

FROM scratch
COPY --from=build /rootfs/ /
ENV PATH=/usr/bin
USER 0
ENTRYPOINT ["/usr/bin/podreach"]
CMD ["agent"]

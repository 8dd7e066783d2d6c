# podreach image: built on Debian 12, the same packages the README installs.
#   docker build -t podreach:0.1.0 . && kind load docker-image podreach:0.1.0 --name cluster1
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      gcc make pkg-config libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev \
      libcurl4-openssl-dev libmicrohttpd-dev libjansson-dev libyaml-dev libssl-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY agent ./agent
COPY netlink ./netlink
RUN make WERROR=1 -j"$(nproc)"

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libnl-3-200 libnl-route-3-200 libmnl0 libnftnl11 libcurl4 libmicrohttpd12 libjansson4 libyaml-0-2 libssl3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/podreach /usr/local/bin/podreach
USER 0
ENTRYPOINT ["/usr/local/bin/podreach"]
CMD ["agent"]

#!/usr/bin/env python3
"""tests/fuzz/mkseeds.py — write the committed seed corpus of every fuzz target.

    unshare -n python3 tests/fuzz/mkseeds.py     (as root, with nft, iptables-nft, ip)

route and nft seeds are what a kernel sends: links, addresses and routes (a multipath one
too) and the nftables ruleset of tests/unit/test_nft_live.c, dumped raw in a network
namespace of their own and written in each target's input format (see its header).  The
other targets get hand-written documents.  Run it again after changing an input format.
"""
import os
import random
import socket
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_DUMP = 1, 0x300


def write(target, name, data):
    d = os.path.join(HERE, target, "corpus")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def dump(proto, msg_type, payload):
    """Raw messages of one netlink dump: [(type, body after nlmsghdr)]."""
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
    s.bind((0, 0))
    hdr = struct.pack("=IHHII", 16 + len(payload), msg_type, NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    s.send(hdr + payload)
    out = []
    while True:
        buf = s.recv(1 << 20)
        off = 0
        while off + 16 <= len(buf):
            ln, ty, _fl, _seq, _pid = struct.unpack_from("=IHHII", buf, off)
            if ty in (NLMSG_DONE, NLMSG_ERROR):
                s.close()
                return out
            out.append((ty, buf[off + 16:off + ln]))
            off += (ln + 3) & ~3


def sh(cmd, stdin=None):
    subprocess.run(cmd, shell=True, check=True, input=stdin, text=True)


def route_seeds():
    sh("ip link set lo up && ip link add pr0 type veth peer name pr1 && "
       "ip link add br0 type bridge && ip link set pr1 master br0 && "
       "ip link set pr0 up && ip link set pr1 up && ip link set br0 up && "
       "ip addr add 172.18.0.2/16 dev pr0 && ip addr add 10.244.0.1/32 peer 10.244.0.9 dev br0 && "
       "ip route add 10.245.0.0/24 via 172.18.0.4 dev pr0 proto 152 metric 100 && "
       "ip route add 10.246.0.0/24 nexthop via 172.18.0.5 dev pr0 nexthop via 172.18.0.6 dev pr0 && "
       "ip route add default via 172.18.0.1")
    kinds = {16: 0, 20: 1, 24: 2}            # RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE
    for req, fam in ((18, b"\0" * 16), (22, b"\x02" + b"\0" * 7), (26, b"\x02" + b"\0" * 11)):
        for i, (ty, body) in enumerate(dump(0, req, fam)[:10]):
            write("route", "%d-%d" % (req, i), bytes([kinds.get(ty, 2)]) + body)


NFT = """
table inet kindnet-ipmasq {
  set noMasqV4 { type ipv4_addr; flags interval; elements = { 10.244.0.0/16, 172.18.0.0/16 } }
  chain postrouting {
    type nat hook postrouting priority srcnat - 10; policy accept;
    ct state established,related accept
    fib daddr type local accept
    ip daddr @noMasqV4 accept
    masquerade
  }
}
table inet filt {
  chain pods_fwd {
    type filter hook forward priority 0; policy accept;
    ct state invalid drop
    iifname "veth*" tcp dport { 22, 9000-9999 } counter accept comment "pods"
    ip daddr vmap { 192.168.0.0/16 : drop, 10.99.0.0/16 : jump subc }
    limit rate 10/second log prefix "x" meta mark set 0x4000 goto subc
  }
  chain subc {
    meta mark & 0x4000 == 0x4000 return
    ip saddr != 10.0.0.0/8 reject
  }
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    tcp dport 80 dnat ip to 10.1.2.3:8080
    tcp dport 81 redirect to :8081
  }
  chain raw {
    type filter hook prerouting priority raw; policy accept;
    ip protocol udp ip daddr 10.0.0.1-10.0.0.9 notrack
    ip saddr . tcp dport { 10.0.0.1 . 22 } accept
  }
}
"""
IPT = ("iptables-nft -t nat -N KIND-MASQ-AGENT && "
       "iptables-nft -t nat -A POSTROUTING -m addrtype ! --dst-type LOCAL "
       "-m comment --comment 'kind-masq-agent' -j KIND-MASQ-AGENT && "
       "iptables-nft -t nat -A KIND-MASQ-AGENT -d 10.244.0.0/16 -j RETURN && "
       "iptables-nft -t nat -A KIND-MASQ-AGENT -j MASQUERADE && "
       "iptables-nft -A FORWARD -m conntrack --ctstate INVALID -j DROP && "
       "iptables-nft -A FORWARD -p tcp --dport 9750 -m mark --mark 0x4000/0x4000 -j ACCEPT")
# fuzz_nft.c's msg_types[]: NEWTABLE, NEWCHAIN, NEWSET, NEWSETELEM, NEWRULE, NEWGEN
NFT_INDEX = {0: 0, 3: 1, 9: 2, 12: 3, 6: 4, 15: 5}


def nft_chunk(ty, body):
    msg = ty & 0xff
    return bytes([NFT_INDEX[msg], body[0]]) + struct.pack("<H", len(body) - 4) + body[4:]


def nft_attr_str(t, s):
    v = s.encode() + b"\0"
    return struct.pack("=HH", 4 + len(v), t) + v + b"\0" * (-len(v) % 4)


def nft_seeds():
    sh("nft -f -", NFT)
    sh(IPT)
    msgs = []
    for req in (1, 4, 10):                   # GETTABLE, GETCHAIN, GETSET
        msgs += dump(12, (10 << 8) | req, b"\0\0\0\0")
    sets = [(body[0], body) for ty, body in msgs if ty & 0xff == 9]
    for fam, body in sets:                   # GETSETELEM needs table and set
        attrs, off, tb = body[4:], 0, {}
        while off + 4 <= len(attrs):
            ln, t = struct.unpack_from("=HH", attrs, off)
            tb[t & 0x7fff] = attrs[off + 4:off + ln].rstrip(b"\0").decode("latin-1")
            off += (ln + 3) & ~3
        req = bytes([fam, 0, 0, 0]) + nft_attr_str(1, tb[1]) + nft_attr_str(2, tb[2])
        msgs += dump(12, (10 << 8) | 13, req)
    msgs += dump(12, (10 << 8) | 7, b"\0\0\0\0")
    chunks = [nft_chunk(ty, body) for ty, body in msgs]
    write("nft", "ruleset", b"".join(chunks))
    for i, c in enumerate(chunks):
        write("nft", "msg-%02d" % i, c)


def text_seeds():
    write("cni", "kindnet.conflist",
          b'{"cniVersion":"0.3.1","name":"kindnet","plugins":[{"type":"ptp","ipMasq":false,'
          b'"ipam":{"type":"host-local","dataDir":"/run/cni-ipam-state","routes":'
          b'[{"dst":"0.0.0.0/0"}],"ranges":[[{"subnet":"10.244.1.0/24"}],'
          b'[{"subnet":"fd00:10:244:1::/64"}]]},"mtu":1500},{"type":"portmap",'
          b'"capabilities":{"portMappings":true}}]}')
    write("cni", "bridge.conf", b'{"type":"bridge","ipam":{"type":"host-local","subnet":"10.88.0.0/16"}}')
    write("cni", "calico.conflist", b'{"plugins":[{"type":"calico","ipam":{"type":"calico-ipam"}}]}')
    write("cfg", "check", b"\0".join([b"--cluster", b"cluster2", b"--remote",
                                      b"172.18.0.2=10.244.0.0/24+10.244.9.0/24,172.18.0.3=10.244.1.0/24",
                                      b"--mode=enforce", b"--output", b"json"]))
    write("cfg", "agent", b"\0".join([b"PODREACH_CLUSTER=c1", b"PODREACH_PEERS=172.18.0.3:9750",
                                      b"--listen", b"0.0.0.0:9750", b"--probe",
                                      b"10.244.0.9:5000,http://10.244.0.9:5000/hello",
                                      b"--probe-port", b"22,9750", b"--route-services", b"--verbose", b"--interval", b"5",
                                      b"--timeout=1.5", b"--allow-cidr", b"10.0.0.0/8",
                                      b"KUBERNETES_SERVICE_HOST=10.96.0.1", b"--service-cidr",
                                      b"10.96.0.0/12", b"--pod-cidr", b"10.244.0.0/24"]))
    write("peer", "node", b'{"cluster":"cluster1","node":"c1n1","node_ip":"172.18.0.2",'
                          b'"pod_cidrs":["10.244.0.0/24"],"service_cidr":"10.96.0.0/16",'
                          b'"pod_ips":["10.244.0.9"],"probe_addrs":["10.244.0.9:5000"],'
                          b'"version":"0.1.0"}')
    write("peer", "peers", b'{"peers":[{"address":"172.18.0.3:9750","state":"up"},'
                           b'{"address":"172.18.0.4:9750"}]}')
    write("jscan", "object", b'{"a":[1,"]}",{}],"b":"x\\"y","c":-1.5e3,"d":[true,false,null]}')
    write("jscan", "nested", b"[[[[[]]]]]")
    write("jscan", "string", b'  "a\\\\"  ')
    write("jscan", "two", b"[],[]")
    rnd = random.Random(1)
    for i in range(4):
        write("fw", "random-%d" % i, bytes(rnd.randrange(256) for _ in range(96 + 64 * i)))


def main():
    text_seeds()
    if os.geteuid() != 0:
        sys.exit("mkseeds: route and nft seeds need root in a namespace of its own "
                 "(unshare -n python3 %s)" % sys.argv[0])
    route_seeds()
    nft_seeds()


if __name__ == "__main__":
    main()

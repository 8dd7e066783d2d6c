#!/usr/bin/env python3
"""nft_churn.py NETNS CHANGES SEED -- rewrites a ruleset in NETNS with at least CHANGES rule and
element changes, in commits of about 50 (nft -f), of every kind the agent's nftables view
applies: appends, inserts at the head, adds and inserts at a position, replacements, deletions,
rules with anonymous sets, interval-set elements added and deleted, chains created, renamed,
flushed and deleted, a base chain's policy changed, and tables of other families.  The handles
it needs are read back with `nft -a -j` after each commit.  Prints the number of changes made."""
import json
import random
import subprocess
import sys

NS, TOTAL, SEED = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(SEED)
REGULAR = [f"r{i}" for i in range(8)]


def nft(script):
    subprocess.run(["ip", "netns", "exec", NS, "nft", "-f", "-"], input=script.encode(),
                   check=True)


def handles():
    out = subprocess.run(["ip", "netns", "exec", NS, "nft", "-a", "-j", "list", "table", "ip",
                          "churn"], check=True, capture_output=True).stdout
    by_chain = {}
    for item in json.loads(out)["nftables"]:
        if "rule" in item:
            by_chain.setdefault(item["rule"]["chain"], []).append(item["rule"]["handle"])
    return by_chain


def match():
    return (f"ip daddr 10.{rnd.choice([244, 245, 246])}.{rnd.randrange(4)}.0/24 "
            f"tcp dport {rnd.choice([5000, 9750, 22, 80])}")


def verdict(chain):
    if chain == "pass" and rnd.random() < 0.2:
        return f"jump {rnd.choice(REGULAR)}"
    return rnd.choice(["counter accept", "counter drop", "return", "counter"])


def body(chain):
    if rnd.random() < 0.1:  # an anonymous set, deleted with its rule
        return f"ip daddr {{ 10.244.{rnd.randrange(4)}.9, 10.99.0.{rnd.randrange(9)} }} accept"
    return f"{match()} {verdict(chain)}"


setup = """
table ip churn {
  set blk { type ipv4_addr; flags interval; }
  chain pass { type filter hook forward priority 5; policy accept; }
%s}
table ip6 other { chain c { type filter hook forward priority 0; }; }
table inet side { chain c { type filter hook output priority 0; }; }
""" % "".join(f"  chain {c} {{ }}\n" for c in REGULAR)
nft(setup)
changes, extra, blk = 0, 0, set()
while changes < TOTAL:
    h = handles()
    lines, touched = [], set()
    for _ in range(50):
        chain = rnd.choice(["pass"] + REGULAR)
        live = h.get(chain, [])
        op = rnd.random()
        if op < 0.25 or (not live and op < 0.7):
            lines.append(f"add rule ip churn {chain} {body(chain)}")
        elif op < 0.35:
            lines.append(f"insert rule ip churn {chain} {body(chain)}")
        elif op < 0.45 and live:
            pos = rnd.choice(live)
            kind = rnd.choice(["add", "insert"])
            lines.append(f"{kind} rule ip churn {chain} position {pos} {body(chain)}")
        elif op < 0.7 and live:
            gone = live.pop(rnd.randrange(len(live)))
            lines.append(f"delete rule ip churn {chain} handle {gone}")
        elif op < 0.8 and live:
            lines.append(f"replace rule ip churn {chain} handle {rnd.choice(live)} {body(chain)}")
        else:  # each element at most once a commit
            net = f"10.250.{rnd.randrange(64)}.0/24"
            if net in touched:
                continue
            touched.add(net)
            lines.append(f"{'delete' if net in blk else 'add'} element ip churn blk {{ {net} }}")
            blk ^= {net}
        changes += 1
    nft("\n".join(lines) + "\n")
    extra += 1
    if extra % 40 == 0:  # chains come and go, a policy changes, one chain is flushed
        flushed = rnd.choice(REGULAR)
        changes += len(h.get(flushed, []))
        nft(f"add chain ip churn tmp{extra}\nadd rule ip churn tmp{extra} {match()} drop\n"
            f"flush chain ip churn {flushed}\n"
            f"add chain ip churn pass {{ policy {rnd.choice(['accept', 'drop'])}; }}\n"
            f"add rule ip6 other c counter\nadd rule inet side c counter\n")
        nft(f"rename chain ip churn tmp{extra} gone{extra}\n")
        nft(f"flush chain ip churn gone{extra}\ndelete chain ip churn gone{extra}\n")
        changes += 6
nft("add chain ip churn pass { policy accept; }\n")
print(changes)

#!/usr/bin/env python3
"""tests/bench/kubeproxy.py -- the driver of kubeproxy_bench.sh, run inside the node's namespace.

  kubeproxy.py ruleset SERVICES          prints a kube-proxy-shaped ruleset (nft -f syntax)
  kubeproxy.py churn PID SERVICES N      N endpoint changes, one commit every 100 ms, then the
                                         agent's CPU per change; a drop rule added and deleted
                                         10 times: commit -> /v1/status latency and CPU each

The ruleset is what kube-proxy's iptables mode keeps (written natively, as iptables-nft's
compat matches would be): per service a KUBE-SERVICES rule, a KUBE-SVC chain (masquerade mark
and one rule per endpoint) and per endpoint a KUBE-SEP chain (mark, DNAT); 3 endpoints a
service: 11 rules.  An endpoint change is what kube-proxy's partial sync writes in one commit:
the service's KUBE-SVC chain flushed and refilled, a new KUBE-SEP chain, the old one flushed and
deleted.  CPU is read from /proc/PID/schedstat (nanoseconds on the CPU) and, as a check, from
/proc/PID/stat (utime + stime, clock ticks), less the idle rate measured just before.
"""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")
SETTLE = 3  # seconds after a change: the design before re-read 50,000 rules per commit


def svc_ip(i):
    return f"10.96.{i // 250}.{i % 250 + 1}"


def ep_ip(i, k):
    n = i * 3 + k
    return f"10.244.{64 + n // 250 % 128}.{n % 250 + 1}"


def sep(i, k, gen=0):
    return f"KUBE-SEP-{i}-{k}-{gen}"


def svc_rules(i, eps):
    out = [f"ip saddr != 10.244.0.0/16 ip daddr {svc_ip(i)} tcp dport 80 jump KUBE-MARK-MASQ"]
    for j, (k, gen) in enumerate(eps):
        left = len(eps) - j
        out.append(f"numgen random mod {left} 0 jump {sep(i, k, gen)}" if left > 1 else
                   f"jump {sep(i, k, gen)}")
    return out


def sep_rules(i, k):
    return [f"ip saddr {ep_ip(i, k)} jump KUBE-MARK-MASQ",
            f"meta l4proto tcp dnat to {ep_ip(i, k)}:8080"]


def ruleset(services):
    w = sys.stdout.write
    w("table ip nat {\n"
      "  chain PREROUTING { type nat hook prerouting priority dstnat; policy accept; jump KUBE-SERVICES; }\n"
      "  chain OUTPUT { type nat hook output priority -100; policy accept; jump KUBE-SERVICES; }\n"
      "  chain POSTROUTING { type nat hook postrouting priority srcnat; policy accept; jump KUBE-POSTROUTING; }\n"
      "  chain KUBE-MARK-MASQ { meta mark set mark or 0x4000; }\n"
      "  chain KUBE-POSTROUTING { meta mark & 0x4000 == 0 return; meta mark set mark xor 0x4000; masquerade; }\n"
      "  chain KUBE-NODEPORTS { }\n")
    for i in range(services):
        for k in range(3):
            w(f"  chain {sep(i, k)} {{\n" + "".join(f"    {r}\n" for r in sep_rules(i, k)) + "  }\n")
        w(f"  chain KUBE-SVC-{i} {{\n" +
          "".join(f"    {r}\n" for r in svc_rules(i, [(k, 0) for k in range(3)])) + "  }\n")
    w("  chain KUBE-SERVICES {\n")
    for i in range(services):
        w(f"    ip daddr {svc_ip(i)} tcp dport 80 jump KUBE-SVC-{i}\n")
    w("    fib daddr type local jump KUBE-NODEPORTS\n  }\n}\n")
    w("table ip filter {\n"
      "  chain FORWARD { type filter hook forward priority 0; policy accept; jump KUBE-FORWARD; }\n"
      "  chain KUBE-FORWARD { ct state invalid drop; meta mark & 0x4000 == 0x4000 accept; }\n"
      "}\n")


def nft(script):
    subprocess.run(["nft", "-f", "-"], input=script.encode(), check=True)


def cpu(pid):
    """(nanoseconds on the CPU, clock ticks utime+stime)"""
    with open(f"/proc/{pid}/schedstat") as f:
        ns = int(f.read().split()[0])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return ns, int(fields[11]) + int(fields[12])


def status():
    with urllib.request.urlopen("http://127.0.0.1:9750/v1/status", timeout=10) as r:
        return json.load(r)


def drop_handles():
    return {f["handle"] for f in status()["firewall"] if f["verdict"] == "drop"}


def churn(pid, services, n):
    eps = {i: [(k, 0) for k in range(3)] for i in range(services)}
    gen = 0
    time.sleep(1)
    c0, t0 = cpu(pid), time.monotonic()
    time.sleep(n * 0.1)
    c1, t1 = cpu(pid), time.monotonic()
    idle_ns = (c1[0] - c0[0]) / (t1 - t0)
    drop_rule(pid, idle_ns)
    t1 = time.monotonic()
    c1 = cpu(pid)
    start, next_at = c1, time.monotonic()
    for j in range(n):
        i = (j * 7919) % services
        gen += 1
        k_old, g_old = eps[i][0]
        eps[i] = eps[i][1:] + [(k_old, gen)]
        new = sep(i, k_old, gen)
        script = [f"add chain ip nat {new}"] + [f"add rule ip nat {new} {r}" for r in sep_rules(i, k_old)]
        script += [f"flush chain ip nat KUBE-SVC-{i}"]
        script += [f"add rule ip nat KUBE-SVC-{i} {r}" for r in svc_rules(i, eps[i])]
        script += [f"flush chain ip nat {sep(i, k_old, g_old)}", f"delete chain ip nat {sep(i, k_old, g_old)}"]
        nft("\n".join(script) + "\n")
        next_at += 0.1
        time.sleep(max(0, next_at - time.monotonic()))
    time.sleep(1)
    end, t_end = cpu(pid), time.monotonic()
    busy_ns = (end[0] - start[0]) - idle_ns * (t_end - t1)
    ticks = end[1] - start[1]
    print(f"endpoint changes: {n} commits (about 16 rule changes each) every 100 ms; agent CPU "
          f"{busy_ns / n / 1e6:.3f} ms per change (schedstat, idle {idle_ns / 1e6:.3f} ms/s "
          f"removed); /proc/PID/stat: {ticks * 1000 / TICK / n:.2f} ms per change")



def drop_rule(pid, idle_ns):
    rule = "add rule ip filter KUBE-FORWARD ip daddr 10.244.0.0/24 tcp dport 5000 drop\n"
    lat, cost, nft_s = [], [], []
    for _ in range(10):
        # CPU: the rule added, then SETTLE s without a request (polling costs the agent too)
        before = drop_handles()
        c_a = cpu(pid)
        nft(rule)
        time.sleep(SETTLE)
        c_b = cpu(pid)
        added = drop_handles() - before
        if not added:
            print(f"a drop rule added: not in /v1/status {SETTLE} s later (the agent's log says why)")
            return
        cost.append(((c_b[0] - c_a[0]) - idle_ns * SETTLE) / 1e6)
        nft(f"delete rule ip filter KUBE-FORWARD handle {min(added)}\n")
        time.sleep(SETTLE)
        # latency: the rule added, /v1/status polled until it shows
        t_a = time.monotonic()
        nft(rule)
        t_n = time.monotonic()
        while not (drop_handles() - before):
            if time.monotonic() - t_a > 30:
                print("a drop rule added: not in /v1/status 30 s later")
                return
        lat.append(time.monotonic() - t_a)
        nft_s.append(t_n - t_a)
        nft(f"delete rule ip filter KUBE-FORWARD handle {min(drop_handles() - before)}\n")
        while drop_handles() - before:
            time.sleep(0.01)
        time.sleep(0.5)
    print(f"a drop rule added: in /v1/status after median {statistics.median(lat) * 1000:.1f} ms "
          f"(min {min(lat) * 1000:.1f}, max {max(lat) * 1000:.1f}; the `nft` command itself "
          f"{statistics.median(nft_s) * 1000:.1f}); "
          f"agent CPU median {statistics.median(cost):.2f} ms (of 10)")


if __name__ == "__main__":
    if sys.argv[1] == "ruleset":
        ruleset(int(sys.argv[2]))
    else:
        churn(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))

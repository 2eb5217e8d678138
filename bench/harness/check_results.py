#!/usr/bin/env python3
"""Checks a harness run's JSON for what must hold whatever the machine's speed:
every delivery accounted for, the failure mix answered as designed, one body per
event, every pending delivery in the wheel, peers measured. Used by the ctest
`bench.harness_quick`; exits 1 naming each broken rule.

Usage: bench/harness/check_results.py results.json [PLOT_DIR]
"""
import json
import os
import sys


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(what)

    results = {r["name"]: r for r in doc["results"]}
    for name, r in results.items():
        if "error" in r:
            problems.append(f"{name}: {r['error']}")
            continue
        need(r["complete"], f"{name}: did not complete")
        need(r["refused"] == 0, f"{name}: {r['refused']} publishes refused")
        need(r["seconds"] > 0 and r["deliveries_per_s"] > 0, f"{name}: no rate measured")
        need(r["cpu_us_per_delivery"] > 0, f"{name}: no CPU measured")
        need(r["peak_rss_bytes"] > 0, f"{name}: no peak RSS")
        # Encoded once per event for the whole fan-out; a retry claimed later may
        # encode its body again (the failure mix), nothing else may.
        if name != "failure-mix":
            need(r["bodies_per_event"] == 1.0, f"{name}: {r['bodies_per_event']} bodies encoded per event (want 1)")
        if r.get("bytes_per_pending") is not None:
            need(r["wheel_pending"] == r["deliveries"],
                 f"{name}: {r['wheel_pending']} in the wheel, {r['deliveries']} pending")
            need(r["bytes_per_pending"] > 0, f"{name}: no memory per pending delivery measured")
            continue
        lat = r.get("latency_us") or {}
        if name == "failure-mix":
            rec = r["receiver"]
            healthy = r["deliveries"] - r["events"] * 1  # one endpoint of 100 answers 410
            need(r["delivered"] == healthy, f"{name}: {r['delivered']} delivered, want {healthy}")
            need(r["suspended"] == 1, f"{name}: {r['suspended']} endpoints suspended, want 1")
            need(rec["gone"] >= 1, f"{name}: the 410 endpoint was never called")
            # About 10% answered 503 and 5% held first; both retried to success.
            need(0.04 * healthy <= rec["unavailable"] <= 0.16 * healthy,
                 f"{name}: {rec['unavailable']} 503s for {healthy} deliveries (want about 10%)")
            need(0.01 * healthy <= rec["held"] <= 0.09 * healthy,
                 f"{name}: {rec['held']} timeouts for {healthy} deliveries (want about 5%)")
            need(r["retried"] >= rec["unavailable"] + rec["held"], f"{name}: failures not retried")
        else:
            need(r["delivered"] == r["deliveries"], f"{name}: {r['delivered']} of {r['deliveries']} delivered")
            need(r["receiver"]["accepted"] == r["delivered"],
                 f"{name}: receiver accepted {r['receiver']['accepted']}, engine delivered {r['delivered']}")
        need(lat.get("count") == r["receiver"]["accepted"], f"{name}: latency samples != deliveries")
        need(lat.get("p50", 0) <= lat.get("p99", 0) <= lat.get("p999", 0) <= lat.get("max", 0),
             f"{name}: percentiles out of order {lat}")
        for peer, p in (r.get("peers") or {}).items():
            need(p is not None and p["rps"] > 0 and p["cpu_us_per_request"] > 0, f"{name}: peer {peer} not measured")
    if len(sys.argv) > 2:
        for svg in ("latency-cdf.svg", "scaling-pending.svg"):
            path = os.path.join(sys.argv[2], svg)
            need(os.path.exists(path) and open(path).read().lstrip().startswith("<?xml"), f"plot {svg} not drawn")
    for p in problems:
        print("harness check:", p)
    print(f"harness check: {len(results)} scenarios, {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

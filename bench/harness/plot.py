#!/usr/bin/env python3
"""Turns the harness's JSON (webhookd_harness --json) into SVG plots with gnuplot.

Usage: bench/harness/plot.py results.json OUT_DIR   (PLOT_FORMAT=png: PNG instead)

Writes, where the run has the scenarios they need:
  throughput-vs-connections.svg  deliveries (requests) per second at 1..64 HTTPS
                                 connections: the engine, the raw sender, libcurl, wrk
  latency-cdf.svg                publish->delivered latency, one curve per scenario
  scaling-endpoints.svg          deliveries/s and CPU per delivery, 1 / 100 / 10,000 endpoints
  scaling-pending.svg            bytes and CPU per pending delivery, 10k / 100k / 1M pending
"""
import json
import os
import shutil
import subprocess
import sys


def by_name(results):
    return {r["name"]: r for r in results if "error" not in r}


def peer_rps(r, peer):
    p = (r.get("peers") or {}).get(peer)
    return p["rps"] if p else None


def gnuplot(out_dir, name, script, data):
    """Writes data blocks and runs one gnuplot script; returns the SVG path or None."""
    png = os.environ.get("PLOT_FORMAT") == "png"  # for a quick look; the docs use SVG
    svg = os.path.join(out_dir, name + (".png" if png else ".svg"))
    blocks = "".join(f"${key} << EOD\n{text}EOD\n" for key, text in data.items())
    terminal = ("pngcairo size 800,480 font 'sans,10'" if png
                else "svg size 800,480 dynamic font 'sans,12' background '#ffffff'")
    head = f"set terminal {terminal}\nset output '{svg}'\nset grid\nset key left top\n"
    subprocess.run(["gnuplot"], input=blocks + head + script, text=True, check=True)
    return svg


def two_axes(out_dir, name, title, xlabel, points, y1, y2):
    """x on a log scale, y1 on the left axis, y2 (client CPU) on the right."""
    return gnuplot(out_dir, name, f"""
set title '{title}'
set xlabel '{xlabel}'; set logscale x 10
set ylabel '{y1}'; set y2label 'client CPU us per delivery'
set yrange [0:*]; set y2range [0:*]; set ytics nomirror; set y2tics
plot $d using 1:2 axes x1y1 with linespoints lw 2 title '{y1}', \\
     $d using 1:3 axes x1y2 with linespoints title '{y2}'
""", {"d": rows(points)})


def rows(points):
    return "".join(" ".join("NaN" if v is None else str(v) for v in p) + "\n" for p in points)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    out_dir = sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    if not shutil.which("gnuplot"):
        sys.exit("plot.py: gnuplot is not installed (scripts/install-deps.sh --bench)")
    res = by_name(doc["results"])
    made = []

    conns = [(r["connections"], r) for n, r in res.items() if n.startswith("https-c") and r["store"] == "memory"]
    conns.sort(key=lambda x: x[0])
    if conns:
        pts = [(c, r["deliveries_per_s"], peer_rps(r, "raw_sender"), peer_rps(r, "libcurl"), peer_rps(r, "wrk"))
               for c, r in conns]
        made.append(gnuplot(out_dir, "throughput-vs-connections", """
set title 'HTTPS to the loopback receiver, 1 KiB signed body'
set xlabel 'connections'; set ylabel 'deliveries (requests) per second'
set logscale x 2; set yrange [0:*]
plot $d using 1:2 with linespoints lw 2 title 'webhookd engine (memory store)', \\
     $d using 1:3 with linespoints title 'webhookd raw sender', \\
     $d using 1:4 with linespoints title 'libcurl multi', \\
     $d using 1:5 with linespoints dt 2 title 'wrk (ceiling)'
""", {"d": rows(pts)}))

    curves = {n: r["latency_us"]["cdf"] for n, r in res.items()
              if (r.get("latency_us") or {}).get("cdf")}
    if curves:
        data = {f"c{i}": rows((us / 1000.0, frac) for us, frac in cdf) for i, cdf in enumerate(curves.values())}
        plots = ", ".join(f"$c{i} using 1:2 with lines lw 2 title '{name}'" for i, name in enumerate(curves))
        made.append(gnuplot(out_dir, "latency-cdf", f"""
set title 'publish -> delivered latency (receiver clock)'
set xlabel 'milliseconds'; set ylabel 'fraction of deliveries'
set logscale x 10; set yrange [0:1]; set key right bottom
plot {plots}
""", data))

    scale = [res[n] for n in ("https-c16", "fanout-100", "endpoints-10k") if n in res]
    if scale:
        made.append(two_axes(out_dir, "scaling-endpoints",
                             "Scaling with endpoints (HTTPS, 16 connections, memory store)", "endpoints",
                             [(r["endpoints"], r["deliveries_per_s"], r["cpu_us_per_delivery"]) for r in scale],
                             "deliveries per second", "CPU us / delivery"))

    pending = sorted((r for n, r in res.items() if r.get("bytes_per_pending") is not None),
                     key=lambda r: r["deliveries"])
    if pending:
        made.append(two_axes(out_dir, "scaling-pending", "Deliveries pending in the timer wheel (memory store)",
                             "pending deliveries",
                             [(r["deliveries"], r["bytes_per_pending"], r["cpu_us_per_delivery"]) for r in pending],
                             "bytes per pending delivery (beyond the body)",
                             "CPU us / delivery (publish, attempt, retry scheduled)"))

    for path in made:
        print("wrote", path)


if __name__ == "__main__":
    main()

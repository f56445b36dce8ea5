#!/usr/bin/python3
"""Plots of knhk runs, written as PNG files.

    knhk_plot.py --out DIR INPUT...

Each INPUT is one of
  * a scenario file (.yaml/.yml): run in the simulator through the knhk_py module
    (--seed overrides the file's seed; --nodes 4,7,10 runs it at each cluster size);
  * the JSON object of `knhk run --report FILE` / `knhk run --json`: the scenario it names
    is replayed with its seed through knhk_py (same seed, same run; the trace digest is
    compared with the report's). Without the module, or when the scenario file is gone,
    only the message-complexity plot is drawn, from the report's counters;
  * the JSON lines of `knhk sweep`: latency and throughput against the seed.

Per sweep file: FILE-by-seed.png. Per run (NAME = SCENARIO-nNODES-seedSEED):
NAME-latency.png (CDF, and p50/p99 over time), NAME-throughput.png (commits per
second over time, fault windows shaded, view-change events ticked), NAME-messages.png (messages per committed
operation by kind, and by node). Over runs of one protocol at several cluster sizes (run
reports, or --nodes): PROTOCOL-vs-nodes.png. Each written file is printed as `wrote PATH`.

Exit status: 0 success, 2 bad input or missing matplotlib/numpy.
Uses only Debian's python3-numpy and python3-matplotlib (Agg backend, no display).
"""

import argparse
import json
import math
import os
import re
import sys

EXIT_USAGE = 2


def import_plotting():
    """numpy and matplotlib (Agg), or a clear message and exit 2."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import numpy as np
    except ImportError as e:
        sys.stderr.write(
            "knhk-plot: %s for %s; install python3-numpy and python3-matplotlib "
            "(scripts/setup does)\n" % (e, sys.executable))
        sys.exit(EXIT_USAGE)
    return np, plt


np, plt = import_plotting()

try:
    import knhk_py
except ImportError:
    knhk_py = None

FAULT_COLORS = {
    "partition": "tab:red",
    "crash": "tab:gray",
    "byzantine": "tab:purple",
    "drop": "tab:orange",
    "delay": "tab:olive",
    "duplicate": "tab:cyan",
    "clock_skew": "tab:brown",
}
INSTANT_FAULTS = ("heal", "restart")
# Protocol events marked under the throughput curve: a PBFT replica starting a view change,
# a HotStuff replica's pacemaker timing out.
VIEW_EVENTS = {"view_change": "tab:red", "view_timeout": "tab:red", "new_view": "tab:green"}


class InputError(Exception):
    pass


# ---------------------------------------------------------------- inputs


def read_json_records(path):
    """One JSON object (a run report) or JSON lines (a sweep): a list of dicts."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError("%s: cannot read (%s)" % (path, e.strerror))
    try:
        whole = json.loads(text)
        records = [whole] if isinstance(whole, dict) else None
    except json.JSONDecodeError:
        records = None
    if records is None:
        records = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InputError("%s:%d: not a knhk result (%s)" % (path, n, e.msg))
    if not records or not all(isinstance(r, dict) and "commits" in r for r in records):
        raise InputError("%s: not a knhk result (no `commits` field)" % path)
    return records


def run_scenario(path, seed, nodes=None):
    if knhk_py is None:
        raise InputError("%s: running a scenario needs the knhk_py module (build it with "
                         "scripts/build, then put build/release/analysis/python on "
                         "PYTHONPATH, or use scripts/knhk-plot)" % path)
    try:
        return knhk_py.run(path, seed, nodes)
    except ValueError as e:
        raise InputError(str(e))


def replay_report(report):
    """The full run behind a `knhk run --report` object, or None if it cannot be replayed."""
    path = report.get("file")
    why = ("the knhk_py module is not importable" if knhk_py is None else
           "its scenario file %s is not found" % path if not path or not os.path.exists(path)
           else None)
    if why:
        sys.stderr.write("knhk-plot: %s seed %s: %s; plotting message complexity from the "
                         "report alone\n" % (report.get("scenario"), report.get("seed"), why))
        return None
    run = run_scenario(path, report.get("seed"))
    if run["trace_digest"] != report.get("trace_digest"):
        sys.stderr.write(
            "knhk-plot: %s seed %s replays to digest %s, the report says %s (the scenario "
            "or the build changed since); plotting the replay\n" %
            (path, report.get("seed"), run["trace_digest"][:12],
             str(report.get("trace_digest"))[:12]))
    return run


# ---------------------------------------------------------------- helpers


def slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "run"


def run_name(run):
    s = run["scenario"]
    return "%s-n%d-seed%d" % (slug(s["name"]), s["nodes"], s["seed"])


def time_bin(duration_s, bins=60):
    """A round bin width giving about `bins` bins over the run."""
    for width in (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0):
        if duration_s / width <= bins:
            return width
    return duration_s / bins


def bin_edges(end_s, width):
    """Edges 0, width, 2·width, ... up to the first edge at or after the end of the run."""
    return np.arange(max(1, math.ceil(end_s / width - 1e-9)) + 1) * width


def fault_windows(faults, end_s):
    """(start, end, kind, label) per fault that lasts, and (time, label) per instant one.

    A fault without `until` lasts to the end of the run, except that a crash ends at the
    next restart of its node and a partition at the next heal."""
    windows, instants = [], []
    for i, f in enumerate(faults):
        if f["kind"] in INSTANT_FAULTS:
            instants.append((f["at_s"], f["label"]))
            continue
        end = f["until_s"]
        if end is None:
            end = end_s
            closer = {"crash": "restart " + f["label"].split(" ")[-1], "partition": "heal"}
            for g in faults[i + 1:]:
                if g["label"] == closer.get(f["kind"]) and g["at_s"] >= f["at_s"]:
                    end = g["at_s"]
                    break
        windows.append((f["at_s"], end, f["kind"], f["label"]))
    return windows, instants


def shade_faults(ax, run):
    windows, instants = fault_windows(run["scenario"]["faults"], run["end_s"])
    seen = set()
    for start, end, kind, label in windows:
        ax.axvspan(start, end, color=FAULT_COLORS.get(kind, "tab:gray"), alpha=0.15,
                   label=None if label in seen else label)
        seen.add(label)
    for at, label in instants:
        ax.axvline(at, color="black", linestyle=":", linewidth=1,
                   label=None if label in seen else label)
        seen.add(label)


def from_zero(ax, values):
    """A y axis from 0, so that differences show in proportion, with room for a legend."""
    top = np.nanmax(np.asarray(values, dtype=float)) if np.size(values) else 1.0
    ax.set_ylim(0, (top if np.isfinite(top) and top > 0 else 1.0) * 1.25)


def save(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print("wrote " + path)
    return path


def title_of(run):
    s = run["scenario"]
    return "%s (%s, n=%d, seed %d): %s" % (s["name"], s["protocol"], s["nodes"], s["seed"],
                                           run["verdict"].upper())


# ---------------------------------------------------------------- per-run plots


def latencies_ms(run):
    req = run["requests"]
    submitted = np.array(req["submitted_s"], dtype=float)
    completed = np.array(req["completed_s"], dtype=float)
    done = ~np.isnan(completed)
    return submitted, (completed - submitted) * 1000.0, done


def latency_cdf(ax, latency, done):
    lat = np.sort(latency[done])
    if lat.size:
        ax.step(lat, np.arange(1, lat.size + 1) / lat.size, where="post")
        for q, style in ((0.5, "--"), (0.99, ":")):
            v = lat[max(0, math.ceil(q * lat.size) - 1)]  # nearest rank, as `knhk run`
            ax.axvline(v, color="gray", linestyle=style, label="p%d %.1f ms" % (q * 100, v))
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("fraction of completed requests")
    ax.set_title("latency CDF (%d of %d completed)" % (done.sum(), done.size), fontsize=9)
    ax.grid(alpha=0.3)


def binned_percentiles(times, values, edges, qs):
    """Per bin of `edges`, the q-th percentile of the values whose time falls in it
    (NaN for an empty bin, so that the plotted line has a gap there)."""
    idx = np.digitize(times, edges) - 1
    out = np.full((len(qs), len(edges) - 1), np.nan)
    for b in range(len(edges) - 1):
        v = values[idx == b]
        if v.size:
            out[:, b] = np.percentile(v, qs)
    return out


def latency_over_time(ax, run, submitted, latency, done):
    shade_faults(ax, run)
    ax.scatter(submitted[done], latency[done], s=5, color="tab:blue", alpha=0.5,
               label="request")
    width = time_bin(run["scenario"]["duration_s"], bins=30)
    edges = bin_edges(run["end_s"], width)
    p50, p99 = binned_percentiles(submitted[done], latency[done], edges, [50, 99])
    ax.stairs(p50, edges, baseline=None, color="tab:green", label="p50 per bin")
    ax.stairs(p99, edges, baseline=None, color="tab:red", label="p99 per bin")
    if (~done).any():
        top = latency[done].max() if done.any() else 1.0
        ax.scatter(submitted[~done], np.full((~done).sum(), top), marker="x",
                   color="black", label="never completed")
    ax.set_xlabel("submitted at (s, virtual time)")
    ax.set_ylabel("latency (ms)")
    ax.set_title("latency over time (%g s bins)" % width, fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=7)
    ax.grid(alpha=0.3)


def plot_latency(run, out_dir):
    submitted, latency, done = latencies_ms(run)
    fig, (cdf, over) = plt.subplots(1, 2, figsize=(10, 4.6))
    fig.suptitle(title_of(run), fontsize=10)
    latency_cdf(cdf, latency, done)
    latency_over_time(over, run, submitted, latency, done)
    fig.tight_layout()
    return save(fig, out_dir, run_name(run) + "-latency.png")


def plot_throughput(run, out_dir):
    width = time_bin(run["scenario"]["duration_s"], bins=30)
    bins = bin_edges(run["end_s"], width)
    committed = np.histogram(run["committed_ops_s"], bins=bins)[0] / width
    completed_s = np.array(run["requests"]["completed_s"], dtype=float)
    completed = np.histogram(completed_s[~np.isnan(completed_s)], bins=bins)[0] / width
    fig, ax = plt.subplots(figsize=(10, 4.8))
    shade_faults(ax, run)
    ax.stairs(committed, bins, baseline=None, linewidth=1.5,
              label="committed ops/s (first honest commit)")
    ax.stairs(completed, bins, baseline=None, linewidth=1.5, linestyle="--",
              label="completed requests/s (client)")
    ax.axvline(run["liveness_from_s"], color="tab:green", linewidth=1,
               label="liveness judged from %.3g s" % run["liveness_from_s"])
    mark_view_events(ax, run)
    ax.set_xlabel("time (s, virtual)")
    ax.set_ylabel("operations per second")
    ax.set_title("%s\n%d committed, %d view changes (%g s bins)" %
                 (title_of(run), run["metrics"]["commits"], run["metrics"]["view_changes"],
                  width), fontsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, out_dir, run_name(run) + "-throughput.png")


def mark_view_events(ax, run):
    """A tick on the time axis for each replica's view-change event."""
    events = run.get("protocol_events", {"time_s": [], "type": []})
    for kind, colour in VIEW_EVENTS.items():
        times = [t for t, k in zip(events["time_s"], events["type"]) if k == kind]
        if times:
            ax.plot(times, np.full(len(times), 0.04), "|", color=colour, markersize=14,
                    markeredgewidth=1.5, transform=ax.get_xaxis_transform(),  # y: axes units
                    label="%s (%d, any replica)" % (kind, len(times)))


def per_op_bars(ax, sent_by_type, commits):
    kinds = sorted(sent_by_type, key=lambda k: -sent_by_type[k])
    per_op = [sent_by_type[k] / commits if commits else 0 for k in kinds]
    ax.barh(kinds[::-1], per_op[::-1], color="tab:blue")
    ax.set_xlim(0, max(per_op + [1e-9]) * 1.15)  # room for the value labels
    for y, v in enumerate(per_op[::-1]):
        ax.text(v, y, " %.2f" % v, va="center", fontsize=7)
    ax.set_xlabel("messages sent per committed operation")
    ax.set_title("message complexity: %.1f messages per op over %d ops" %
                 (sum(sent_by_type.values()) / commits if commits else 0, commits), fontsize=9)
    ax.grid(axis="x", alpha=0.3)


def node_stack(ax, by_node):
    """Messages sent by each replica (and all clients together), stacked by kind."""
    replicas = sorted((n for n in by_node if not n.startswith("c")), key=int)
    columns = replicas + ["clients"]
    kinds = sorted({k for types in by_node.values() for k in types})
    bottom = np.zeros(len(columns))
    for kind in kinds:
        vals = np.array([
            sum(by_node[n].get(kind, {}).get("sent", 0) for n in by_node if n.startswith("c"))
            if col == "clients" else by_node[col].get(kind, {}).get("sent", 0)
            for col in columns], dtype=float)
        if vals.any():
            ax.bar(columns, vals, bottom=bottom, label=kind)
            bottom += vals
    ax.set_xlabel("sender (replica id)")
    ax.set_ylabel("messages sent")
    ax.set_title("messages sent by node", fontsize=9)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def plot_messages(run, out_dir):
    sent = {k: v["sent"] for k, v in run["messages_by_type"].items()}
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    fig.suptitle(title_of(run), fontsize=10)
    per_op_bars(left, sent, run["metrics"]["commits"])
    node_stack(right, run["messages_by_node"])
    fig.tight_layout()
    return save(fig, out_dir, run_name(run) + "-messages.png")


def plot_messages_from_report(report, out_dir):
    """Message complexity from a report's counters alone (no replay possible)."""
    sent = {k: v["sent"] for k, v in report.get("messages", {}).items()}
    fig, ax = plt.subplots(figsize=(7, 4))
    per_op_bars(ax, sent, report["commits"])
    fig.suptitle("%s (%s, n=%s, seed %s)" % (report.get("scenario"), report.get("protocol"),
                                              report.get("nodes"), report.get("seed")),
                 fontsize=10)
    fig.tight_layout()
    name = "%s-n%s-seed%s-messages.png" % (slug(str(report.get("scenario"))), report.get("nodes"),
                                            report.get("seed"))
    return save(fig, out_dir, name)


def plot_run(run, out_dir):
    return [plot_latency(run, out_dir), plot_throughput(run, out_dir),
            plot_messages(run, out_dir)]


# ---------------------------------------------------------------- sweeps


def plot_sweep(records, path, out_dir):
    """Latency and throughput against the seed, for the JSON lines of one `knhk sweep`."""
    records = sorted(records, key=lambda r: r["seed"])
    seeds = np.array([r["seed"] for r in records])
    nan = float("nan")
    p50 = np.array([r.get("latency_p50_ms", nan) for r in records], dtype=float)
    p99 = np.array([r.get("latency_p99_ms", nan) for r in records], dtype=float)
    ops = np.array([r.get("throughput_ops", nan) for r in records], dtype=float)
    failed = np.array([r.get("verdict") != "pass" for r in records])
    fig, (lat, thr) = plt.subplots(2, 1, figsize=(9, 5.5), sharex=True)
    name = os.path.splitext(os.path.basename(path))[0]
    fig.suptitle("%s: %d seeds, %d pass" % (os.path.basename(path), len(records),
                                             (~failed).sum()), fontsize=10)
    lat.plot(seeds, p50, marker="o", markersize=3, label="p50")
    lat.plot(seeds, p99, marker="o", markersize=3, label="p99")
    lat.set_ylabel("latency (ms)")
    thr.plot(seeds, ops, marker="o", markersize=3, color="tab:green", label="ops/s")
    thr.axhline(np.nanmean(ops), color="tab:green", linestyle="--", linewidth=1,
                label="mean %.1f ops/s" % np.nanmean(ops))
    thr.set_ylabel("committed ops/s")
    thr.set_xlabel("seed")
    for ax, y in ((lat, p99), (thr, ops)):
        from_zero(ax, y)
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        if failed.any():
            ax.scatter(seeds[failed], y[failed], marker="x", color="red", s=40, zorder=3,
                       label="failed seed")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return save(fig, out_dir, slug(name) + "-by-seed.png")


def plot_vs_nodes(reports, out_dir):
    """Latency, throughput and messages per op against n, one file per protocol, when
    the run reports cover at least two cluster sizes of that protocol."""
    written = []
    protocols = sorted({r.get("protocol") for r in reports if "nodes" in r})
    for protocol in protocols:
        rows = sorted((r for r in reports if r.get("protocol") == protocol),
                      key=lambda r: r["nodes"])
        if len({r["nodes"] for r in rows}) < 2:
            continue
        n = np.array([r["nodes"] for r in rows])
        nan = float("nan")
        fig, (lat, thr, msg) = plt.subplots(1, 3, figsize=(12, 3.8))
        fig.suptitle("%s against cluster size (%d runs)" % (protocol, len(rows)), fontsize=10)
        lat.plot(n, [r.get("latency_p50_ms", nan) for r in rows], "o-", label="p50")
        lat.plot(n, [r.get("latency_p99_ms", nan) for r in rows], "o-", label="p99")
        lat.set_ylabel("latency (ms)")
        lat.legend(fontsize=7)
        thr.plot(n, [r.get("throughput_ops", nan) for r in rows], "o-", color="tab:green")
        thr.set_ylabel("committed ops/s")
        per_op = [sum(m["sent"] for m in r.get("messages", {}).values()) / r["commits"]
                  if r["commits"] else nan for r in rows]
        msg.plot(n, per_op, "o-", color="tab:purple")
        msg.set_ylabel("messages per committed op")
        for ax in (lat, thr, msg):
            from_zero(ax, [line.get_ydata() for line in ax.get_lines()])
            ax.set_xticks(sorted(set(n)))
            ax.set_xlabel("replicas (n)")
            ax.grid(alpha=0.3)
        fig.tight_layout()
        written.append(save(fig, out_dir, slug(protocol) + "-vs-nodes.png"))
    return written


# ---------------------------------------------------------------- main


def report_of(run):
    """The figures of `knhk run --report` for a run of the module (for plot_vs_nodes)."""
    m, s = run["metrics"], run["scenario"]
    figures = {k: v for k, v in m.items() if v is not None}  # as the JSON omits them
    return dict(figures, protocol=s["protocol"], nodes=s["nodes"], messages=run["messages_by_type"],
                throughput_ops=m["commits"] / s["duration_s"])


def plot_input(path, args, reports):
    if path.endswith((".yaml", ".yml")):
        written = []
        for nodes in args.nodes or [None]:
            run = run_scenario(path, args.seed, nodes)
            reports.append(report_of(run))
            written += plot_run(run, args.out)
        return written
    out_dir = args.out
    records = read_json_records(path)
    if len(records) == 1 and "trace_digest" in records[0]:  # a `knhk run --report` object
        reports.append(records[0])
        run = replay_report(records[0])
        if run is None:
            return [plot_messages_from_report(records[0], out_dir)]
        return plot_run(run, out_dir)
    return [plot_sweep(records, path, out_dir)]


def node_list(text):
    try:
        sizes = [int(n) for n in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("expected cluster sizes like 4,7,10, got %r" % text)
    return sizes


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="knhk-plot", description="Write PNG plots of knhk runs, reports and sweeps.")
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="scenario YAML, `knhk run --report` JSON or `knhk sweep` JSON lines")
    parser.add_argument("--out", required=True, help="directory for the PNG files")
    parser.add_argument("--seed", type=int, help="seed for scenario files (overrides theirs)")
    parser.add_argument("--nodes", type=node_list, metavar="N,N,...",
                        help="run scenario files at each of these cluster sizes")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    written, reports = [], []
    try:
        for path in args.inputs:
            written += plot_input(path, args, reports)
        written += plot_vs_nodes(reports, args.out)
    except InputError as e:
        sys.stderr.write("knhk-plot: %s\n" % e)
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    sys.exit(main())

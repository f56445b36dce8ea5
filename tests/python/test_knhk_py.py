#!/usr/bin/python3
"""The knhk_py module against the knhk binary: the same file and seed give the same run
(trace digest, counts, percentiles), the series it returns are consistent with the run's
own figures, the checkers' verdicts show a violation where one exists, bad files raise,
and knhk_plot.py turns runs, reports and sweeps into real PNG plots."""

import contextlib
import io
import json
import math
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import knhk_test_util as util  # noqa: E402

sys.path.insert(0, util.PLOT_DIR)
import knhk_py  # noqa: E402
import knhk_plot  # noqa: E402

CRASH = util.example("pbft/crash.yaml")
SEED = 7


def cli_json(path, seed):
    p = util.knhk("run", path, "--seed", str(seed), "--json")
    assert p.returncode in (0, 1), p.stderr
    return json.loads(p.stdout)


def nearest_rank(sorted_values, q):
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


class RunAgainstCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = knhk_py.run(CRASH, seed=SEED)
        cls.cli = cli_json(CRASH, SEED)

    def test_same_file_and_seed_give_the_cli_digest_and_figures(self):
        self.assertEqual(self.r["trace_digest"], self.cli["trace_digest"])
        self.assertEqual(self.r["trace_events"], self.cli["trace_events"])
        self.assertEqual(self.r["passed"], self.cli["passed"])
        self.assertEqual(self.r["scenario"]["seed"], SEED)
        m = self.r["metrics"]
        for key in ("commits", "positions", "requests_submitted", "requests_completed",
                    "view_changes"):
            self.assertEqual(m[key], self.cli[key], key)
        self.assertAlmostEqual(m["latency_p50_ms"], self.cli["latency_p50_ms"], places=3)
        self.assertAlmostEqual(m["latency_p99_ms"], self.cli["latency_p99_ms"], places=3)

    def test_seed_override_changes_the_run_and_repeats_exactly(self):
        self.assertEqual(knhk_py.run(CRASH, SEED)["trace_digest"], self.r["trace_digest"])
        quick = knhk_py.run(CRASH, SEED, events=False)  # no trace reading: same run
        self.assertEqual(quick["trace_digest"], self.r["trace_digest"])
        self.assertEqual(json.dumps(quick["requests"]), json.dumps(self.r["requests"]))  # NaNs
        self.assertIsNone(quick["messages_by_node"])
        self.assertIsNone(quick["protocol_events"])
        default = knhk_py.run(CRASH)
        self.assertEqual(default["scenario"]["seed"], 1)  # the file's seed
        self.assertNotEqual(default["trace_digest"], self.r["trace_digest"])

    def test_cluster_size_override_is_validated_and_run(self):
        same = knhk_py.run(CRASH, seed=SEED, nodes=4)  # the file's size: the same run
        self.assertEqual(same["trace_digest"], self.cli["trace_digest"])
        seven = knhk_py.run(CRASH, seed=SEED, nodes=7)
        self.assertEqual((seven["scenario"]["nodes"], seven["scenario"]["f"]), (7, 2))
        self.assertIn("6", seven["messages_by_node"])
        self.assertEqual(sorted(seven["view_changes"]), list(range(7)))
        with self.assertRaisesRegex(ValueError, r"crash\.yaml \(rewritten with nodes: 3\)"):
            knhk_py.run(CRASH, nodes=3)

    def test_one_latency_per_completed_request(self):
        req = self.r["requests"]
        n = len(req["submitted_s"])
        for column in req.values():
            self.assertEqual(len(column), n)
        self.assertEqual(n, self.cli["requests_submitted"])
        latencies = sorted((c - s) * 1000 for s, c in zip(req["submitted_s"], req["completed_s"])
                           if not math.isnan(c))
        self.assertEqual(len(latencies), self.cli["requests_completed"])
        self.assertLess(len(latencies), n)  # the crash leaves some request unanswered
        self.assertGreater(latencies[0], 0)
        self.assertAlmostEqual(nearest_rank(latencies, 0.5), self.cli["latency_p50_ms"], places=3)
        self.assertAlmostEqual(nearest_rank(latencies, 0.99), self.cli["latency_p99_ms"], places=3)

    def test_commits_over_time_are_monotone_and_add_up(self):
        ops = self.r["committed_ops_s"]
        self.assertEqual(len(ops), self.cli["commits"])
        self.assertEqual(ops, sorted(ops))
        commits = self.r["commits"]
        self.assertEqual(commits["time_s"], sorted(commits["time_s"]))
        self.assertLessEqual(commits["time_s"][-1], self.r["end_s"])
        # every replica's log positions grow; the crashed leader stops at 1s
        for node in range(4):
            positions = [p for p, k in zip(commits["position"], commits["node"]) if k == node]
            self.assertEqual(positions, sorted(set(positions)), node)
        late = [t for t, k in zip(commits["time_s"], commits["node"]) if k == 0 and t > 1.0]
        self.assertEqual(late, [])
        self.assertEqual(max(commits["position"]), self.cli["positions"])

    def test_message_counts_by_type_and_by_node_agree(self):
        by_type = self.r["messages_by_type"]
        cli = self.cli["messages"]
        self.assertEqual(sorted(by_type), sorted(cli))
        for kind, c in by_type.items():
            self.assertEqual(c, cli[kind], kind)
        by_node = self.r["messages_by_node"]
        self.assertTrue({"0", "1", "2", "3"} <= set(by_node))
        self.assertTrue(any(n.startswith("c") for n in by_node))
        for kind, c in by_type.items():
            for field, total in (("sent", c["sent"]), ("received", c["delivered"]),
                                 ("dropped", c["dropped"])):
                self.assertEqual(sum(t.get(kind, {}).get(field, 0) for t in by_node.values()),
                                 total, (kind, field))
        # replica 0 crashed at 1s: what was sent to it afterwards is lost, counted against
        # the senders; what it sent before was delivered
        self.assertEqual(sum(c.get("dropped", 0) for c in by_node["0"].values()), 0)
        self.assertGreater(sum(c.get("dropped", 0) for c in by_node["1"].values()), 0)
        # replies come only from replicas, protocol messages never from clients
        clients = [n for n in by_node if n.startswith("c")]
        self.assertEqual(sum(by_node[n].get("reply", {}).get("sent", 0) for n in clients), 0)
        self.assertEqual(sum(c["sent"] for n in clients for k, c in by_node[n].items()
                             if k.startswith("pbft.")), 0)
        self.assertGreater(sum(by_node[n].get("request", {}).get("sent", 0) for n in clients), 0)

    def test_protocol_events_show_the_view_change_after_the_crash(self):
        e = self.r["protocol_events"]
        self.assertEqual(e["time_s"], sorted(e["time_s"]))
        started = [(t, n) for t, n, k in zip(e["time_s"], e["node"], e["type"])
                   if k == "view_change"]
        self.assertTrue(started)
        self.assertTrue(all(t > 1.0 for t, _ in started))  # the leader crashes at 1s
        # a new view needs 2f + 1 = 3 VIEW-CHANGEs: every live replica sent one
        self.assertEqual({n for _, n in started}, {"1", "2", "3"})
        entered = {v for v, k in zip(e["view"], e["type"]) if k == "new_view"}
        self.assertEqual(min(entered), 1)

    def test_faults_view_changes_and_verdicts(self):
        faults = self.r["scenario"]["faults"]
        self.assertEqual(faults, [{"kind": "crash", "label": "crash 0", "at_s": 1.0,
                                   "until_s": None}])
        views = self.r["view_changes"]
        self.assertEqual(max(views[n] for n in (1, 2, 3)), self.cli["view_changes"])
        self.assertGreaterEqual(self.cli["view_changes"], 1)  # the leader crashed
        self.assertEqual(self.r["checks"]["verdicts"],
                         {"agreement": True, "state_hash": True, "validity": True,
                          "integrity": True, "linearizability": True, "liveness": True})
        self.assertEqual(self.r["checks"]["violations"], [])
        names = [e["name"] for e in self.r["expectations"]]
        self.assertEqual(names, [e["name"] for e in self.cli["expectations"]])


class Checkers(unittest.TestCase):
    def test_agreement_violation_is_reported(self):
        run = knhk_py.run(util.example("pbft/safety-violation-twins.yaml"))
        self.assertTrue(run["passed"])  # the file expects the violation
        self.assertFalse(run["checks"]["verdicts"]["agreement"])
        first = run["checks"]["violations"][0]
        self.assertEqual(first["check"], "agreement")
        self.assertIsNotNone(first["position"])
        self.assertEqual(first["nodes"], sorted(first["nodes"]))
        self.assertTrue(set(first["nodes"]) & {2, 3})  # the honest replicas disagree

    def test_invalid_files_raise_value_error_with_position(self):
        with tempfile.TemporaryDirectory() as tmp:
            bad = os.path.join(tmp, "bad.yaml")
            with open(CRASH) as f:
                text = f.read().replace("nodes: 4", "nodes: 3")
            with open(bad, "w") as f:
                f.write(text)
            with self.assertRaisesRegex(ValueError, r"bad\.yaml:\d+:\d+: "):
                knhk_py.run(bad)
            with self.assertRaises(ValueError):
                knhk_py.load(os.path.join(tmp, "missing.yaml"))
        self.assertEqual(knhk_py.load(CRASH)["nodes"], 4)


class Plots(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.tmp.name, "plots")

    def tearDown(self):
        self.tmp.cleanup()

    def plot(self, *args):
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = knhk_plot.main(["--out", self.out, *args])
        return code, err.getvalue()

    def assert_pngs(self, names):
        self.assertEqual(sorted(os.listdir(self.out)), sorted(names))
        for name in names:
            self.assertIsNone(util.png_problem(os.path.join(self.out, name)), name)

    def test_scenario_gives_latency_throughput_and_message_plots(self):
        self.assertEqual(self.plot(CRASH, "--seed", str(SEED)), (0, ""))
        self.assert_pngs(["pbft-crash-n4-seed7-latency.png", "pbft-crash-n4-seed7-throughput.png",
                          "pbft-crash-n4-seed7-messages.png"])

    def test_run_report_is_replayed_to_the_same_digest(self):
        report = os.path.join(self.tmp.name, "run.json")
        util.knhk("run", CRASH, "--seed", "3", "--report", report, "--quiet")
        code, err = self.plot(report)
        self.assertEqual((code, err), (0, ""))  # no digest-mismatch warning
        self.assert_pngs(["pbft-crash-n4-seed3-latency.png", "pbft-crash-n4-seed3-throughput.png",
                          "pbft-crash-n4-seed3-messages.png"])
        with open(report) as f:
            doctored = json.load(f)
        doctored["trace_digest"] = "0" * 64
        with open(report, "w") as f:
            json.dump(doctored, f)
        code, err = self.plot(report)
        self.assertEqual(code, 0)
        self.assertIn("replays to digest", err)

    def test_sweep_by_seed_and_runs_by_cluster_size(self):
        sweep = os.path.join(self.tmp.name, "crash-sweep.jsonl")
        self.assertEqual(util.knhk("sweep", CRASH, "--seeds", "1:6", "--out", sweep).returncode, 0)
        reports = []
        with open(CRASH) as f:
            text = f.read()
        for n in (4, 7):
            path = os.path.join(self.tmp.name, "crash-%d.yaml" % n)
            with open(path, "w") as f:
                f.write(text.replace("nodes: 4", "nodes: %d" % n))
            reports.append(os.path.join(self.tmp.name, "crash-%d.json" % n))
            util.knhk("run", path, "--report", reports[-1], "--quiet")
        self.assertEqual(self.plot(sweep, *reports)[0], 0)
        names = os.listdir(self.out)
        self.assertIn("crash-sweep-by-seed.png", names)
        self.assertIn("pbft-vs-nodes.png", names)
        self.assertEqual(len(names), 2 + 2 * 3)
        for name in names:
            self.assertIsNone(util.png_problem(os.path.join(self.out, name)), name)

    def test_knhk_report_plots_replay_through_the_built_module(self):
        report = os.path.join(self.tmp.name, "run.json")
        util.knhk("run", CRASH, "--seed", "5", "--report", report, "--quiet")
        p = util.knhk("report", report, "--plots", self.out)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(len([l for l in p.stdout.splitlines() if l.startswith("wrote ")]), 3)
        self.assert_pngs(["pbft-crash-n4-seed5-latency.png", "pbft-crash-n4-seed5-throughput.png",
                          "pbft-crash-n4-seed5-messages.png"])

    def test_scenario_at_several_cluster_sizes(self):
        self.assertEqual(self.plot(CRASH, "--nodes", "4,7"), (0, ""))
        names = os.listdir(self.out)
        self.assertIn("pbft-vs-nodes.png", names)
        self.assertIn("pbft-crash-n7-seed1-throughput.png", names)
        self.assertEqual(len(names), 1 + 2 * 3)
        self.assertIsNone(util.png_problem(os.path.join(self.out, "pbft-vs-nodes.png")))

    def test_not_a_result_is_an_input_error(self):
        junk = os.path.join(self.tmp.name, "junk.json")
        with open(junk, "w") as f:
            f.write('{"hello": 1}\n')
        code, err = self.plot(junk)
        self.assertEqual(code, 2)
        self.assertIn("junk.json: not a knhk result", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)

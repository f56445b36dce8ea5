#!/usr/bin/python3
"""`knhk report FILE... --plots DIR` through the knhk binary: the table and the PNGs, the
fallback to report-only plots when the knhk_py module cannot be imported (as in sanitizer
builds, which do not build it), and clear errors when Python or matplotlib is missing."""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import knhk_test_util as util  # noqa: E402

CRASH = util.example("pbft/crash.yaml")
NO_MODULE = {"KNHK_PY_MODULE_DIR": "/nonexistent", "PYTHONPATH": ""}


class ReportPlots(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.sweep = os.path.join(cls.tmp.name, "crash-sweep.jsonl")
        cls.report = os.path.join(cls.tmp.name, "crash.json")
        assert util.knhk("sweep", CRASH, "--seeds", "1:5", "--out", cls.sweep).returncode == 0
        assert util.knhk("run", CRASH, "--report", cls.report, "--quiet").returncode == 0

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def out_dir(self, name):
        return os.path.join(self.tmp.name, name)

    def assert_plots(self, out, names):
        self.assertEqual(sorted(os.listdir(out)), sorted(names))
        for name in names:
            self.assertIsNone(util.png_problem(os.path.join(out, name)), name)

    def test_table_then_plots_without_the_module(self):
        out = self.out_dir("report-only")
        p = util.knhk("report", self.sweep, self.report, "--plots", out, env=NO_MODULE)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertTrue(lines[0].startswith("scenario"))
        self.assertIn("crash-sweep.jsonl", p.stdout)
        self.assertIn("wrote " + os.path.join(out, "crash-sweep-by-seed.png"), lines)
        self.assertIn("knhk_py module is not importable", p.stderr)
        # from the report's counters alone: message complexity only
        self.assert_plots(out, ["crash-sweep-by-seed.png", "pbft-crash-n4-seed1-messages.png"])

    def test_missing_python_is_a_clear_error(self):
        out = self.out_dir("no-python")
        p = util.knhk("report", self.report, "--plots", out,
                      env={"KNHK_PYTHON": "/nonexistent/python3"})
        self.assertEqual(p.returncode, 2)
        self.assertIn("--plots needs Python 3 with numpy and matplotlib", p.stderr)
        self.assertIn("/nonexistent/python3 cannot be run", p.stderr)
        self.assertEqual(p.stdout, "")  # checked before the table
        self.assertFalse(os.path.exists(out))

    def test_missing_matplotlib_is_a_clear_error(self):
        fake = self.out_dir("fake-site")
        os.makedirs(os.path.join(fake, "matplotlib"), exist_ok=True)
        with open(os.path.join(fake, "matplotlib", "__init__.py"), "w") as f:
            f.write("raise ImportError(\"No module named 'matplotlib'\")\n")
        p = util.knhk("report", self.report, "--plots", self.out_dir("no-mpl"),
                      env={"KNHK_PY_MODULE_DIR": fake})
        self.assertEqual(p.returncode, 2)
        self.assertIn("No module named 'matplotlib'", p.stderr)
        self.assertIn("install python3-numpy and python3-matplotlib", p.stderr)

    def test_bad_result_file_stops_before_plotting(self):
        junk = os.path.join(self.tmp.name, "junk.jsonl")
        with open(junk, "w") as f:
            f.write("not json\n")
        out = self.out_dir("junk")
        p = util.knhk("report", junk, "--plots", out)
        self.assertEqual(p.returncode, 2)
        self.assertIn("junk.jsonl:1: not a knhk result", p.stderr)
        self.assertFalse(os.path.exists(out))


class PlotHelpers(unittest.TestCase):
    """Fault windows and time bins of the throughput and latency plots."""

    def test_until_restart_heal_and_end_of_run_close_windows(self):
        sys.path.insert(0, util.PLOT_DIR)
        import knhk_plot

        def fault(kind, label, at, until=None):
            return {"kind": kind, "label": label, "at_s": at, "until_s": until}

        faults = [fault("byzantine", "byzantine 2 silent", 0.0),
                  fault("drop", "drop *->* p=0.2", 0.5, 0.7),
                  fault("crash", "crash 1", 1.0),
                  fault("crash", "crash 3", 1.5),
                  fault("partition", "partition [0] [1,2,3]", 2.0),
                  fault("heal", "heal", 3.0),
                  fault("restart", "restart 1", 4.0)]
        windows, instants = knhk_plot.fault_windows(faults, 6.0)
        self.assertEqual(windows, [(0.0, 6.0, "byzantine", "byzantine 2 silent"),
                                   (0.5, 0.7, "drop", "drop *->* p=0.2"),
                                   (1.0, 4.0, "crash", "crash 1"),
                                   (1.5, 6.0, "crash", "crash 3"),
                                   (2.0, 3.0, "partition", "partition [0] [1,2,3]")])
        self.assertEqual(instants, [(3.0, "heal"), (4.0, "restart 1")])

    def test_bin_edges_cover_the_run_exactly(self):
        sys.path.insert(0, util.PLOT_DIR)
        import knhk_plot

        self.assertEqual(list(knhk_plot.bin_edges(6.0, 0.2).round(9))[-2:], [5.8, 6.0])
        self.assertEqual(len(knhk_plot.bin_edges(6.0, 0.2)), 31)
        self.assertEqual(list(knhk_plot.bin_edges(1.05, 0.5)), [0.0, 0.5, 1.0, 1.5])


    def test_binned_percentiles_leave_empty_bins_empty(self):
        sys.path.insert(0, util.PLOT_DIR)
        import knhk_plot
        import numpy as np

        p50, p99 = knhk_plot.binned_percentiles(
            np.array([0.1, 0.2, 1.5]), np.array([10.0, 20.0, 30.0]),
            np.array([0.0, 1.0, 2.0, 3.0]), [50, 99])
        self.assertEqual(list(p50[:2]), [15.0, 30.0])
        self.assertAlmostEqual(p99[0], 19.9)
        self.assertTrue(np.isnan(p50[2]) and np.isnan(p99[2]))


if __name__ == "__main__":
    unittest.main(verbosity=2)

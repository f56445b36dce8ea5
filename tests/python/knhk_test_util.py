"""Shared helpers of the Python tests: where things are, running the knhk binary, and
checking that a PNG file holds a real plot."""

import os
import struct
import subprocess

SOURCE_DIR = os.environ.get("KNHK_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(os.path.dirname(
                                os.path.abspath(__file__)))))
KNHK = os.environ.get("KNHK_BINARY", os.path.join(SOURCE_DIR, "build", "release", "cli", "knhk"))
PLOT_DIR = os.path.join(SOURCE_DIR, "analysis", "python")
EXAMPLES = os.path.join(SOURCE_DIR, "scenarios", "examples")


def example(path):
    return os.path.join(EXAMPLES, path)


def knhk(*args, env=None, cwd=None):
    """Runs `knhk ARGS...`; returns the CompletedProcess (text output)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([KNHK, *args], capture_output=True, text=True, env=full_env, cwd=cwd,
                          timeout=300)


def png_problem(path, min_bytes=8000):
    """None if `path` is a PNG of a real plot, else what is wrong with it."""
    if not os.path.isfile(path):
        return "missing"
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    if width < 300 or height < 200:
        return "only %dx%d pixels" % (width, height)
    if len(data) < min_bytes:
        return "only %d bytes" % len(data)
    import matplotlib.image
    pixels = matplotlib.image.imread(path)[:, :, :3]
    inked = (pixels.sum(axis=2) < 2.9).mean()  # fraction of pixels that are not white
    colours = len({tuple(p) for p in (pixels[::7, ::7].reshape(-1, 3) * 255).astype(int)})
    if inked < 0.02 or colours < 8:
        return "nearly blank (%.1f%% inked, %d colours)" % (100 * inked, colours)
    return None

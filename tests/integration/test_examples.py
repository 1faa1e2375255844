"""Every configuration the repository ships passes `logpulse --check`, and the demo's
rules match what its generator writes."""

import os
import subprocess
import tempfile
import unittest

import harness

REPO = os.environ.get("LOGPULSE_SOURCE_DIR") or harness.REPO


class Examples(unittest.TestCase):
    def check(self, path):
        result = harness.run_cli(["-c", path, "--check"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.strip(), b"ok")

    def test_shipped_configs_are_valid(self):
        for rel in ("examples/logpulse.yaml", "examples/access.yaml", "deploy/docker/logpulse.yaml"):
            with self.subTest(rel):
                self.check(os.path.join(REPO, rel))

    def test_demo_config_matches_its_generator(self):
        with tempfile.TemporaryDirectory() as tmp:
            os.mkdir(os.path.join(tmp, "logs"))
            with open(os.path.join(REPO, "examples/demo/logpulse.yaml")) as f:
                text = f.read().replace("@DEMO_DIR@", tmp).replace("@LISTEN@", "127.0.0.1:0")
            cfg = os.path.join(tmp, "demo.yaml")
            with open(cfg, "w") as f:
                f.write(text)
            self.check(cfg)
            log = os.path.join(tmp, "logs", "access.log")
            env = dict(os.environ, GEN_RATE="500", GEN_BACKFILL="200")
            gen = subprocess.Popen(["bash", os.path.join(REPO, "examples/demo/gen-log.sh"), log],
                                   env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            try:
                def written():
                    with open(log, "rb") as f:
                        return f.read().count(b"\n") >= 400
                harness.wait_for(written, timeout=30, message="the demo generator wrote too little")
            finally:
                gen.terminate()
                gen.wait(10)
            with open(log, "rb") as f:
                data = f.read()
            out = harness.run_cli(["-c", cfg, "--once"])
            self.assertEqual(out.returncode, 0, out.stderr)
            m = harness.Metrics(harness.parse_metrics(out.stdout.decode()))
            read = m.get_value("logpulse_lines_read_total", source="nginx")
            matched = m.get_value("logpulse_lines_matched_total", rule="access")
            self.assertEqual(read, data.count(b"\n"))   # a partial last line is held
            # The generator writes a little junk on purpose, at random: a bound, not a count.
            self.assertGreater(matched, 0.95 * read)
            self.assertEqual(m.get_value("logpulse_timestamp_errors_total", rule="access"), 0)


if __name__ == "__main__":
    harness.main()

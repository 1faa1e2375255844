"""`cmake --install` installs the binary, the systemd unit, an example configuration under
etc/logpulse (/etc/logpulse when the prefix is /usr) and the README; the unit passes
`systemd-analyze verify` and keeps an exposure of 2.0 or better in
`systemd-analyze security --offline=true`.

The build tree is the directory of LOGPULSE_BIN (CMAKE_RUNTIME_OUTPUT_DIRECTORY is the
build directory)."""

import filecmp
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

UNIT = os.path.join(harness.REPO, "systemd", "logpulse.service")
EXAMPLE = os.path.join(harness.REPO, "examples", "logpulse.yaml")
README = os.path.join(harness.REPO, "README.md")
MAX_EXPOSURE = 2.0


def build_dir(tc):
    path = os.path.dirname(os.path.abspath(harness.require_binary(tc)))
    if not os.path.isfile(os.path.join(path, "CMakeCache.txt")):
        tc.fail("%s is not a CMake build directory (LOGPULSE_BIN=%s)" % (path, harness.binary()))
    return path


def systemd_analyze(tc):
    tool = shutil.which("systemd-analyze")
    if not tool:  # package systemd, which scripts/install-deps.sh --test installs
        tc.fail("systemd-analyze not found: run scripts/install-deps.sh --test")
    return tool


class Install(unittest.TestCase):
    def setUp(self):
        self.build = build_dir(self)
        self.tmp = tempfile.mkdtemp(prefix="logpulse-install-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def install(self, prefix, destdir=None):
        env = dict(os.environ)
        if destdir:
            env["DESTDIR"] = destdir
        result = subprocess.run(["cmake", "--install", self.build, "--prefix", prefix],
                                capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout

    @staticmethod
    def exec_start(unit_path):
        with open(unit_path) as f:
            return re.search(r"^ExecStart=(.*)$", f.read(), re.M).group(1)

    def test_install_into_a_prefix(self):
        prefix = os.path.join(self.tmp, "prefix")
        self.install(prefix)
        binary = os.path.join(prefix, "bin", "logpulse")
        config = os.path.join(prefix, "etc", "logpulse", "logpulse.yaml")
        unit = os.path.join(prefix, "lib", "systemd", "system", "logpulse.service")
        readme = os.path.join(prefix, "share", "doc", "logpulse", "README.md")

        self.assertTrue(os.access(binary, os.X_OK), binary)
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout, r"^logpulse \d+\.\d+\.\d+")
        self.assertTrue(filecmp.cmp(config, EXAMPLE, shallow=False))
        self.assertTrue(filecmp.cmp(readme, README, shallow=False))
        check = subprocess.run([binary, "-c", config, "--check"], capture_output=True, text=True, timeout=30)
        self.assertEqual((check.returncode, check.stdout), (0, "ok\n"), check.stderr)
        # The installed unit runs the installed binary on the installed configuration.
        self.assertEqual(self.exec_start(unit), "%s -c %s" % (binary, config))

        # systemd-analyze verify also checks that ExecStart's binary exists and runs.
        verify = subprocess.run([systemd_analyze(self), "verify", unit],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual((verify.returncode, verify.stdout + verify.stderr), (0, ""))

        # A reinstall (an upgrade) keeps the operator's configuration.
        with open(config, "a") as f:
            f.write("# edited by the operator\n")
        out = self.install(prefix)
        self.assertIn("Keeping: " + config, out)
        with open(config) as f:
            self.assertTrue(f.read().endswith("# edited by the operator\n"))

    def test_prefix_usr_puts_the_configuration_in_etc(self):
        destdir = os.path.join(self.tmp, "root")
        self.install("/usr", destdir=destdir)
        self.assertTrue(os.access(os.path.join(destdir, "usr/bin/logpulse"), os.X_OK))
        self.assertTrue(filecmp.cmp(os.path.join(destdir, "etc/logpulse/logpulse.yaml"), EXAMPLE, shallow=False))
        self.assertFalse(os.path.exists(os.path.join(destdir, "usr/etc")))
        self.assertTrue(os.path.isfile(os.path.join(destdir, "usr/share/doc/logpulse/README.md")))
        unit = os.path.join(destdir, "usr/lib/systemd/system/logpulse.service")
        self.assertEqual(self.exec_start(unit), "/usr/bin/logpulse -c /etc/logpulse/logpulse.yaml")


class SystemdUnit(unittest.TestCase):
    def test_exposure_is_at_most_2(self):
        result = subprocess.run([systemd_analyze(self), "security", "--offline=true", UNIT],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        m = re.search(r"Overall exposure level for logpulse\.service: (\d+\.\d+)", result.stdout)
        self.assertIsNotNone(m, result.stdout[-2000:])
        exposure = float(m.group(1))
        self.assertLessEqual(exposure, MAX_EXPOSURE, result.stdout)

    def test_unit_keeps_what_logpulse_needs(self):
        with open(UNIT) as f:
            settings = {}
            for line in f:
                key, sep, value = line.strip().partition("=")
                if sep and not key.startswith("#"):
                    settings.setdefault(key, []).append(value)
        # sd_notify: READY/WATCHDOG/STOPPING from the main process; a watchdog to feed.
        self.assertEqual(settings["Type"], ["notify"])
        self.assertEqual(settings["NotifyAccess"], ["main"])
        self.assertIn("WatchdogSec", settings)
        # /var/log is readable (group adm) but not writable; the state directory is.
        self.assertEqual(settings["SupplementaryGroups"], ["adm"])
        self.assertEqual(settings["ProtectSystem"], ["strict"])
        self.assertEqual(settings["StateDirectory"], ["logpulse"])
        self.assertNotIn("PrivateUsers", settings)  # it would hide group adm's files
        self.assertEqual(settings["RestrictAddressFamilies"], ["AF_UNIX AF_INET AF_INET6"])


if __name__ == "__main__":
    harness.main()

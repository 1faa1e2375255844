"""The deployment files are checked (issue 9): every YAML and JSON file under deploy/
parses; `promtool check config` accepts the Prometheus configurations and `amtool
check-config` the Alertmanager ones; every logpulse configuration in the repository (files,
Kubernetes ConfigMaps, the one the compose file mounts) passes `logpulse --check`; the
Grafana dashboards and the Prometheus alert rules only query metrics that exist; the
Kubernetes manifests keep the probes and volumes logpulse relies on.

Needs PyYAML (python3-yaml), promtool (prometheus) and amtool (prometheus-alertmanager):
scripts/install-deps.sh --test installs them."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness
import tls_support

try:
    import yaml
except ImportError:  # pragma: no cover - reported as a failure below
    yaml = None

REPO = os.environ.get("LOGPULSE_SOURCE_DIR") or harness.REPO
DEPLOY = os.path.join(REPO, "deploy")
SKIP_DIRS = {".git", "tests", "build"}
# Placeholders scripts/demo.sh fills in examples/demo/logpulse.yaml.
PLACEHOLDERS = {"@LISTEN@": "127.0.0.1:0", "@DEMO_DIR@": "/tmp/logpulse-demo"}
# Where a logpulse configuration must be found; a file that moves is a test to update.
EXPECTED_CONFIGS = {
    "examples/logpulse.yaml", "examples/access.yaml", "examples/demo/logpulse.yaml",
    "deploy/docker/logpulse.yaml", "deploy/compose/logpulse.yaml",
    "deploy/kubernetes/sidecar.yaml#ConfigMap/web-logpulse",
    "deploy/kubernetes/daemonset.yaml#ConfigMap/node-logpulse",
    "deploy/kubernetes/daemonset-remote-write.yaml#ConfigMap/node-logpulse-remote-write",
}
# What the manifests take from their environment: ${NODE_NAME} (the downward API's
# spec.nodeName), and the files of a Secret mounted at /etc/logpulse/tls/, which the test
# replaces with certificates it makes (tls_support.Pki).
CHECK_ENV = {"NODE_NAME": "node-1"}
SECRET_DIR = "/etc/logpulse/tls/"
# Metrics of Prometheus itself that rules may use.
PROMETHEUS_METRICS = {"up", "ALERTS", "ALERTS_FOR_STATE"}
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset",
                   "bool", "and", "or", "unless", "inf", "nan"}


def need_yaml(tc):
    if yaml is None:
        tc.fail("PyYAML missing: run scripts/install-deps.sh --test (python3-yaml)")


def tool(tc, name, package):
    path = shutil.which(name)
    if not path:
        tc.fail("%s not found: run scripts/install-deps.sh --test (%s)" % (name, package))
    return path


def rel(path):
    return os.path.relpath(path, REPO)


def files_under(top, suffixes):
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and
                         not os.path.exists(os.path.join(root, d, "CMakeCache.txt")))
        for name in sorted(files):
            if name.endswith(suffixes):
                yield os.path.join(root, name)


def load_yaml_documents(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def is_logpulse_config(doc):
    return isinstance(doc, dict) and "sources" in doc and "scrape_configs" not in doc


def logpulse_configs():
    """{origin: configuration text}: files with top-level `sources`, ConfigMap entries
    named logpulse.yaml, and the file the compose file mounts at /etc/logpulse/."""
    found = {}
    for path in files_under(REPO, (".yaml", ".yml")):
        docs = load_yaml_documents(path)
        for doc in docs:
            if is_logpulse_config(doc):
                with open(path) as f:
                    found[rel(path)] = f.read()
            if isinstance(doc, dict) and doc.get("kind") == "ConfigMap":
                text = (doc.get("data") or {}).get("logpulse.yaml")
                if text is not None:
                    found["%s#ConfigMap/%s" % (rel(path), doc["metadata"]["name"])] = text
            if isinstance(doc, dict) and "services" in doc:
                for volume in compose_logpulse_mounts(doc):
                    source = os.path.normpath(os.path.join(os.path.dirname(path), volume))
                    with open(source) as f:
                        found[rel(source)] = f.read()
    for origin, text in found.items():
        for key, value in PLACEHOLDERS.items():
            text = text.replace(key, value)
        found[origin] = text
    return found


def compose_logpulse_mounts(compose):
    """Host paths of the files compose services mount as /etc/logpulse/logpulse.yaml."""
    out = []
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            parts = volume.split(":")
            if len(parts) >= 2 and parts[1] == "/etc/logpulse/logpulse.yaml":
                out.append(parts[0])
    return out


def promql_metric_names(expr):
    """Metric names a PromQL expression selects (Grafana variables allowed)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)                 # string literals
    e = re.sub(r"\{[^}]*\}", "", e)                                # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                               # range selectors
    e = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    e = re.sub(r"\$\{?\w+\}?", "", e)                             # $var, ${var}
    names = set()
    for m in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", e):
        if e[m.end():].lstrip().startswith("("):
            continue                                                # a function
        if m.group(0).lower() in PROMQL_KEYWORDS:
            continue
        names.add(m.group(0))
    return names


def readme_self_metrics():
    with open(os.path.join(REPO, "README.md")) as f:
        text = f.read()
    section = text.split("### Self-metrics", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\s+(logpulse_\w+)", section, re.M))


def rule_metric_names(configs):
    names = set()
    for text in configs.values():
        config = yaml.safe_load(text)
        for rule in config.get("rules") or []:
            for metric in rule.get("metrics") or []:
                name, kind = metric["name"], metric.get("type")
                names.add(name)
                if kind == "histogram":
                    names.update(name + s for s in ("_bucket", "_sum", "_count"))
                if kind == "summary":
                    names.update(name + s for s in ("_sum", "_count"))
        for window in config.get("windows") or []:
            names.add(window["name"])
    return names


def grafana_queries(dashboard):
    """(where, PromQL) for every panel target and query variable, rows' panels included."""
    def panels(items):
        for panel in items:
            yield panel
            yield from panels(panel.get("panels", []))
    for panel in panels(dashboard.get("panels", [])):
        for target in panel.get("targets", []):
            if "expr" in target:
                yield "panel %r %s" % (panel.get("title"), target.get("refId")), target["expr"]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        m = re.fullmatch(r"\s*label_values\(\s*(.+?)\s*,\s*\w+\s*\)\s*", query or "")
        yield "variable %r" % variable["name"], m.group(1) if m else query


class DeployFiles(unittest.TestCase):
    def setUp(self):
        need_yaml(self)

    def test_every_yaml_and_json_file_under_deploy_parses(self):
        count = 0
        for path in files_under(DEPLOY, (".yaml", ".yml", ".json")):
            with self.subTest(rel(path)):
                if path.endswith(".json"):
                    with open(path) as f:
                        json.load(f)
                else:
                    self.assertTrue(load_yaml_documents(path), "no document in %s" % path)
                count += 1
        self.assertGreaterEqual(count, 10)

    def prometheus_configs(self):
        return [p for p in files_under(DEPLOY, (".yml", ".yaml"))
                if any(isinstance(d, dict) and "scrape_configs" in d for d in load_yaml_documents(p))]

    def test_promtool_accepts_the_prometheus_configurations(self):
        promtool = tool(self, "promtool", "prometheus")
        configs = self.prometheus_configs()
        self.assertEqual(sorted(map(rel, configs)),
                         ["deploy/prometheus/compose.yml", "deploy/prometheus/prometheus.yml"])
        for path in configs:
            with self.subTest(rel(path)):
                result = subprocess.run([promtool, "check", "config", path],
                                        capture_output=True, text=True, timeout=60)
                self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
                self.assertIn("SUCCESS: 1 rule files found", result.stdout)

    def test_amtool_accepts_the_alertmanager_configurations(self):
        amtool = tool(self, "amtool", "prometheus-alertmanager")
        configs = [p for p in files_under(DEPLOY, (".yml", ".yaml"))
                   if any(isinstance(d, dict) and "receivers" in d and "route" in d
                          for d in load_yaml_documents(p))]
        self.assertEqual(list(map(rel, configs)), ["deploy/alertmanager/alertmanager.yml"])
        for path in configs:
            result = subprocess.run([amtool, "check-config", path],
                                    capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn("SUCCESS", result.stdout)

    def test_every_logpulse_configuration_passes_check(self):
        harness.require_binary(self)
        configs = logpulse_configs()
        self.assertTrue(EXPECTED_CONFIGS <= set(configs), sorted(EXPECTED_CONFIGS - set(configs)))
        with tempfile.TemporaryDirectory() as tmp:
            # The Secret: ca.crt, tls.crt and tls.key as `kubectl create secret` names them.
            secret = os.path.join(tmp, "secret")
            tls_support.Pki(secret, name="ca").issue("tls", serial=1, client=True)
            env = dict(os.environ, **CHECK_ENV)
            for n, (origin, text) in enumerate(sorted(configs.items())):
                with self.subTest(origin):
                    path = os.path.join(tmp, "config%d.yaml" % n)
                    with open(path, "w") as f:
                        f.write(text.replace(SECRET_DIR, secret + "/"))
                    result = harness.run_cli(["-c", path, "--check"], env=env)
                    self.assertEqual((result.returncode, result.stdout), (0, b"ok\n"),
                                     "%s: %s" % (origin, result.stderr.decode()))

    def known_metrics(self):
        self_metrics = readme_self_metrics()
        self.assertIn("logpulse_lines_read_total", self_metrics)
        return self_metrics | rule_metric_names(logpulse_configs()) | PROMETHEUS_METRICS

    def test_grafana_queries_name_metrics_that_exist(self):
        known = self.known_metrics()
        dashboards = list(files_under(os.path.join(DEPLOY, "grafana"), (".json",)))
        self.assertEqual(list(map(rel, dashboards)), ["deploy/grafana/logpulse-dashboard.json"])
        with open(dashboards[0]) as f:
            dashboard = json.load(f)
        used = set()
        queries = list(grafana_queries(dashboard))
        self.assertGreaterEqual(len(queries), 15)
        for where, expr in queries:
            names = promql_metric_names(expr)
            self.assertTrue(names, "%s: no metric in %r" % (where, expr))
            self.assertEqual(names - known, set(), "%s: %r" % (where, expr))
            used |= names
        # Both kinds are on the dashboard: self-metrics and rule metrics.
        self.assertIn("logpulse_lines_read_total", used)
        self.assertIn("http_request_duration_seconds_bucket", used)

    def test_prometheus_alert_rules_name_metrics_that_exist(self):
        known = self.known_metrics()
        rules = load_yaml_documents(os.path.join(DEPLOY, "prometheus", "logpulse-alerts.yml"))[0]
        count = 0
        for group in rules["groups"]:
            for rule in group["rules"]:
                names = promql_metric_names(rule["expr"])
                self.assertTrue(names, rule["alert"])
                self.assertEqual(names - known, set(), "%s: %r" % (rule["alert"], rule["expr"]))
                count += 1
        self.assertGreaterEqual(count, 5)

    def test_the_metric_name_extraction(self):
        self.assertEqual(promql_metric_names(
            'histogram_quantile(0.9, sum by (le) (rate(a_bucket{x=~"$i",s="5.."}[$__rate_interval])))'),
            {"a_bucket"})
        self.assertEqual(promql_metric_names(
            "sum by (i) (rate(a[5m])) > 100e6 and on (i) b offset 5m == 0"), {"a", "b"})


class KubernetesManifests(unittest.TestCase):
    def setUp(self):
        need_yaml(self)

    def objects(self, name):
        docs = load_yaml_documents(os.path.join(DEPLOY, "kubernetes", name))
        return {(d["kind"], d["metadata"]["name"]): d for d in docs}

    @staticmethod
    def logpulse_container(workload):
        spec = workload["spec"]["template"]["spec"]
        containers = [c for c in spec["containers"] if c["name"] == "logpulse"]
        return spec, containers[0]

    def assert_probes_and_monitor(self, objects, workload):
        spec, container = self.logpulse_container(workload)
        self.assertEqual(container["livenessProbe"]["httpGet"]["path"], "/-/healthy")
        self.assertEqual(container["readinessProbe"]["httpGet"]["path"], "/-/ready")
        port = container["livenessProbe"]["httpGet"]["port"]
        self.assertEqual([p["containerPort"] for p in container["ports"] if p["name"] == port], [9273])
        monitors = [o for (kind, _), o in objects.items() if kind == "PodMonitor"]
        self.assertEqual(len(monitors), 1)
        monitor = monitors[0]["spec"]
        self.assertEqual(monitor["selector"]["matchLabels"], workload["spec"]["selector"]["matchLabels"])
        self.assertEqual([e["port"] for e in monitor["podMetricsEndpoints"]], [port])
        return spec, container

    def test_sidecar_shares_an_emptydir_with_the_app(self):
        objects = self.objects("sidecar.yaml")
        workload = objects[("Deployment", "web")]
        spec, logpulse = self.assert_probes_and_monitor(objects, workload)
        volumes = {v["name"]: v for v in spec["volumes"]}
        app = [c for c in spec["containers"] if c["name"] != "logpulse"][0]
        shared = {m["name"] for m in app["volumeMounts"]} & {m["name"] for m in logpulse["volumeMounts"]}
        self.assertEqual([n for n in shared if "emptyDir" in volumes[n]], ["logs"])

    def test_daemonset_reads_var_log_and_keeps_state_on_the_node(self):
        objects = self.objects("daemonset.yaml")
        workload = objects[("DaemonSet", "logpulse-node")]
        spec, container = self.assert_probes_and_monitor(objects, workload)
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        varlog = mounts["/var/log"]
        self.assertTrue(varlog.get("readOnly"))
        self.assertEqual(volumes[varlog["name"]]["hostPath"]["path"], "/var/log")
        config = yaml.safe_load(objects[("ConfigMap", "node-logpulse")]["data"]["logpulse.yaml"])
        state = mounts[config["state_dir"]]
        self.assertFalse(state.get("readOnly", False))
        self.assertIn("hostPath", volumes[state["name"]])

    def test_remote_write_daemonset_pushes_over_https_labelled_by_node(self):
        objects = self.objects("daemonset-remote-write.yaml")
        workload = objects[("DaemonSet", "logpulse-node-rw")]
        spec, container = self.logpulse_container(workload)
        self.assertEqual(container["livenessProbe"]["httpGet"]["path"], "/-/healthy")
        self.assertEqual(container["readinessProbe"]["httpGet"]["path"], "/-/ready")
        config = yaml.safe_load(objects[("ConfigMap", "node-logpulse-remote-write")]["data"]["logpulse.yaml"])
        [receiver] = config["remote_write"]
        self.assertTrue(receiver["url"].startswith("https://"), receiver["url"])
        # ${NODE_NAME} comes from the downward API.
        self.assertIn("${NODE_NAME}", receiver["external_labels"].values())
        env = {e["name"]: e for e in container["env"]}
        self.assertEqual(env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName")
        # The TLS files are the mounted Secret's.
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        tls_mount = mounts[SECRET_DIR.rstrip("/")]
        self.assertIn("secret", volumes[tls_mount["name"]])
        for key in ("ca_file", "cert_file", "key_file"):
            self.assertTrue(receiver["tls_config"][key].startswith(SECRET_DIR), key)
        # Checkpoints and the remote-write queue survive pod restarts on the node.
        state = mounts[config["state_dir"]]
        self.assertFalse(state.get("readOnly", False))
        self.assertIn("hostPath", volumes[state["name"]])


if __name__ == "__main__":
    harness.main()

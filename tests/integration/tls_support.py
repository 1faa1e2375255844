"""Certificates for the web (TLS, basic auth) tests, made with the `openssl` command.

A test CA signs server certificates (SAN 127.0.0.1 and localhost) and client certificates;
`openssl ca -startdate/-enddate` makes an expired one without faking the clock. Keys are
P-256, quick to make. Python's `ssl` and `http.client` speak to the daemon.
"""
import base64
import http.client
import os
import shutil
import socket
import ssl
import subprocess

import harness

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
# htpasswd -nbBC 4 prometheus s3cret (cost 4 keeps the tests fast; $2y$ as htpasswd writes it)
USER = "prometheus"
PASSWORD = "s3cret"
HASH = None  # made by bcrypt_hash() at import: Python's crypt module reads libcrypt like logpulse


def bcrypt_hash(password, cost=4):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** cost)).replace("$2b$", "$2y$", 1)


HASH = bcrypt_hash(PASSWORD)

CA_CNF = """
[ca]
default_ca = test_ca
[test_ca]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[anything]
commonName = supplied
"""

SERVER_EXT = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
CLIENT_EXT = "extendedKeyUsage=clientAuth\n"


def run_openssl(*args, cwd):
    r = subprocess.run([OPENSSL] + list(args), cwd=cwd, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("openssl %s failed: %s" % (" ".join(args), r.stderr.decode(errors="replace")))
    return r.stdout


class Pki:
    """A CA in `directory` and the certificates it signs there."""

    def __init__(self, directory, name="ca"):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.ca_key = os.path.join(directory, name + ".key")
        self.ca_crt = os.path.join(directory, name + ".crt")
        run_openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", self.ca_key, "-out", self.ca_crt, "-days", "30",
                    "-subj", "/CN=logpulse test " + name, cwd=directory)
        with open(os.path.join(directory, "ext.server"), "w") as f:
            f.write(SERVER_EXT)
        with open(os.path.join(directory, "ext.client"), "w") as f:
            f.write(CLIENT_EXT)

    def issue(self, name, serial, client=False):
        """-> (cert path, key path) of a certificate valid for 30 days with this serial."""
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        crt = os.path.join(self.dir, name + ".crt")
        run_openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", csr, "-subj", "/CN=" + ("client" if client else "localhost"),
                    cwd=self.dir)
        run_openssl("x509", "-req", "-in", csr, "-CA", self.ca_crt, "-CAkey", self.ca_key,
                    "-set_serial", str(serial), "-days", "30",
                    "-extfile", os.path.join(self.dir, "ext.client" if client else "ext.server"),
                    "-out", crt, cwd=self.dir)
        return crt, key

    def issue_expired(self, name):
        """A server certificate valid only on 1 January 2020."""
        key = os.path.join(self.dir, name + ".key")
        csr = os.path.join(self.dir, name + ".csr")
        crt = os.path.join(self.dir, name + ".crt")
        run_openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", csr, "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", cwd=self.dir)
        open(os.path.join(self.dir, "index.txt"), "w").close()
        with open(os.path.join(self.dir, "serial"), "w") as f:
            f.write("2020\n")
        cnf = os.path.join(self.dir, "ca.cnf")
        with open(cnf, "w") as f:
            f.write(CA_CNF.format(dir=self.dir))
        run_openssl("ca", "-batch", "-config", cnf, "-cert", self.ca_crt, "-keyfile", self.ca_key,
                    "-in", csr, "-out", crt, "-startdate", "20200101000000Z", "-enddate", "20200102000000Z",
                    cwd=self.dir)
        return crt, key


def client_context(ca, cert=None, key=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def auth_header(user=USER, password=PASSWORD):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}


def https_get(port, path, ctx, headers=None, timeout=5.0, method="GET"):
    """-> (status, headers dict lower-cased, body bytes) over a new TLS connection."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


# exporter-toolkit's version names -> Python's; below TLS 1.2 Python warns that they are deprecated.
TLS_VERSIONS = ("TLS10", "TLS11", "TLS12", "TLS13")
_PY_VERSIONS = dict(zip(TLS_VERSIONS, ("TLSv1", "TLSv1_1", "TLSv1_2", "TLSv1_3")))


def version_client(ca, version, ciphers=None):
    """A client that speaks only `version` (TLS10 .. TLS13), offering only `ciphers` (OpenSSL
    names, TLS 1.2 and below) if given. Its security level is 0: OpenSSL 3 refuses TLS 1.0 and
    1.1 at level 1 and above, on the client's side as on the server's."""
    import warnings
    ctx = client_context(ca)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ctx.maximum_version = getattr(ssl.TLSVersion, _PY_VERSIONS[version])
    ctx.set_ciphers((ciphers or "DEFAULT") + ":@SECLEVEL=0")
    return ctx


def handshake(port, ctx):
    """-> (protocol, cipher) of a new TLS connection, as Python names them ("TLSv1.2",
    "ECDHE-ECDSA-AES128-GCM-SHA256"); raises ssl.SSLError when the server refuses it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.version(), tls.cipher()[0]


def s_client(port, ca, *args):
    """`openssl s_client -brief ARGS` to the daemon -> (exit code, output): for what Python's
    ssl cannot choose, the TLS 1.3 cipher suites (-ciphersuites)."""
    r = subprocess.run([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % port, "-servername", "localhost",
                        "-CAfile", ca, "-verify_return_error", "-brief"] + list(args),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    return r.returncode, (r.stdout + r.stderr).decode(errors="replace")


def peer_serial(port, ctx):
    """The serial number of the certificate the server presents to a new connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            der = tls.getpeercert(binary_form=True)
    out = subprocess.run([OPENSSL, "x509", "-inform", "DER", "-noout", "-serial"], input=der,
                         capture_output=True, timeout=30, check=True).stdout.decode()
    return int(out.strip().split("=", 1)[1], 16)


def replace_file(src, dst):
    """Atomically puts a copy of `src` at `dst` (as a certificate renewal tool would)."""
    tmp = dst + ".new"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def web_config(cert, key, **tls):
    conf = {"cert_file": cert, "key_file": key}
    conf.update(tls)
    return conf


def wait_https(daemon, port, ctx, timeout=harness.WAIT):
    """Wait until the daemon answers over TLS (whatever the status)."""
    def ok():
        daemon._check_alive()
        return https_get(port, "/-/healthy", ctx)[0] in (200, 401)
    harness.wait_for(ok, timeout, message="no TLS answer", on_timeout=daemon.stderr_tail)

"""Certificates made at test time with the openssl command line.

The tests need a throwaway "public" root (what the system store would
trust on the internet), server certificates for fake public hosts, and
deliberately bad ones: expired, issued for another name, self-signed, or
issued by a root pullgate does not trust. `openssl ca` is used for every
issued certificate because it is the one OpenSSL 3.0 command that sets
arbitrary validity dates (an expired certificate needs dates in the past).
All keys are ECDSA P-256, which is quick to generate.
"""

import datetime
import os
import secrets

from . import procs

_TIMEOUT = 30

_CA_CONF = """\
[ ca ]
default_ca = test_ca
[ test_ca ]
database = {dir}/index.txt
new_certs_dir = {dir}/issued
serial = {dir}/serial
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
email_in_dn = no
[ any_name ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ root ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
"""


def openssl(*args, input=None, timeout=_TIMEOUT):
    """Run `openssl ARGS`; returns its stdout (text)."""
    return procs.run(["openssl", *args], timeout, input=input).stdout


class Certificate:
    """A certificate and its key, as PEM files."""

    def __init__(self, cert_path, key_path):
        self.cert_path = cert_path
        self.key_path = key_path

    def text(self):
        return openssl("x509", "-in", self.cert_path, "-noout", "-text")


def _utc(days_from_now):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=days_from_now)
    return when.strftime("%Y%m%d%H%M%SZ")


def _san(dns, ips):
    entries = [f"DNS:{d}" for d in dns] + [f"IP:{i}" for i in ips]
    return ",".join(entries)


def _new_key(path):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
    os.chmod(path, 0o600)


class CertificateAuthority(Certificate):
    """A root CA in `directory` (created) that issues leaf certificates."""

    def __init__(self, directory, name="pullgate e2e public root"):
        os.makedirs(os.path.join(directory, "issued"), exist_ok=True)
        self.directory = directory
        self.conf = os.path.join(directory, "openssl.cnf")
        with open(self.conf, "w") as f:
            f.write(_CA_CONF.format(dir=directory))
        open(os.path.join(directory, "index.txt"), "w").close()
        with open(os.path.join(directory, "serial"), "w") as f:
            f.write(secrets.token_hex(8) + "\n")
        super().__init__(os.path.join(directory, "ca.crt"), os.path.join(directory, "ca.key"))
        _new_key(self.key_path)
        openssl("req", "-config", self.conf, "-new", "-x509", "-key", self.key_path,
                "-subj", f"/CN={name}", "-days", "30", "-extensions", "root",
                "-out", self.cert_path)

    def issue(self, name, *, dns=None, ips=(), valid_from_days=0, valid_to_days=30,
              file_stem=None):
        """A server certificate for `name`, with SANs `dns` (default
        [name]) and `ips`. Negative valid_to_days gives an expired one."""
        dns = [name] if dns is None else list(dns)
        stem = os.path.join(self.directory, file_stem or name)
        key, csr, cert, ext = stem + ".key", stem + ".csr", stem + ".crt", stem + ".ext"
        _new_key(key)
        openssl("req", "-config", self.conf, "-new", "-key", key, "-subj", f"/CN={name}",
                "-out", csr)
        with open(ext, "w") as f:
            f.write("[ leaf ]\nbasicConstraints = critical,CA:FALSE\n"
                    "keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n")
            san = _san(dns, ips)
            if san:
                f.write(f"subjectAltName = {san}\n")
        openssl("ca", "-batch", "-config", self.conf, "-cert", self.cert_path,
                "-keyfile", self.key_path, "-in", csr, "-out", cert, "-notext",
                "-startdate", _utc(valid_from_days), "-enddate", _utc(valid_to_days),
                "-extfile", ext, "-extensions", "leaf")
        return Certificate(cert, key)


def self_signed(directory, name, *, dns=None, ips=()):
    """A self-signed server certificate (not a CA) for `name`."""
    os.makedirs(directory, exist_ok=True)
    dns = [name] if dns is None else list(dns)
    stem = os.path.join(directory, f"self-signed-{name}")
    conf = stem + ".cnf"
    with open(conf, "w") as f:
        f.write("[ req ]\ndistinguished_name = dn\nprompt = no\nx509_extensions = leaf\n"
                f"[ dn ]\nCN = {name}\n"
                "[ leaf ]\nbasicConstraints = critical,CA:FALSE\n"
                "keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n"
                f"subjectAltName = {_san(dns, ips)}\n")
    _new_key(stem + ".key")
    openssl("req", "-config", conf, "-new", "-x509", "-key", stem + ".key", "-days", "30",
            "-out", stem + ".crt")
    return Certificate(stem + ".crt", stem + ".key")


def cert_dir(directory, ca_cert_path):
    """A directory holding only `ca.crt`: the form skopeo's --src-cert-dir
    and --dest-cert-dir (containers-certs.d) expect."""
    os.makedirs(directory, exist_ok=True)
    with open(ca_cert_path, "rb") as src, open(os.path.join(directory, "ca.crt"), "wb") as dst:
        dst.write(src.read())
    return directory

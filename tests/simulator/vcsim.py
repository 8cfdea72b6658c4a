"""Start and drive the tenantdr-vcsim launcher (tests/simulator/vcsim) from Python tests.

    from tests.simulator.inventory import sample_inventory
    from tests.simulator.vcsim import VCenterSimulator

    with VCenterSimulator(sample_inventory(), delay_ms=0) as sim:
        module_args = sim.connection_args()      # hostname/port/username/password/validate_certs
        sim.reset_stats()
        ...                                      # talk SOAP to sim.url (self-signed certificate)
        assert sim.soap_calls('SetEntityPermissions') == 3
        assert sim.writes_since_reset() == 3

The binary is built by tests/simulator/build.sh when it is missing or older than its Go sources
(override the binary with $TENANTDR_VCSIM_BIN). Standard library only.

The simulator listens on 127.0.0.2 (a loopback address; falls back to 127.0.0.1 where it cannot be
bound). pyVmomi's SmartConnect silently disables certificate validation for 'localhost', '127.0.0.1'
and '::1' when no sslContext is given (pyVim/connect.py getSslContext); a real vCenter never gets
that exemption, so on 127.0.0.2 validate_certs=true fails against the self-signed certificate as it
would in production.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
BUILD_SCRIPT = os.path.join(HERE, "build.sh")
DEFAULT_BINARY = os.path.join(REPO_ROOT, ".build", "bin", "tenantdr-vcsim")

DEFAULT_USERNAME = "administrator@vsphere.local"
DEFAULT_PASSWORD = "VMware1!"

# AuthorizationManager methods that change permissions or roles.
WRITE_METHODS = (
    "SetEntityPermissions",
    "RemoveEntityPermission",
    "ResetEntityPermissions",
    "AddAuthorizationRole",
    "UpdateAuthorizationRole",
    "RemoveAuthorizationRole",
    "MergePermissions",
)


def default_listen_host():
    """127.0.0.2 if it can be bound here, else 127.0.0.1 (see the module docstring)."""
    for host in ("127.0.0.2", "127.0.0.1"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.bind((host, 0))
            return host
        except OSError:
            continue
    return "127.0.0.1"


class SimulatorError(RuntimeError):
    """The simulator could not be built, started or queried."""


def _sources_newer_than(binary):
    mtime = os.path.getmtime(binary)
    for base, _dirs, files in os.walk(os.path.join(HERE, "vcsim")):
        for f in files:
            if f.endswith(".go") and os.path.getmtime(os.path.join(base, f)) > mtime:
                return True
    return os.path.getmtime(BUILD_SCRIPT) > mtime


def ensure_binary():
    """Return the launcher's path, building it with build.sh if it is missing or stale."""
    override = os.environ.get("TENANTDR_VCSIM_BIN")
    if override:
        if not os.access(override, os.X_OK):
            raise SimulatorError("TENANTDR_VCSIM_BIN=%s is not executable" % override)
        return override
    if os.path.exists(DEFAULT_BINARY) and not _sources_newer_than(DEFAULT_BINARY):
        return DEFAULT_BINARY
    proc = subprocess.run(["sh", BUILD_SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0 or not os.path.exists(DEFAULT_BINARY):
        raise SimulatorError("tests/simulator/build.sh failed (exit %d):\n%s"
                             % (proc.returncode, proc.stdout.decode("utf-8", "replace")[-4000:]))
    return DEFAULT_BINARY


class VCenterSimulator:
    """One tenantdr-vcsim process serving ``inventory`` on a free loopback port over HTTPS."""

    def __init__(self, inventory: dict, delay_ms: int = 0, username: str = DEFAULT_USERNAME,
                 password: str = DEFAULT_PASSWORD, start_timeout: float = 60.0, listen_host: str = None):
        self.inventory = inventory
        self.delay_ms = int(delay_ms)
        self._username = username
        self._password = password
        self.start_timeout = start_timeout
        self.listen_host = listen_host
        self._proc = None
        self._tmpdir = None
        self._url = None
        self._host = None
        self._port = None
        self._log = None
        self.startup_seconds = None  # wall time of the last start(), process launch to /sdk answering

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self):
        if self._proc is not None:
            return self
        binary = ensure_binary()
        self._tmpdir = tempfile.mkdtemp(prefix="tenantdr-vcsim-py-")
        spec_path = os.path.join(self._tmpdir, "inventory.json")
        url_path = os.path.join(self._tmpdir, "url")
        self._log = os.path.join(self._tmpdir, "vcsim.log")
        with open(spec_path, "w") as f:
            json.dump(self.inventory, f)
        listen = self.listen_host or default_listen_host()
        cmd = [binary, "-listen", "%s:0" % listen, "-inventory", spec_path, "-url-file", url_path,
               "-username", self._username, "-password", self._password, "-delay-ms", str(self.delay_ms)]
        started = time.monotonic()
        with open(self._log, "wb") as log:
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        atexit.register(self.stop)
        deadline = started + self.start_timeout
        try:
            while not os.path.exists(url_path):
                if self._proc.poll() is not None:
                    raise SimulatorError("tenantdr-vcsim exited with %s:\n%s" % (self._proc.returncode, self.log_tail()))
                if time.monotonic() > deadline:
                    raise SimulatorError("tenantdr-vcsim did not start within %ss:\n%s" % (self.start_timeout, self.log_tail()))
                time.sleep(0.05)
            with open(url_path) as f:
                self._url = f.read().strip()
            hostport = self._url.split("://", 1)[1].split("/", 1)[0]
            self._host, port = hostport.rsplit(":", 1)
            self._port = int(port)
            self._wait_for_sdk(deadline)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _wait_for_sdk(self, deadline):
        """Poll until the SDK endpoint answers (GET /sdk/vimServiceVersions.xml, as pyVmomi does first)."""
        last = None
        while time.monotonic() < deadline:
            try:
                with self._open("/sdk/vimServiceVersions.xml", timeout=5) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError) as e:
                last = e
            if self._proc.poll() is not None:
                raise SimulatorError("tenantdr-vcsim exited with %s:\n%s" % (self._proc.returncode, self.log_tail()))
            time.sleep(0.05)
        raise SimulatorError("tenantdr-vcsim at %s did not answer: %s\n%s" % (self._url, last, self.log_tail()))

    def stop(self):
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            try:
                atexit.unregister(self.stop)
            except Exception:
                pass
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, limit=4000):
        try:
            with open(self._log, "rb") as f:
                return f.read()[-limit:].decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    # -- connection -----------------------------------------------------------------------------
    def _require(self):
        if self._url is None:
            raise SimulatorError("the simulator is not started")

    @property
    def host(self) -> str:
        self._require()
        return self._host

    @property
    def port(self) -> int:
        self._require()
        return self._port

    @property
    def url(self) -> str:
        """The SDK URL, https://127.0.0.1:PORT/sdk."""
        self._require()
        return self._url

    @property
    def username(self) -> str:
        return self._username

    @property
    def password(self) -> str:
        return self._password

    def connection_args(self, **options) -> dict:
        """The Ansible module connection options for this simulator (self-signed certificate), plus ``options``."""
        args = {"hostname": self.host, "port": self.port, "username": self.username,
                "password": self.password, "validate_certs": False}
        args.update(options)
        return args

    # -- SOAP accounting ------------------------------------------------------------------------
    def _open(self, path, data=None, timeout=10):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        req = urllib.request.Request("https://%s:%d%s" % (self._host, self._port, path), data=data,
                                     method="POST" if data is not None else "GET")
        return urllib.request.urlopen(req, timeout=timeout, context=ctx)

    def stats(self) -> dict:
        """{"total": N, "methods": {"RetrievePropertiesEx": 3, ...}} since start or the last reset."""
        self._require()
        with self._open("/_stats") as r:
            return json.loads(r.read().decode("utf-8"))

    def reset_stats(self):
        self._require()
        with self._open("/_stats/reset", data=b"") as r:
            r.read()

    def soap_calls(self, method: str = None) -> int:
        """SOAP requests since the last reset: all of them, or those of one method."""
        s = self.stats()
        return int(s["total"]) if method is None else int(s["methods"].get(method, 0))

    def inject_fault(self, method: str, kind: str = "drop", count: int = 1) -> list:
        """Make the next ``count`` SOAP calls of ``method`` fail (faults.go): ``drop`` (connection closed before the
        call runs), ``drop_after`` (the call runs, the answer is never sent) or ``503``. Returns the pending faults."""
        self._require()
        data = json.dumps({"method": method, "kind": kind, "count": int(count)}).encode("utf-8")
        with self._open("/_faults", data=data) as r:
            return json.loads(r.read().decode("utf-8"))

    def clear_faults(self):
        self._require()
        with self._open("/_faults/reset", data=b"") as r:
            r.read()

    def writes_since_reset(self) -> int:
        """Permission and role changes (WRITE_METHODS) since the last reset."""
        methods = self.stats()["methods"]
        return sum(int(methods.get(m, 0)) for m in WRITE_METHODS)

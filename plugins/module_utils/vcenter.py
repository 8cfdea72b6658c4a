# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vCenter plumbing for tenantdr.asr: connection, bulk reads and the few writes.

Everything a module needs from vCenter is read in bulk, once per task:

* :func:`read_snapshot` sends one ``RetrievePropertiesEx`` (plus continuation pages) over a
  recursive ContainerView of the whole inventory, the AuthorizationManager (roles and
  privileges) and the CustomFieldsManager (custom attribute names), then one
  ``RetrieveAllPermissions``.  It returns a :class:`Snapshot` of plain data.
* Writes are one ``SetEntityPermissions`` per entity whose permissions differ, one
  ``RemoveEntityPermission`` per permission to drop, and role CRUD calls.

The snapshot is plain Python data (dicts, lists, strings), so the planning code in
``permissions.py``, ``tenant_plan.py`` and ``isolation.py`` is pure and unit-testable.
"""
from __future__ import annotations

import concurrent.futures
import errno
import http.client
import marshal
import random
import socket
import ssl
import sys
import time

from ansible.module_utils.basic import env_fallback

from ansible_collections.tenantdr.asr.plugins.module_utils import vcenter_soap as soap
from ansible_collections.tenantdr.asr.plugins.module_utils.files import write_file_atomically
from ansible_collections.tenantdr.asr.plugins.module_utils.tenant_model import selects_by, vcenter_key

try:
    from pyVim.connect import SmartConnect
    from pyVmomi import vim, vmodl
    HAS_PYVMOMI = True
    PYVMOMI_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module
    HAS_PYVMOMI = False
    PYVMOMI_IMPORT_ERROR = exc
    vim = vmodl = None


class VCenterError(Exception):
    """A vCenter problem worth one clear message (no traceback)."""


def vcenter_argument_spec() -> dict:
    """Connection options; each falls back to the variables AWX's VMware credential injects."""
    return dict(
        hostname=dict(type='str', required=True, fallback=(env_fallback, ['VMWARE_HOST'])),
        username=dict(type='str', required=True, aliases=['user'], fallback=(env_fallback, ['VMWARE_USER'])),
        password=dict(type='str', required=True, aliases=['pass', 'pwd'], no_log=True,
                      fallback=(env_fallback, ['VMWARE_PASSWORD'])),
        port=dict(type='int', default=443, fallback=(env_fallback, ['VMWARE_PORT'])),
        validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['VMWARE_VALIDATE_CERTS'])),
        proxy_host=dict(type='str', fallback=(env_fallback, ['VMWARE_PROXY_HOST'])),
        proxy_port=dict(type='int', fallback=(env_fallback, ['VMWARE_PROXY_PORT'])),
        connection_timeout=dict(type='int', fallback=(env_fallback, ['VMWARE_CONNECTION_TIMEOUT'])),
        retries=dict(type='int', default=4, fallback=(env_fallback, ['TENANTDR_VCENTER_RETRIES'])),
        fast_read=dict(type='bool', default=True),
        fast_write=dict(type='bool', default=True),
        parallel_writes=dict(type='int', default=16, fallback=(env_fallback, ['TENANTDR_VCENTER_PARALLEL_WRITES'])),
    )


# --------------------------------------------------------------------------------------------
# Retries: transient failures around reads and idempotent writes
# --------------------------------------------------------------------------------------------

#: vSphere faults that say "try again" rather than "this is wrong" (vsphere.md: host/vpxd communication,
#: a request cancelled by a restarting service, a busy server).
TRANSIENT_FAULTS = frozenset(['HostCommunication', 'HostNotConnected', 'HostNotReachable', 'RequestCanceled',
                              'SystemError', 'NotSupportedHost', 'TooManyConcurrentNfcSessions', 'Timedout',
                              'ResourceInUse'])
TRANSIENT_ERRNOS = frozenset([errno.ECONNRESET, errno.ECONNABORTED, errno.ECONNREFUSED, errno.EPIPE, errno.ETIMEDOUT,
                              errno.EHOSTUNREACH, errno.ENETUNREACH])
TRANSIENT_HTTP = ('502', '503', '504')


def is_transient(exc) -> bool:
    """True when ``exc`` is worth retrying: a dropped or timed-out connection, an HTTP 502/503/504, or a
    HostCommunication-style vSphere fault. Authentication, TLS and every other fault are not transient."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return False
    if HAS_PYVMOMI and isinstance(exc, vmodl.MethodFault):
        return exc.__class__.__name__.split('.')[-1] in TRANSIENT_FAULTS
    if isinstance(exc, (http.client.RemoteDisconnected, http.client.IncompleteRead, http.client.BadStatusLine,
                        ConnectionError, socket.timeout, TimeoutError)):
        return True
    if isinstance(exc, http.client.HTTPException):
        return any(code in str(exc) for code in TRANSIENT_HTTP)
    if isinstance(exc, OSError):
        return exc.errno in TRANSIENT_ERRNOS
    return False


def backoff_delays(retries, base=0.5, cap=8.0, rng=random.random):
    """Jittered exponential backoff ("full jitter"): the delay before retry n is uniform in [0, min(cap, base*2^n)],
    with a floor of a tenth of it so a retry never hammers the server."""
    for n in range(max(0, int(retries))):
        ceiling = min(cap, base * (2 ** n))
        yield ceiling * (0.1 + 0.9 * rng())


def with_retries(call, retries=4, what='vCenter call', on_retry=None, sleep=time.sleep, delays=None):
    """Run ``call()``; on a transient failure wait and run it again, at most ``retries`` more times.

    Only for reads and idempotent writes (SetEntityPermissions is an upsert; removals treat NotFound as done).
    ``on_retry(exc, attempt, delay)`` is told about every retry (the modules record them in their result).
    """
    waits = iter(delays if delays is not None else backoff_delays(retries))  # drawn only when a retry is due
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:  # pylint: disable=broad-except
            delay = next(waits, None) if is_transient(exc) else None
            if delay is None:
                raise
            attempt += 1
            if on_retry is not None:
                on_retry(exc, attempt, delay, what)
            sleep(delay)


def require_pyvmomi(module) -> None:
    if not HAS_PYVMOMI:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib('pyvmomi'), exception=str(PYVMOMI_IMPORT_ERROR))


# --------------------------------------------------------------------------------------------
# Object types
# --------------------------------------------------------------------------------------------

#: How old (seconds) the preflight's saved inventory may be for the converge of the same run to use it.
INVENTORY_MAX_AGE = 300
INVENTORY_FORMAT = 'tenantdr.asr inventory 2'


#: Types read from the inventory, with the type-specific properties we need.
#: ``name`` and ``parent`` are read for every ManagedEntity.
TYPE_PROPERTIES = {
    'Datacenter': ['vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder'],
    'Folder': ['childType'],
    'ComputeResource': ['resourcePool', 'host'],  # also matches ClusterComputeResource
    'HostSystem': ['datastore', 'network'],
    'VirtualMachine': ['resourcePool', 'runtime.host', 'datastore', 'network', 'customValue', 'config.template'],
    'StoragePod': [],
}

#: Inventory-path kinds a user may address, by vSphere type (used in error messages).
TYPE_LABELS = {
    'Folder': 'folder',
    'Datacenter': 'datacenter',
    'ClusterComputeResource': 'cluster',
    'ComputeResource': 'standalone host (compute resource)',
    'HostSystem': 'host',
    'ResourcePool': 'resource pool',
    'VirtualApp': 'vApp',
    'VirtualMachine': 'virtual machine',
    'Datastore': 'datastore',
    'StoragePod': 'datastore cluster',
    'Network': 'network',
    'DistributedVirtualPortgroup': 'distributed port group',
    'OpaqueNetwork': 'opaque network',
    'VmwareDistributedVirtualSwitch': 'distributed switch',
    'DistributedVirtualSwitch': 'distributed switch',
}

NETWORK_TYPES = ('Network', 'DistributedVirtualPortgroup', 'OpaqueNetwork')
COMPUTE_TYPES = ('ClusterComputeResource', 'ComputeResource')


def moid_of(ref) -> str | None:
    return None if ref is None else ref._moId


# --------------------------------------------------------------------------------------------
# Snapshot: the whole inventory, roles, privileges and permissions as plain data
# --------------------------------------------------------------------------------------------

class Snapshot:
    """Plain-data picture of one vCenter.

    ``objects``: moid -> dict with at least ``moid``, ``type``, ``name``, ``parent`` (moid or
    None) and ``path`` (govc-style inventory path, ``/`` for the root folder).  Type-specific keys:

    * Datacenter: ``vm_folder``, ``host_folder``, ``datastore_folder``, ``network_folder``
    * ClusterComputeResource / ComputeResource: ``resource_pool`` (root pool), ``hosts``
    * HostSystem: ``datastores``, ``networks``, ``compute`` (its cluster / compute resource)
    * VirtualMachine: ``resource_pool``, ``host``, ``datastores``, ``networks``,
      ``custom_attributes`` (name -> value), ``template``
    * ResourcePool / VirtualApp: ``compute`` (owning cluster / compute resource)
    * every object: ``datacenter`` (moid of its datacenter, None above datacenters)

    ``roles``: list of {``id``, ``name``, ``label``, ``system``, ``privileges``}.
    ``privileges``: list of {``id``, ``group``, ``name``, ``on_parent``}.
    ``permissions``: list of {``entity``, ``principal``, ``group``, ``role_id``, ``propagate``}.
    ``plans``: tenant plans already built on these objects (``tenant_plan.plans_for``), kept with a saved inventory.
    """

    def __init__(self, objects, root, roles, privileges, permissions, about=None, plans=None):
        self.objects = objects
        self.root = root
        self.roles = roles
        self.privileges = privileges
        self.permissions = permissions
        self.about = about or {}
        self.plans = {} if plans is None else plans
        self.by_path = {o['path'].lower(): moid for moid, o in objects.items()}

    # -- roles ---------------------------------------------------------------------------
    @property
    def roles(self):
        return self._roles

    @roles.setter
    def roles(self, roles):
        self._roles = roles
        self._roles_by_id = {r['id']: r for r in roles}
        self._roles_by_name = None  # find_role's index, built on first use

    def set_roles(self, roles):
        """Replace the roles (after this run created, changed or deleted one)."""
        self.roles = roles

    def role_by_id(self, role_id):
        return self._roles_by_id.get(role_id)

    def find_role(self, name):
        """Find a role by name or UI label, case-insensitively (``ReadOnly`` == ``Read-only``)."""
        if self._roles_by_name is None:
            index = {}
            for role in self.roles:  # the first role whose name or label matches, as a scan of the list would find
                for key in (role['name'].lower(), (role.get('label') or '').lower()):
                    if key:
                        index.setdefault(key, role)
            self._roles_by_name = index
        return self._roles_by_name.get(str(name).strip().lower())

    # -- objects -------------------------------------------------------------------------
    def ancestors(self, moid):
        """Inventory parents of ``moid``, nearest first (the folder chain, not the compute chain)."""
        out = []
        parent = self.objects[moid]['parent']
        while parent is not None and parent in self.objects:
            out.append(parent)
            parent = self.objects[parent]['parent']
        return out

    def complex_child_reason(self, moid):
        """Why ``moid`` cannot hold a permission, and what to use instead; None when it can.

        vSphere API (AuthorizationManager, "complex entities"): a datacenter's root vm, host,
        datastore and network folders, a compute resource's or cluster's root resource pool and
        the host of a standalone compute resource cannot hold permissions; they inherit from their
        parent regardless of the propagation flag.
        """
        obj = self.objects[moid]
        parent = self.objects.get(obj['parent']) if obj['parent'] else None
        if obj['type'] == 'Folder' and parent and parent['type'] == 'Datacenter':
            return ("it is the root '%s' folder of datacenter '%s'" % (obj['name'], parent['name']),
                    "the datacenter '%s' or a sub-folder" % parent['path'])
        if obj['type'] == 'ResourcePool' and parent and parent['type'] in COMPUTE_TYPES:
            return ("it is the root resource pool of %s '%s'" % (TYPE_LABELS[parent['type']], parent['name']),
                    "the %s '%s' itself or a child resource pool" % (TYPE_LABELS[parent['type']], parent['path']))
        if obj['type'] == 'HostSystem' and parent and parent['type'] == 'ComputeResource':
            return ("it is the host of standalone compute resource '%s'" % parent['name'],
                    "the compute resource '%s'" % parent['path'])
        return None

    def resolve(self, ref):
        """Resolve an inventory path (``/DC1/vm/x``), a moid (``vm-42``) or a typed moid
        (``VirtualMachine:vm-42``) to a moid; None when nothing matches."""
        ref = str(ref).strip()
        if ref.startswith('/'):
            key = ref.rstrip('/').lower() or '/'
            return self.by_path.get(key)
        if ':' in ref:
            typ, moid = ref.split(':', 1)
            obj = self.objects.get(moid)
            return moid if obj and obj['type'] == typ else None
        return ref if ref in self.objects else None

    def vms(self):
        return [o for o in self.objects.values() if o['type'] == 'VirtualMachine']

    def label(self, moid):
        obj = self.objects.get(moid)
        return obj['path'] if obj else moid


def _build_paths(objects, root):
    """Compute govc-style inventory paths from the parent links."""
    cache = {root: '/'}

    def path_of(moid):
        if moid in cache:
            return cache[moid]
        chain = []
        cur = moid
        while cur is not None and cur not in cache:
            chain.append(cur)
            cur = objects[cur]['parent'] if cur in objects else None
        base = cache.get(cur, '') if cur is not None else ''
        for m in reversed(chain):
            base = (base.rstrip('/') + '/' + objects[m]['name'])
            cache[m] = base
        return cache[moid]

    for moid in objects:
        objects[moid]['path'] = path_of(moid)


def _annotate(objects):
    """Derive datacenter membership and compute-resource ownership from parent links."""
    for moid, obj in objects.items():
        dc = None
        compute = None
        cur = obj['parent']
        while cur is not None and cur in objects:
            t = objects[cur]['type']
            if compute is None and t in COMPUTE_TYPES:
                compute = cur
            if t == 'Datacenter':
                dc = cur
                break
            cur = objects[cur]['parent']
        obj['datacenter'] = moid if obj['type'] == 'Datacenter' else dc
        if obj['type'] in ('HostSystem', 'ResourcePool', 'VirtualApp'):
            obj['compute'] = compute


class VCenterConnection:
    """A logged-in pyVmomi session plus the bulk readers and writers the modules use.

    One login per connection (``RetrieveServiceContent`` + ``Login``, ``Logout`` at the end); reads and idempotent
    writes are retried on transient failures (:func:`with_retries`), ``retried`` lists every retry made.
    """

    def __init__(self, params):
        self.params = params
        self.inventory_source = None
        self.si = None
        self.content = None
        self.auth = None
        self.retried = []
        self.writes = None  # vcenter_soap.PermissionWrites once connected (option fast_write)

    # -- session -------------------------------------------------------------------------
    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.disconnect()

    def _note_retry(self, exc, attempt, delay, what):
        self.retried.append(dict(call=what, attempt=attempt, delay_s=round(delay, 2),
                                 error=fault_text(exc) if HAS_PYVMOMI and isinstance(exc, vmodl.MethodFault) else
                                 '%s: %s' % (type(exc).__name__, exc)))

    def retry(self, call, what):
        """Run ``call()`` with this connection's retry bound (option ``retries``)."""
        retries = self.params.get('retries')
        return with_retries(call, retries=4 if retries is None else retries, what=what, on_retry=self._note_retry)

    def connect(self):
        p = self.params
        kwargs = dict(host=p['hostname'], user=p['username'], pwd=p['password'], port=p['port'])
        if not p.get('validate_certs', True):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            kwargs['sslContext'] = ctx
        if p.get('proxy_host'):
            kwargs.update(httpProxyHost=p['proxy_host'], httpProxyPort=p.get('proxy_port') or 80)
        if p.get('connection_timeout'):
            kwargs['httpConnectionTimeout'] = p['connection_timeout']
        where = '%s:%s' % (p['hostname'], p['port'])
        try:
            self.si = self.retry(lambda: SmartConnect(**kwargs), 'login')
        except vim.fault.InvalidLogin:
            raise VCenterError("vCenter %s rejected the login of '%s' (InvalidLogin)" % (where, p['username']))
        except ssl.SSLError as exc:
            raise VCenterError("TLS error talking to vCenter %s: %s. Use a trusted certificate, or set validate_certs: false for a lab"
                               % (where, exc))
        except (OSError, http.client.HTTPException) as exc:
            raise VCenterError("cannot reach vCenter %s: %s" % (where, exc))
        except vmodl.MethodFault as exc:
            raise VCenterError("vCenter %s refused the connection: %s" % (where, fault_text(exc)))
        # SmartConnect has read the service content already; pyVmomi caches it on the stub-bound ServiceInstance
        # only through RetrieveContent, so read it once here and reuse it (also for the logout).
        self.content = self.retry(self.si.RetrieveContent, 'RetrieveServiceContent')
        self.auth = self.content.authorizationManager
        stub = getattr(self.si, '_stub', None)
        if stub is not None and getattr(stub, 'poolSize', 0) < self.write_workers():
            stub.poolSize = self.write_workers()  # one kept-alive HTTPS connection per write worker
        self.writes = (soap.PermissionWrites.for_session(stub, self.auth, lambda typ: getattr(vim, typ))
                       if p.get('fast_write', True) else None)
        return self

    def write_workers(self):
        """How many permission writes may be in flight at once (``parallel_writes``, at least 1)."""
        try:
            return max(1, int(self.params.get('parallel_writes') or 1))
        except (TypeError, ValueError):
            return 1

    def disconnect(self):
        if self.si is not None:
            try:
                self.content.sessionManager.Logout()
            except Exception:  # pylint: disable=broad-except
                pass  # logging out is best effort
            self.si = None

    # -- bulk read -----------------------------------------------------------------------
    def read_snapshot(self, with_permissions=True, inventory_file=None, inventory_max_age=INVENTORY_MAX_AGE,
                      custom_attributes=True) -> Snapshot:
        """One property-collector pass over everything and (``with_permissions``) one RetrieveAllPermissions, in flight at
        the same time (each retried as a whole).

        ``inventory_file``: the inventory this run's preflight read from the same vCenter a moment ago
        (:func:`save_inventory`); used instead of the property-collector pass when it is younger than
        ``inventory_max_age`` seconds and from this vCenter (host, port and instance UUID), else read again.
        ``self.inventory_source`` says which it was. Permissions, when asked for, are always read from vCenter.

        ``custom_attributes=False``: the VMs' custom attribute values are not read (no tenant selects by them; about an
        eighth of the inventory answer); ``snap.about['custom_attributes_read']`` says so."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix='tenantdr-permissions') as pool:
            # RetrieveAllPermissions is answered while the inventory is read or the saved one loaded
            permissions = pool.submit(self.read_permissions) if with_permissions else None
            snap = None
            if inventory_file:
                snap, self.inventory_source = load_inventory(inventory_file, self.identity(), inventory_max_age,
                                                             custom_attributes=custom_attributes)
            if snap is None:
                snap = self.retry(lambda: self._read_inventory(custom_attributes), 'RetrievePropertiesEx (inventory)')
                self.inventory_source = 'read from vCenter' + (' (%s)' % self.inventory_source if inventory_file else '')
            if permissions is not None:
                snap.permissions = permissions.result()
        return snap

    def _collect(self, obj_specs, prop_specs):
        """RetrievePropertiesEx (+ continuation pages) -> [(type, moid, {property: neutral value})].

        The answer is parsed by vcenter_soap when it can; otherwise (or with fast_read off) by pyVmomi."""
        pc = self.content.propertyCollector
        spec = vmodl.query.PropertyCollector.FilterSpec(objectSet=obj_specs, propSet=prop_specs)
        options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=10000)
        if self.params.get('fast_read', True):
            try:
                out = self._collect_fast(pc, spec, options)
                if out is not None:
                    return out
            except soap.FastReadUnavailable:
                pass
        contents = []
        result = pc.RetrievePropertiesEx([spec], options)
        while result is not None:
            contents.extend(neutral_content(oc) for oc in result.objects or [])
            result = pc.ContinueRetrievePropertiesEx(result.token) if result.token else None
        return contents

    def _collect_fast(self, pc, spec, options):
        stub = self.si._stub
        body = soap.raw_call(stub, pc, 'RetrievePropertiesEx', [[spec], options])
        if body is None:
            return None
        contents, token = soap.parse_property_contents(body)
        while token:
            body = soap.raw_call(stub, pc, 'ContinueRetrievePropertiesEx', [token])  # same stub: an answer or a fault
            page, token = soap.parse_property_contents(body)
            contents.extend(page)
        return contents

    def _read_inventory(self, custom_attributes=True) -> Snapshot:
        content = self.content
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.ManagedEntity], True)
        try:
            traverse = vmodl.query.PropertyCollector.TraversalSpec(
                name='view', path='view', skip=False, type=vim.view.ContainerView)
            obj_specs = [
                vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traverse]),
                vmodl.query.PropertyCollector.ObjectSpec(obj=content.rootFolder, skip=False),
                vmodl.query.PropertyCollector.ObjectSpec(obj=self.auth, skip=False),
            ]
            if content.customFieldsManager is not None:
                obj_specs.append(vmodl.query.PropertyCollector.ObjectSpec(obj=content.customFieldsManager, skip=False))
            prop_specs = [vmodl.query.PropertyCollector.PropertySpec(type=vim.ManagedEntity, pathSet=['name', 'parent'])]
            for tname, paths in TYPE_PROPERTIES.items():
                if not custom_attributes:
                    paths = [p for p in paths if p != 'customValue']
                if paths:
                    prop_specs.append(vmodl.query.PropertyCollector.PropertySpec(type=getattr(vim, tname), pathSet=paths))
            prop_specs.append(vmodl.query.PropertyCollector.PropertySpec(type=vim.AuthorizationManager,
                                                                         pathSet=['roleList', 'privilegeList']))
            prop_specs.append(vmodl.query.PropertyCollector.PropertySpec(type=vim.CustomFieldsManager, pathSet=['field']))
            contents = self._collect(obj_specs, prop_specs)
        finally:
            try:
                view.DestroyView()
            except Exception:  # pylint: disable=broad-except
                pass  # the view dies with the session anyway
        snap = self._snapshot_from(contents)
        snap.about['custom_attributes_read'] = bool(custom_attributes)
        return snap

    def read_roles(self) -> Snapshot:
        """Roles and privileges only (one RetrievePropertiesEx on the AuthorizationManager): a Snapshot with just the
        root folder as inventory and no permissions, for the role module, which needs nothing else."""
        def read():
            prop = vmodl.query.PropertyCollector.PropertySpec(type=vim.AuthorizationManager,
                                                              pathSet=['roleList', 'privilegeList'])
            return self._collect([vmodl.query.PropertyCollector.ObjectSpec(obj=self.auth, skip=False)], [prop])
        return self._snapshot_from(self.retry(read, 'RetrievePropertiesEx (roles)'))

    def _snapshot_from(self, contents) -> Snapshot:
        """Neutral contents ([(type, moid, props)], see _collect) -> Snapshot."""
        objects = {}
        roles = []
        privileges = []
        field_names = {}
        root = moid_of(self.content.rootFolder)
        raw_custom = {}
        for tname, moid, props in contents:
            if tname == 'AuthorizationManager':
                roles.extend(props.get('roleList') or [])
                privileges.extend(props.get('privilegeList') or [])
                continue
            if tname == 'CustomFieldsManager':
                field_names.update(dict(props.get('field') or []))
                continue
            obj = dict(moid=moid, type=tname, name=props.get('name'), parent=props.get('parent'))
            if tname == 'Datacenter':
                obj.update(vm_folder=props.get('vmFolder'), host_folder=props.get('hostFolder'),
                           datastore_folder=props.get('datastoreFolder'), network_folder=props.get('networkFolder'))
            elif tname == 'Folder':
                obj['child_type'] = list(props.get('childType') or [])
            elif tname in COMPUTE_TYPES:
                obj.update(resource_pool=props.get('resourcePool'), hosts=list(props.get('host') or []))
            elif tname == 'HostSystem':
                obj.update(datastores=list(props.get('datastore') or []), networks=list(props.get('network') or []))
            elif tname == 'VirtualMachine':
                obj.update(resource_pool=props.get('resourcePool'), host=props.get('runtime.host'),
                           datastores=list(props.get('datastore') or []), networks=list(props.get('network') or []),
                           template=bool(props.get('config.template')))
                raw_custom[moid] = props.get('customValue') or []
            objects[moid] = obj
        if root not in objects:
            objects[root] = dict(moid=root, type='Folder', name='Datacenters', parent=None, child_type=[])
        objects[root]['parent'] = None
        for moid, values in raw_custom.items():
            objects[moid]['custom_attributes'] = {field_names.get(k, str(k)): v for k, v in values}
        for obj in objects.values():
            if obj['type'] == 'VirtualMachine':
                obj.setdefault('custom_attributes', {})
        _build_paths(objects, root)
        _annotate(objects)
        about = self.content.about
        return Snapshot(objects, root, roles, privileges, [],
                        about=dict(name=about.fullName, version=about.version, api_version=about.apiVersion,
                                   instance_uuid=getattr(about, 'instanceUuid', None), vcenter=self.identity()['vcenter']))

    def identity(self):
        """What ties a saved inventory to this vCenter: ``{vcenter: host:port, instance_uuid}``."""
        about = self.content.about
        return dict(vcenter=vcenter_key(self.params['hostname'], self.params.get('port') or 443),
                    instance_uuid=getattr(about, 'instanceUuid', None))

    def read_permissions(self):
        return self.retry(self._read_permissions, 'RetrieveAllPermissions')

    def _read_permissions(self):
        if self.params.get('fast_read', True):
            try:
                body = soap.raw_call(self.si._stub, self.auth, 'RetrieveAllPermissions', [])
                if body is not None:
                    return soap.parse_permissions(body)
            except soap.FastReadUnavailable:
                pass
        return [permission_dict(p) for p in self.auth.RetrieveAllPermissions()]

    def role_permissions(self, role_id):
        """The permissions that use ``role_id`` (RetrieveRolePermissions), each with its entity's type."""
        return self.retry(lambda: [dict(permission_dict(p), entity_type=p.entity.__class__.__name__.split('.')[-1])
                                   for p in self.auth.RetrieveRolePermissions(role_id)], 'RetrieveRolePermissions')

    def entity_paths(self, refs):
        """Inventory paths of the entities ``refs`` ([(type, moid)]) from ONE RetrievePropertiesEx that follows
        ``parent`` up to the root folder: no full inventory read. Returns {moid: path}."""
        if not refs:
            return {}
        up = vmodl.query.PropertyCollector.TraversalSpec(name='up', path='parent', skip=False, type=vim.ManagedEntity,
                                                         selectSet=[vmodl.query.PropertyCollector.SelectionSpec(name='up')])
        specs = [vmodl.query.PropertyCollector.ObjectSpec(obj=self.entity_ref(typ, moid), skip=False, selectSet=[up])
                 for typ, moid in sorted(set(refs))]
        prop = vmodl.query.PropertyCollector.PropertySpec(type=vim.ManagedEntity, pathSet=['name', 'parent'])
        contents = self.retry(lambda: self._collect(specs, [prop]), 'RetrievePropertiesEx (paths)')
        objects = {}
        for tname, moid, props in contents:
            objects[moid] = dict(moid=moid, type=tname, name=props.get('name'), parent=props.get('parent'))
        root = moid_of(self.content.rootFolder)
        if root in objects:
            objects[root]['parent'] = None
        _build_paths(objects, root)
        return {m: o['path'] for m, o in objects.items()}

    def entity_ref(self, typ, moid):
        return getattr(vim, typ)(moid, self.si._stub)

    def principal_exists(self, principal, group):
        """Ask vCenter's user directory whether ``principal`` (login@domain or DOMAIN\\login) exists."""
        p = principal.strip()
        if '\\' in p:
            domain, login = p.split('\\', 1)
        elif '@' in p:
            login, domain = p.rsplit('@', 1)
        else:
            domain, login = None, p
        found = self.retry(lambda: self.content.userDirectory.RetrieveUserGroups(
            domain=domain, searchStr=login, exactMatch=True, findUsers=not group, findGroups=group), 'RetrieveUserGroups')
        wanted = login.lower()
        for r in found or []:
            name = r.principal.split('\\')[-1].split('@')[0].lower()
            if name == wanted and bool(r.group) == bool(group):
                return True
        return False

    # -- writes ----------------------------------------------------------------------------
    def entity(self, snapshot: Snapshot, moid):
        return getattr(vim, snapshot.objects[moid]['type'])(moid, self.si._stub)

    def set_permissions(self, snapshot: Snapshot, moid, perms):
        """One SetEntityPermissions call with the given permissions (an upsert per principal, so retried). Sent as
        SOAP text built by ``vcenter_soap.PermissionWrites`` (option ``fast_write``), else through pyVmomi."""
        typ = snapshot.objects[moid]['type']
        if self.writes is not None:
            if self.retry(lambda: self.writes.set_entity_permissions(typ, moid, perms), 'SetEntityPermissions'):
                return
        entity = self.entity(snapshot, moid)
        batch = [vim.AuthorizationManager.Permission(principal=p['principal'], group=p['group'], roleId=p['role_id'],
                                                     propagate=p['propagate']) for p in perms]
        self.retry(lambda: self.auth.SetEntityPermissions(entity, batch), 'SetEntityPermissions')

    def remove_permission(self, snapshot: Snapshot, moid, principal, group):
        """RemoveEntityPermission; a permission already gone (NotFound, e.g. removed by a retried call) is done."""
        typ = snapshot.objects[moid]['type']

        def remove():
            try:
                if self.writes is None or not self.writes.remove_entity_permission(typ, moid, principal, group):
                    self.auth.RemoveEntityPermission(self.entity(snapshot, moid), principal, group)
            except vim.fault.NotFound:
                pass
        self.retry(remove, 'RemoveEntityPermission')

    def add_role(self, name, privileges):
        """AddAuthorizationRole; returns the new role id."""
        return self.auth.AddAuthorizationRole(name, privileges)

    def ensure_role(self, name, privileges):
        """Create role ``name``; when it exists already (another job created it at the same time, or a retried call
        went through) re-read the roles and return ``(role_id, False)``; ``(role_id, True)`` when this call created it."""
        try:
            return self.retry(lambda: self.auth.AddAuthorizationRole(name, privileges), 'AddAuthorizationRole'), True
        except (vim.fault.AlreadyExists, vim.fault.DuplicateName):
            for role in self.read_roles().roles:
                if role['name'].lower() == name.lower():
                    return role['id'], False
            raise

    def update_role(self, role_id, name, privileges):
        self.retry(lambda: self.auth.UpdateAuthorizationRole(role_id, name, privileges), 'UpdateAuthorizationRole')

    def remove_role(self, role_id, fail_if_used):
        def remove():
            try:
                self.auth.RemoveAuthorizationRole(role_id, fail_if_used)
            except vim.fault.NotFound:
                pass  # already gone (a concurrent job, or a retried call that went through)
        self.retry(remove, 'RemoveAuthorizationRole')


def neutral_content(oc):
    """A pyVmomi ObjectContent -> (type, moid, {property: neutral value}), the form vcenter_soap produces."""
    props = {}
    for p in oc.propSet or []:
        val = p.val
        if p.name == 'roleList':
            val = [role_dict(r) for r in val or []]
        elif p.name == 'privilegeList':
            val = [dict(id=x.privId, group=x.privGroupName, name=x.name, on_parent=bool(x.onParent)) for x in val or []]
        elif p.name == 'field':
            val = [(f.key, f.name) for f in val or []]
        elif p.name == 'customValue':
            val = [(cv.key, getattr(cv, 'value', None)) for cv in val or []]
        elif hasattr(val, '_moId'):
            val = moid_of(val)
        elif isinstance(val, (list, tuple)):
            val = [moid_of(x) if hasattr(x, '_moId') else x for x in val]
        props[p.name] = val
    return oc.obj.__class__.__name__.split('.')[-1], moid_of(oc.obj), props


def role_dict(r) -> dict:
    return dict(id=r.roleId, name=r.name, label=(r.info.label if r.info else r.name), system=bool(r.system),
                privileges=sorted(r.privilege or []))


def permission_dict(p) -> dict:
    return dict(entity=moid_of(p.entity), principal=p.principal, group=bool(p.group), role_id=p.roleId,
                propagate=bool(p.propagate))


def fault_text(exc) -> str:
    """One-line text of a vSphere fault: its type and message."""
    name = exc.__class__.__name__.split('.')[-1]
    msg = getattr(exc, 'msg', None) or ''
    faults = [getattr(f, 'localizedMessage', '') for f in (getattr(exc, 'faultMessage', None) or [])]
    detail = '; '.join([m for m in [msg] + faults if m])
    return '%s: %s' % (name, detail) if detail else name


def snapshot_data(snap, with_permissions=True):
    """``snap`` as plain data (dicts, lists, strings; ``marshal``-able): what :func:`save_inventory` writes (no
    permissions) and the preflight's child process hands over (``preflight.VCenterReads``)."""
    data = dict(about=snap.about, root=snap.root, objects=snap.objects, roles=snap.roles, privileges=snap.privileges,
                plans=snap.plans)
    if with_permissions:
        data['permissions'] = snap.permissions
    return data


def snapshot_from_data(data):
    """The Snapshot of :func:`snapshot_data`'s plain data."""
    plans = data.get('plans')
    return Snapshot(data['objects'], data['root'], data['roles'], data['privileges'], data.get('permissions') or [],
                    about=data.get('about'), plans=plans if isinstance(plans, dict) else None)


def _inventory_header():
    # marshal's format belongs to the interpreter: a file written by another Python is not read
    return ('%s marshal %d python %d.%d\n' % ((INVENTORY_FORMAT, marshal.version) + tuple(sys.version_info[:2]))).encode()


def save_inventory(snap, path, now=None):
    """Save the inventory part of ``snap`` (objects, roles, privileges, what vCenter it is, the tenant plans built on it;
    no permissions), mode 0600, atomically (a reader sees the old file or the new one). Returns ``path``; raises OSError
    or ValueError.

    The file is a hand-over between two tasks of one ansible-playbook run on the controller, in its private temporary
    directory: a header line, then the data in ``marshal`` form, which this Python writes and reads about ten times as
    fast as JSON (a 1,000-tenant inventory: 0.02 s instead of 0.17 s to write, 0.06 instead of 0.15 to read). A reader
    that is another Python, or finds anything else, reads the inventory from vCenter instead."""
    data = dict(snapshot_data(snap, with_permissions=False), format=INVENTORY_FORMAT,
                taken=time.time() if now is None else now)
    return write_file_atomically(path, _inventory_header() + marshal.dumps(data))


def load_inventory(path, identity, max_age, now=None, custom_attributes=False):
    """``(Snapshot or None, why)``: the inventory :func:`save_inventory` wrote, when it is from the vCenter
    ``identity`` (see :meth:`VCenterConnection.identity`), at most ``max_age`` seconds old and, with
    ``custom_attributes``, holding the VMs' custom attribute values."""
    header = _inventory_header()
    try:
        with open(path, 'rb') as f:
            raw = f.read()
    except OSError as exc:
        return None, 'the saved inventory %s cannot be read: %s' % (path, exc)
    if not raw.startswith(header):
        return None, 'the saved inventory %s is not in format %s' % (path, header.decode('ascii', 'replace').strip())
    try:
        data = marshal.loads(raw[len(header):])
    except (EOFError, ValueError, TypeError) as exc:
        return None, 'the saved inventory %s cannot be read: %s' % (path, exc)
    if not isinstance(data, dict) or data.get('format') != INVENTORY_FORMAT:
        return None, 'the saved inventory %s is not in format %s' % (path, INVENTORY_FORMAT)
    about = data.get('about') or {}
    mine = dict(vcenter=about.get('vcenter'), instance_uuid=about.get('instance_uuid'))
    if mine != identity:
        return None, 'the saved inventory is of vCenter %s (%s), not %s (%s)' % (
            mine['vcenter'], mine['instance_uuid'], identity['vcenter'], identity['instance_uuid'])
    if custom_attributes and about.get('custom_attributes_read') is False:
        return None, 'the saved inventory has no custom attribute values, which a tenant selects VMs by'
    age = (time.time() if now is None else now) - float(data.get('taken') or 0)
    if age < 0 or age > max_age:
        return None, 'the saved inventory is %.0f s old (at most %d s is used)' % (age, max_age)
    return snapshot_from_data(data), 'the preflight\'s inventory read of %.1f s ago' % age


def read_plan_snapshot(connection, tenants, with_permissions=True, inventory_file=None,
                       inventory_max_age=INVENTORY_MAX_AGE) -> Snapshot:
    """The one inventory read of every module that builds tenant plans (tenant_mapping, tenant_isolation_audit,
    vcenter_tenants): the whole inventory, roles and privileges, the VMs' custom attribute values when a tenant selects by
    them, and (``with_permissions``) every permission. ``tenants`` are the validated tenant definitions the plans are
    for, so a read that only some selectors need (custom attributes, vSphere tags) is decided here, in one place."""
    snap = connection.read_snapshot(with_permissions=with_permissions, inventory_file=inventory_file,
                                    inventory_max_age=inventory_max_age,
                                    custom_attributes=selects_by(tenants, 'custom_attributes'))
    # vm_selectors.tags (issue 13): one bulk vAPI read of every tag's attached VMs, only when a tenant selects by tag.
    if not selects_by(tenants, 'tags'):
        snap.tag_attachments = {}
        return snap
    # vcenter_tags imports this module (and the REST client): imported here, when a tenant selects by tag.
    from ansible_collections.tenantdr.asr.plugins.module_utils.vcenter_tags import attach_tags  # pylint: disable=import-outside-toplevel
    return attach_tags(snap, connection.params, tenants)

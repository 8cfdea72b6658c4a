# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every vCenter module of tenantdr.asr."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - vCenter Server host name or IP address.
      - Falls back to the E(VMWARE_HOST) environment variable, which the AWX/AAP built-in VMware vCenter credential sets.
    type: str
    required: true
  username:
    description:
      - User name to log in to vCenter with, in C(user@domain) or C(DOMAIN\\user) form.
      - Falls back to E(VMWARE_USER).
    type: str
    required: true
    aliases: [user]
  password:
    description:
      - Password of O(username).
      - Falls back to E(VMWARE_PASSWORD).
    type: str
    required: true
    aliases: [pass, pwd]
  port:
    description:
      - TCP port of the vCenter SDK endpoint.
      - Falls back to E(VMWARE_PORT).
    type: int
    default: 443
  validate_certs:
    description:
      - Verify the vCenter TLS certificate against the system trust store.
      - Set to V(false) only for lab vCenters with self-signed certificates.
      - Falls back to E(VMWARE_VALIDATE_CERTS), which AWX sets from its global setting.
    type: bool
    default: true
  proxy_host:
    description:
      - Address of an HTTP proxy to reach vCenter through (HTTP CONNECT), as in community.vmware.
      - Falls back to E(VMWARE_PROXY_HOST).
    type: str
  proxy_port:
    description:
      - Port of O(proxy_host) (80 when not given).
      - Falls back to E(VMWARE_PROXY_PORT).
    type: int
  connection_timeout:
    description:
      - Seconds to wait for vCenter to accept a connection and to answer one call; no limit when not given.
      - A call that times out counts as a transient failure and is retried (O(retries)).
      - Falls back to E(VMWARE_CONNECTION_TIMEOUT).
    type: int
  retries:
    description:
      - How many times a read or an idempotent write (setting a permission is an upsert) is retried after a transient
        failure - a dropped or reset connection, a timeout, HTTP 502/503/504, or a C(HostCommunication)-style fault -
        with jittered exponential backoff (at most 8 s between attempts). V(0) turns retries off.
      - Every retry made is returned in C(retries).
      - Falls back to E(TENANTDR_VCENTER_RETRIES).
    type: int
    default: 4
  fast_read:
    description:
      - Parse the two bulk reads (the inventory's C(RetrievePropertiesEx) and C(RetrieveAllPermissions)) with a plain XML
        parser instead of building pyVmomi objects for every element - several times faster on a large vCenter. The
        request and the session are pyVmomi's; any unexpected answer falls back to pyVmomi's parser.
      - V(false) always uses pyVmomi's parser.
    type: bool
    default: true
  fast_write:
    description:
      - Send the permission writes (C(SetEntityPermissions), C(RemoveEntityPermission)) as SOAP text filled in from a
        request pyVmomi serialised once per method and entity type, instead of building pyVmomi objects for every
        write - about half the CPU of a write, which bounds how fast a thousand tenants are onboarded or offboarded.
        The session is pyVmomi's; a fault vCenter answers is deserialised by pyVmomi and raised as the same vSphere
        fault.
      - V(false) always sends the writes through pyVmomi.
    type: bool
    default: true
  parallel_writes:
    description:
      - How many permission writes (C(SetEntityPermissions), C(RemoveEntityPermission)) are sent at the same time, on
        the one session. vCenter serves them concurrently, so onboarding or offboarding many tenants over a network
        waits for one round trip per O(parallel_writes) writes, not per write. Each write is an upsert or an
        idempotent removal, so their order does not matter. V(1) sends them one after another.
      - With 16 in flight, a network round trip of 3 ms adds about 2,600 x 3 ms / 16 = 0.5 s to the 2,600 removals of a
        100-tenant offboarding. Lower it for a vCenter that must not serve that many calls of one client at once.
      - If not set, the value of the E(TENANTDR_VCENTER_PARALLEL_WRITES) environment variable is used.
    type: int
    default: 16
requirements:
  - pyvmomi >= 8.0.1.0
"""

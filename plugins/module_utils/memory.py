# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Python's cyclic garbage collector, eased for one bulk job (a thousand tenants' records, plans and audit).

The jobs of this collection build a few hundred thousand small objects (an inventory of 10,000 VMs, 26,000
permissions, the plans and the audit) that stay alive until the job ends. By default the collector looks at the young
objects every 700 allocations and regularly walks everything alive, including the controller's whole inventory that an
Ansible worker inherits when it is forked, and finds little to free. For the job, the objects alive when it starts
are set aside (``gc.freeze``: they outlive the job) and young collections run every 5,000 allocations instead of 700.
The collector is not turned off, nor the threshold set higher: pyVmomi leaves a reference cycle behind every call it
makes (its SOAP deserializer and XML parser, 15 objects and about 20 kB), so the garbage of one young collection to the
next is about threshold / 15 calls' worth: 7 MB at 5,000 (a collector turned off kept 357 MB over the 10,000 writes of
a 1,000-tenant onboarding, a threshold of 50,000 about 30 MB more than the default).
"""
from __future__ import annotations

import contextlib
import gc

#: Allocations between two young collections during a bulk job (Python's default: 700).
BULK_THRESHOLD = 5000


@contextlib.contextmanager
def collector_eased(threshold=BULK_THRESHOLD):
    """Set aside what is alive now and collect young objects every ``threshold`` allocations while the ``with`` block
    runs; the thresholds are back as they were afterwards (nested uses are fine)."""
    before = gc.get_threshold()
    if hasattr(gc, 'freeze'):  # Python 3.7+
        gc.freeze()
    gc.set_threshold(max(before[0], threshold), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)

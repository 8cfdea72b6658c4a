# -*- coding: utf-8 -*-
# Copyright: tenantdr.asr contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: counts module invocations and times tasks, writes JSON at the end.

Enabled by benchmarks/run_benchmark.py with ANSIBLE_CALLBACK_PLUGINS=benchmarks/callback_plugins,
ANSIBLE_CALLBACKS_ENABLED=bench_stats and BENCH_STATS_FILE=<path>. Not part of the collection.

A module invocation is one task result per host, or one loop item result per host for a looped
task (each item runs the module once). Skipped results are counted separately and not as
invocations.
"""
from __future__ import annotations

DOCUMENTATION = r"""
name: bench_stats
type: aggregate
short_description: Count module invocations per task (tenantdr.asr benchmark)
description:
  - Writes a JSON summary to the file named by the BENCH_STATS_FILE environment variable.
requirements:
  - BENCH_STATS_FILE set
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_stats'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tasks = {}
        self._order = []
        self._current = None
        self._started = time.monotonic()

    def _task(self, task):
        key = task._uuid
        if key not in self._tasks:
            self._tasks[key] = dict(name=task.get_name(), action=task.action, invocations=0, changed=0,
                                    failed=0, skipped=0, first_start=None, last_end=None)
            self._order.append(key)
        return self._tasks[key]

    def v2_playbook_on_task_start(self, task, is_conditional):
        t = self._task(task)
        if t['first_start'] is None:
            t['first_start'] = time.monotonic()

    def _count(self, result, failed=False, skipped=False, item=False):
        t = self._task(result._task)
        t['last_end'] = time.monotonic()
        # The result as the module returned it, not ``result.result``: on ansible-core 2.19 that property copies and
        # converts the whole result (a T=1000 onboarding's is several MB), work a run without this callback does not do.
        res = getattr(result, '_return_data', None)
        if res is None:
            res = result._result
        res = res or {}
        # A looped task reports every item, then one aggregate result with 'results': count items only.
        if not item and isinstance(res.get('results'), list):
            return
        if skipped:
            t['skipped'] += 1
            return
        t['invocations'] += 1
        if failed:
            t['failed'] += 1
        elif res.get('changed'):
            t['changed'] += 1

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, failed=True)

    def v2_runner_on_skipped(self, result):
        self._count(result, skipped=True)

    def v2_runner_on_unreachable(self, result):
        self._count(result, failed=True)

    def v2_runner_item_on_ok(self, result):
        self._count(result, item=True)

    def v2_runner_item_on_failed(self, result):
        self._count(result, failed=True, item=True)

    def v2_runner_item_on_skipped(self, result):
        self._count(result, skipped=True, item=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('BENCH_STATS_FILE')
        if not path:
            return
        tasks = []
        for key in self._order:
            t = dict(self._tasks[key])
            if t['first_start'] is not None and t['last_end'] is not None:
                t['seconds'] = round(t['last_end'] - t['first_start'], 3)
            else:
                t['seconds'] = None
            t.pop('first_start')
            t.pop('last_end')
            tasks.append(t)
        hosts = {}
        for h in sorted(stats.processed.keys()):
            s = stats.summarize(h)
            hosts[h] = s
        out = dict(
            invocations=sum(t['invocations'] for t in tasks),
            changed=sum(t['changed'] for t in tasks),
            failed=sum(t['failed'] for t in tasks),
            skipped=sum(t['skipped'] for t in tasks),
            hosts=len(hosts),
            hosts_failed=sorted(h for h, s in hosts.items() if s.get('failures') or s.get('unreachable')),
            tasks=tasks,
            seconds=round(time.monotonic() - self._started, 3),
        )
        with open(path, 'w') as f:
            json.dump(out, f, indent=1)

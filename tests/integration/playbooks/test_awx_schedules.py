"""The AWX schedules in awx/schedules (issue 13, continuous reconcile): valid rrules, existing job templates, survey
answers that the job templates' surveys accept.  No AWX needed.

AWX accepts "DTSTART[;TZID=..]:<time> RRULE:<rule>" (awx/main/models/schedules.py, Schedule.rrulestr) with FREQ among
MINUTELY..YEARLY; an extra_data key must be a survey variable when the job template has a survey.
"""
from __future__ import annotations

import glob
import os
import re

import yaml

from tests.lab.lab import REPO_ROOT

RRULE = re.compile(r'^DTSTART(;TZID=[A-Za-z/_+-]+)?:\d{8}T\d{6}Z? RRULE:(FREQ=(MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY))'
                   r'(;INTERVAL=\d+)?(;[A-Z]+=[A-Z0-9,+-]+)*$')


def load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def job_templates():
    return {jt['name']: jt for jt in (load(p) for p in glob.glob(os.path.join(REPO_ROOT, 'awx', 'job_templates', '*.yml')))}


def test_schedules_are_valid_and_launch_existing_job_templates():
    schedules = {os.path.basename(p): load(p) for p in glob.glob(os.path.join(REPO_ROOT, 'awx', 'schedules', '*.yml'))}
    assert set(schedules) == {'reconcile.yml', 'audit.yml'}
    jts = job_templates()
    for name, sched in schedules.items():
        assert {'name', 'description', 'unified_job_template', 'rrule'} <= set(sched), name
        assert RRULE.match(sched['rrule']), sched['rrule']
        jt = jts[sched['unified_job_template']]
        questions = {q['variable']: q for q in jt['survey_spec']['spec']}
        for var, value in (sched.get('extra_data') or {}).items():
            assert var in questions, (name, var)
            if questions[var]['type'] == 'multiplechoice':
                assert value in questions[var]['choices'], (name, var, value)
        # every required survey question is answered by the schedule or has a default
        for var, q in questions.items():
            assert not q['required'] or var in (sched.get('extra_data') or {}) or 'default' in q, (name, var)


def test_reconcile_is_the_hourly_onboarding_rerun():
    sched = load(os.path.join(REPO_ROOT, 'awx', 'schedules', 'reconcile.yml'))
    assert 'FREQ=HOURLY' in sched['rrule']
    assert job_templates()[sched['unified_job_template']]['playbook'] == 'playbooks/onboard_tenant.yml'


def test_configure_controller_creates_the_schedules_after_the_job_templates():
    play = load(os.path.join(REPO_ROOT, 'awx', 'configure_controller.yml'))[0]
    modules = [next(k for k in t if k.startswith('awx.awx.')) for t in play['tasks']]
    assert modules.index('awx.awx.schedule') > modules.index('awx.awx.job_template')

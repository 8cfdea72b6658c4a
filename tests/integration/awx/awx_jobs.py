"""Run the job templates of awx/ the way AWX runs a job: through ansible-runner, in a private data directory.

What AWX does for a job, and where it is reproduced here (AWX sources: awx/main/tasks/jobs.py ``RunJob``,
awx/main/models/credential ``CredentialType.inject_credential``, awx/main/models/mixins.py ``SurveyJobTemplateMixin``,
awx/main/models/inventory.py ``Inventory.get_sliced_hosts``):

* **survey** (:func:`survey_extra_vars`): the job template's defaults, each applied only when it passes the survey's own
  rules; the launch answers validated by the same rules (required, text/textarea/password length, integer/float type
  and range, multiplechoice/multiselect choices); any violation refuses the launch - no job is created;
* **credentials** (:func:`render_injectors`): each credential's inputs checked against its type (required fields,
  defaults), then the type's ``injectors`` rendered with a sandboxed Jinja environment - ``env`` into the job
  environment, ``extra_vars`` into the extra variables, ``file`` templates into private files referenced as
  ``{{ tower.filename }}`` / ``{{ tower.filename.<name> }}``;
* **inventory** (:func:`export_inventory`, :func:`inventory_script`): what an inventory source import stores
  (``ansible-inventory --list --export``), handed to the job as an executable inventory script; with job slicing
  (:func:`slice_hosts`) the script of slice k of N holds only the hosts ``sorted(hosts)[k-1::N]``;
* **launch**: ``ansible_runner.run()`` with the template's playbook, ``--limit``, ``forks``, job type ``check``
  (``--check``) and diff mode; the test reads ``runner.events`` (``runner_on_ok`` / ``runner_on_failed`` ...).

The values of the credential *inputs* are the test's (lab endpoints and accounts); nothing else is invented.
"""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys

import yaml

from tests.lab.lab import REPO_ROOT

AWX_DIR = os.path.join(REPO_ROOT, "awx")


class SurveyRefused(Exception):
    """AWX would refuse to launch the job (HTTP 400 ``variables_needed_to_start``)."""

    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = list(errors)


class CredentialRefused(Exception):
    """AWX would refuse to save the credential (inputs do not match the credential type)."""


def load_yaml(*parts):
    with open(os.path.join(AWX_DIR, *parts), encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def job_template(name: str) -> dict:
    return load_yaml("job_templates", name + ".yml")


def credential_type(name: str) -> dict:
    return load_yaml("credential_types", name + ".yml")


# ---------------------------------------------------------------------------------------------------------- survey
def _choices(element):
    choices = element.get("choices") or []
    if isinstance(choices, str):
        choices = [c for c in choices.splitlines() if c.strip()]
    return list(choices)


def _limit(element, key):
    value = element.get(key)
    return None if value in ("", None) else value


def survey_element_errors(element: dict, data: dict) -> list:
    """AWX's rules for one survey question against the answers ``data`` (messages as AWX words them)."""
    var, kind = element["variable"], element["type"]
    if var not in data:
        return ["'%s' value missing" % var] if element.get("required") else []
    value = data[var]
    errors = []
    if kind in ("text", "textarea", "password"):
        if not isinstance(value, str):
            return ["Value %s for '%s' expected to be a string." % (value, var)]
        low, high = _limit(element, "min"), _limit(element, "max")
        if low is not None and len(value) < int(low):
            errors.append("'%s' value %s is too small (length is %s must be at least %s)." % (var, value, len(value), low))
        if high is not None and len(value) > int(high):
            errors.append("'%s' value %s is too large (must be no more than %s)." % (var, value, high))
    elif kind in ("integer", "float"):
        numeric = (int,) if kind == "integer" else (int, float)
        # type(), not isinstance(): AWX refuses a boolean where it asks for a number
        if type(value) not in numeric:  # pylint: disable=unidiomatic-typecheck
            what = "an integer" if kind == "integer" else "a numeric type"
            return ["Value %s for '%s' expected to be %s." % (value, var, what)]
        cast = int if kind == "integer" else float
        low, high = _limit(element, "min"), _limit(element, "max")
        if low is not None and value < cast(low):
            errors.append("'%s' value %s is too small (must be at least %s)." % (var, value, low))
        if high is not None and value > cast(high):
            errors.append("'%s' value %s is too large (must be no more than %s)." % (var, value, high))
    elif kind == "multiplechoice":
        if value not in _choices(element):
            errors.append("Value %s for '%s' expected to be one of %s." % (value, var, _choices(element)))
    elif kind == "multiselect":
        if not isinstance(value, list):
            return ["'%s' value is expected to be a list." % var]
        errors.extend("Value %s for '%s' expected to be one of %s." % (v, var, _choices(element))
                      for v in value if v not in _choices(element))
    return errors


def survey_extra_vars(template: dict, answers: dict | None = None) -> dict:
    """The job's extra variables from the template's survey: valid defaults, then the answers, all validated."""
    spec = template.get("survey_spec") or {}
    answers = dict(answers or {})
    if not template.get("survey_enabled"):
        return answers
    errors = []
    if "name" not in spec:
        errors.append("'name' missing from survey spec.")
    if "description" not in spec:
        errors.append("'description' missing from survey spec.")
    extra = {}
    for element in spec.get("spec", []):
        default = element.get("default")
        # a default that fails the question's own rules is silently not applied (AWX does the same)
        if default is not None and not survey_element_errors(element, {element["variable"]: default}):
            extra[element["variable"]] = default
    for element in spec.get("spec", []):
        errors.extend(survey_element_errors(element, dict(extra, **answers)))
    unknown = sorted(set(answers) - {e["variable"] for e in spec.get("spec", [])})
    if unknown and not template.get("ask_variables_on_launch"):
        errors.append("Variables %s are not allowed on launch. Check the Prompt on Launch setting on the Job Template "
                      "to include Extra Variables." % ", ".join(unknown))
    if errors:
        raise SurveyRefused(errors)
    extra.update(answers)
    return extra


# ---------------------------------------------------------------------------------------------------------- credentials
def credential_inputs(ctype: dict, inputs: dict) -> dict:
    """The inputs of a credential of type ``ctype`` as AWX stores them: checked, with the type's defaults."""
    fields = {f["id"]: f for f in ctype["inputs"]["fields"]}
    unknown = sorted(set(inputs) - set(fields))
    if unknown:
        raise CredentialRefused("credential type %r has no field %s" % (ctype["name"], ", ".join(unknown)))
    missing = [f for f in ctype["inputs"].get("required", []) if inputs.get(f) in (None, "")]
    if missing:
        raise CredentialRefused("credential type %r: required field(s) %s missing" % (ctype["name"], ", ".join(missing)))
    values = {}
    for fid, field in fields.items():
        if fid in inputs:
            value = inputs[fid]
        elif "default" in field:
            value = field["default"]
        elif field.get("type") == "boolean":
            value = False
        else:
            value = ""  # AWX renders an unset string field as empty
        if field.get("type") == "boolean" and not isinstance(value, bool):
            raise CredentialRefused("%s: %r is not a boolean" % (fid, value))
        if field.get("choices") and value not in ("", None) and value not in field["choices"]:
            raise CredentialRefused("%s: %r is not one of %s" % (fid, value, field["choices"]))
        values[fid] = value
    return values


def render_injectors(ctype: dict, inputs: dict, files_dir: str) -> tuple[dict, dict]:
    """``(env, extra_vars)`` a credential of type ``ctype`` with ``inputs`` injects into a job; file templates are
    written (mode 0600) into ``files_dir``."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment  # pylint: disable=import-outside-toplevel

    values = credential_inputs(ctype, inputs)
    jinja = ImmutableSandboxedEnvironment()
    injectors = ctype.get("injectors") or {}
    namespace = dict(values)
    files = injectors.get("file") or {}
    if files:
        os.makedirs(files_dir, mode=0o700, exist_ok=True)
        names = {}
        for key, template in files.items():
            path = os.path.join(files_dir, "%s-%s" % (ctype["name"].replace(" ", "_"), key))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(jinja.from_string(template).render(**values))
            names[key.split(".", 1)[1] if "." in key else None] = path
        namespace["tower"] = {"filename": names[None] if None in names else names}
    env = {name: jinja.from_string(str(t)).render(**namespace) for name, t in (injectors.get("env") or {}).items()}
    extra = {name: jinja.from_string(str(t)).render(**namespace) for name, t in (injectors.get("extra_vars") or {}).items()}
    return env, extra


# ---------------------------------------------------------------------------------------------------------- inventory
def export_inventory(sources) -> dict:
    """What an AWX inventory source imports: ``ansible-inventory --list --export`` of the sources."""
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "--list", "--export"]
    for source in sources:
        command += ["-i", source]
    env = dict(os.environ, ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, env=env).stdout
    return json.loads(out)


def slice_hosts(hosts, slice_number: int, slice_count: int) -> list:
    """AWX job slicing: slice ``slice_number`` (1-based) of ``slice_count`` gets every N-th host by name."""
    ordered = sorted(hosts)
    if slice_count <= 1:
        return ordered
    return ordered[slice_number - 1::slice_count]


def restrict_inventory(exported: dict, hosts) -> dict:
    """The inventory with only ``hosts`` (groups keep their variables and children, lose the other hosts)."""
    keep = set(hosts)
    data = copy.deepcopy(exported)
    for name, group in data.items():
        if name == "_meta":
            group["hostvars"] = {h: v for h, v in group.get("hostvars", {}).items() if h in keep}
        elif isinstance(group, dict) and "hosts" in group:
            group["hosts"] = [h for h in group["hosts"] if h in keep]
    return data


def all_hosts(exported: dict) -> list:
    found = set(exported.get("_meta", {}).get("hostvars", {}))
    for name, group in exported.items():
        if name != "_meta" and isinstance(group, dict):
            found.update(group.get("hosts", []))
    return sorted(found)


def inventory_script(path: str, data: dict) -> str:
    """An executable inventory script printing ``data`` (AWX hands every job such a script)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("#!%s\nimport json, sys\nDATA = %s\n" % (sys.executable, json.dumps(json.dumps(data))))
        handle.write("if '--host' in sys.argv:\n    print('{}')\nelse:\n    print(DATA)\n")
    os.chmod(path, 0o700)
    return path


# ---------------------------------------------------------------------------------------------------------- the job
class Job:
    """One job: its private data directory, the runner, and what its events say per host."""

    def __init__(self, runner, private_data_dir: str, extra_vars: dict):
        self.runner = runner
        self.private_data_dir = private_data_dir
        self.extra_vars = extra_vars
        self.events = list(runner.events)

    @property
    def status(self) -> str:
        return self.runner.status

    def results(self, event_name: str) -> list:
        return [e["event_data"] for e in self.events if e.get("event") == event_name]

    def per_host(self) -> dict:
        """host -> {ok, changed, failed, skipped, unreachable} counted from the task result events."""
        counts = {}
        names = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_skipped": "skipped",
                 "runner_on_unreachable": "unreachable"}
        for event in self.events:
            kind = names.get(event.get("event"))
            if not kind:
                continue
            data = event["event_data"]
            if kind == "failed" and data.get("ignore_errors"):
                continue
            host = counts.setdefault(data["host"], {"ok": 0, "changed": 0, "failed": 0, "skipped": 0, "unreachable": 0})
            host[kind] += 1
            if kind == "ok" and (data.get("res") or {}).get("changed"):
                host["changed"] += 1
        return counts

    def stats(self) -> dict:
        """The ``playbook_on_stats`` event (the recap): {ok, changed, failures, ...: {host: n}}."""
        found = self.results("playbook_on_stats")
        return found[-1] if found else {}

    def failed_results(self) -> list:
        return [(d["host"], (d.get("res") or {}).get("msg")) for d in self.results("runner_on_failed")
                if not d.get("ignore_errors")]


def launch(name: str, workdir: str, inventory: dict, credentials=(), answers=None, limit: str | None = None,
           job_type: str | None = None, diff_mode: bool = False, base_env: dict | None = None, quiet: bool = True) -> Job:
    """Launch job template ``awx/job_templates/<name>.yml`` like AWX: survey, credentials, inventory, limit.

    ``credentials``: ``[(credential type name, inputs)]``; ``base_env``: what the execution environment itself
    provides (collection path, CA trust); ``inventory``: exported inventory (already sliced for a slice job).
    Raises :class:`SurveyRefused` before anything is created when the answers break the survey.
    """
    import ansible_runner  # pylint: disable=import-outside-toplevel

    template = job_template(name)
    extra_vars = survey_extra_vars(template, answers)        # refused here: no job, no directory
    if limit and not template.get("ask_limit_on_launch"):
        raise SurveyRefused(["limit is not allowed on launch (ask_limit_on_launch is false)"])
    job_type = job_type or template.get("job_type", "run")
    if job_type != template.get("job_type", "run") and not template.get("ask_job_type_on_launch"):
        raise SurveyRefused(["job_type is not allowed on launch (ask_job_type_on_launch is false)"])

    private = os.path.abspath(workdir)
    os.makedirs(os.path.join(private, "inventory"), exist_ok=True)
    os.makedirs(os.path.join(private, "env"), exist_ok=True)
    project = os.path.join(private, "project")
    if not os.path.lexists(project):
        os.symlink(REPO_ROOT, project)        # the project checkout (AWX copies the synced project here)
    env = dict(base_env or {})
    for ctype_name, inputs in credentials:
        cred_env, cred_extra = render_injectors(credential_type(ctype_name), inputs, os.path.join(private, "env", "files"))
        env.update(cred_env)
        extra_vars.update(cred_extra)
    script = inventory_script(os.path.join(private, "inventory", "hosts"), inventory)
    cmdline = []
    if job_type == "check":
        cmdline.append("--check")
    if diff_mode:
        cmdline.append("--diff")
    if template.get("forks"):
        cmdline += ["--forks", str(template["forks"])]
    runner = ansible_runner.run(
        private_data_dir=private, playbook=template["playbook"], inventory=script, limit=limit or None,
        extravars=extra_vars, envvars=env, cmdline=" ".join(cmdline) or None, quiet=quiet,
        verbosity=template.get("verbosity") or None, json_mode=False,
    )
    return Job(runner, private, extra_vars)

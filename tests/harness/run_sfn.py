"""Run a generated sequence's Step Functions state machine in moto's ASL
interpreter, with every Glue job replaced by a local runner that records
what ran, in which order, with which arguments.

Usage: run_sfn.py OUT_DIR ENTRY_STEM INPUT_JSON FAILING_JOBS_JSON
OUT_DIR: a dsmig output folder (terraform/ and sfn/). Every state machine
of the folder is created (child state machines are referenced by
`${sm_<resource>}` in the definition, as `templatefile` fills them in
Terraform); ENTRY_STEM's is started with INPUT_JSON. The Glue jobs named
in FAILING_JOBS_JSON (a list) end FAILED, the others SUCCEEDED.
Prints one JSON object: {"status", "error", "cause", "runs": [[job, args]]}.

Three shims fix moto 5.2's port of the ASL interpreter for the
integrations the generated code uses (kept here, not in generated code):
a `.sync` task without a task token crashes in a `finally` on a missing
callback endpoint; the `states:startExecution` integration passes the
ASL's parameter names (`StateMachineArn`) to boto3, which wants
`stateMachineArn`, and returns boto3's names (`executionArn`, datetimes)
where Step Functions returns `ExecutionArn` and strings.
"""

import inspect
import json
import re
import sys
import textwrap
import time
from pathlib import Path

import boto3
from moto import mock_aws
from moto.glue import models as glue_models
from moto.moto_api import state_manager
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_callback as callback_mod,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_sfn as sfn_mod,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
RUNS = []
FAILING = set()


def _shim():
    cls = callback_mod.StateTaskServiceCallback
    src = textwrap.dedent(inspect.getsource(cls._eval_integration_pattern))
    fixed = src.replace(
        "callback_endpoint.interrupt_all()",
        "if callback_endpoint is not None: callback_endpoint.interrupt_all()",
    )
    if fixed != src:
        ns = dict(vars(callback_mod))
        exec(fixed, ns)
        cls._eval_integration_pattern = ns["_eval_integration_pattern"]

    svc = sfn_mod.StateTaskServiceSfn
    norm_params = svc._normalise_parameters

    def params(self, parameters, boto_service_name=None, service_action_name=None):  # noqa: E501
        norm_params(self, parameters, boto_service_name, service_action_name)
        if service_action_name is None:
            for k in list(parameters):
                parameters[k[:1].lower() + k[1:]] = parameters.pop(k)

    svc._normalise_parameters = params
    norm_resp = svc._normalise_response

    def response(self, response, boto_service_name=None, service_action_name=None):
        norm_resp(self, response, boto_service_name, service_action_name)
        if isinstance(response, dict):
            for k in list(response):
                v = response.pop(k)
                response[k[:1].upper() + k[1:]] = v.isoformat() if hasattr(v, "isoformat") else v

    svc._normalise_response = response


def _runner():
    """Glue's StartJobRun: record the run; a failing job's run ends FAILED."""
    start = glue_models.FakeJob.start_job_run

    def start_job_run(self, *args, **kwargs):
        run_id = start(self, *args, **kwargs)
        run = self.get_job_run(run_id)
        RUNS.append([self.name, dict(run.arguments or {})])
        if self.name in FAILING:
            run._transitions = [("STARTING", "RUNNING"), ("RUNNING", "FAILED")]
        return run_id

    glue_models.FakeJob.start_job_run = start_job_run


def machines(out):
    """(resource, stem, name) of every state machine of the folder."""
    found = []
    for tf in sorted((out / "terraform").glob("*.tf")):
        text = tf.read_text()
        m = re.search(r'resource "aws_sfn_state_machine" "([^"]+)"', text)
        if not m:
            continue
        name = re.search(r'\n  name\s+= "([^"]+)"', text).group(1)
        stem = re.search(r'/\.\./sfn/(.+?)\.asl\.json"', text).group(1)
        found.append((m.group(1), stem, name))
    return found


def arn(name):
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def fill(text, refs):
    """What Terraform's templatefile does to the definition."""
    text = re.sub(r"(?<!\$)\$\{(\w+)\}", lambda m: refs[m.group(1)], text)
    return text.replace("$${", "${").replace("%%{", "%{")


@mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
def main():
    out, entry = Path(sys.argv[1]), sys.argv[2]
    payload = json.loads(sys.argv[3])
    FAILING.update(json.loads(sys.argv[4]))
    state_manager.set_transition(model_name="glue::job_run", transition={"progression": "immediate"})
    glue = boto3.client("glue", region_name=REGION)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    found = machines(out)
    refs = {f"sm_{res}": arn(name) for res, _, name in found}
    created = set()
    entry_arn = None
    for res, stem, name in found:
        definition = json.loads(fill((out / "sfn" / f"{stem}.asl.json").read_text(), refs))
        for state in _states(definition):
            job = state.get("Parameters", {}).get("JobName")
            if job and job not in created:
                glue.create_job(
                    Name=job,
                    Role="local",
                    Command={"Name": "glueetl", "ScriptLocation": "s3://local/job.py"},
                    ExecutionProperty={"MaxConcurrentRuns": 100},
                )
                created.add(job)
        sfn.create_state_machine(
            name=name,
            definition=json.dumps(definition),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/local",
        )
        if stem == entry:
            entry_arn = arn(name)
    execution = sfn.start_execution(stateMachineArn=entry_arn, input=json.dumps(payload))
    for _ in range(1200):
        r = sfn.describe_execution(executionArn=execution["executionArn"])
        if r["status"] != "RUNNING":
            break
        time.sleep(0.05)
    print(
        json.dumps(
            {
                "status": r["status"],
                "error": r.get("error"),
                "cause": r.get("cause"),
                "runs": RUNS,
            }
        )
    )


def _states(definition):
    for state in definition.get("States", {}).values():
        yield state
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states(state[key])
        for branch in state.get("Branches", []):
            yield from _states(branch)


if __name__ == "__main__":
    _shim()
    _runner()
    main()

"""`%aml job ...` through the shell on real local jobs."""

import pytest
from IPython.core.error import UsageError as IPythonUsageError

from amlmagic.errors import BackendError
from amlmagic.magics.commands.jobs import job_create
from amlmagic.magics.context import Context
from amlmagic.magics.parser import parse_line
from amlmagic.session import current_session

HELLO = """\
command: python -c "print('hello ${{inputs.who}}')"
inputs:
  who: world
environment: azureml:AzureML-sklearn-1.5@latest
compute: local
"""

FAILING = """\
command: python -c "import sys; print('about to fail'); sys.exit(3)"
environment: azureml:AzureML-sklearn-1.5@latest
"""


def test_create_stream_prints_the_log_and_returns_the_completed_job(ip, capsys):
    job = ip.run("%%aml job create --stream\n" + HELLO)
    assert job.status == "Completed"
    assert "hello world" in capsys.readouterr().out
    assert ip.run(f"%aml job show -n {job.name}").status == "Completed"
    assert [j.name for j in ip.run("%aml job list")] == [job.name]


def test_a_failed_job_is_a_one_line_error_when_streamed(ip):
    with pytest.raises(IPythonUsageError) as info:
        ip.run("%%aml job create --stream\n" + FAILING)
    assert "\n" not in str(info.value)


def test_in_a_notebook_the_monitor_shows_and_a_failure_raises(workspace):
    shown = []
    ctx = Context(command=parse_line("job create --stream", FAILING), session=current_session(), cwd=workspace,
                  show=shown.append, in_kernel=True)
    with pytest.raises(BackendError, match=r"Failed: .*about to fail"):
        job_create(ctx)
    assert type(shown[0]).__name__ == "JobMonitor"


def test_a_model_from_an_empty_job_output_is_refused(ip):
    with pytest.raises(IPythonUsageError):
        ip.run("%%aml job create --stream\n" + FAILING + "outputs:\n  model:\n    type: uri_folder\n")
    job = current_session().trail[-1].entity
    with pytest.raises(IPythonUsageError, match=rf"is empty \(job {job.name} is Failed\)"):
        ip.run(f"%aml model create -n m -p azureml://jobs/{job.name}/outputs/model/paths/")
    assert ip.run("%aml model list") == []


def test_a_bad_distribution_is_one_line_naming_the_field(ip):
    with pytest.raises(IPythonUsageError, match=r"distribution.type: 'horovod' is not one of pytorch, tensorflow, mpi"):
        ip.run("%%aml job create\n" + HELLO + "distribution:\n  type: horovod\n")
    with pytest.raises(IPythonUsageError, match=r"distribution.process_count_per_instance: 0 is less than 1"):
        ip.run("%%aml job create --set distribution.type=pytorch distribution.process_count_per_instance=0\n" + HELLO)
    assert not ip.run("%aml job list")


def test_a_distributed_job_streams_rank_0(ip, capsys):
    job = ip.run("%%aml job create --stream --set distribution.type=mpi distribution.process_count_per_instance=2\n"
                 'command: python -c "import os; print(\'rank\', os.environ[\'OMPI_COMM_WORLD_RANK\'])"\n'
                 "environment: azureml:AzureML-sklearn-1.5@latest\n")
    assert job.status == "Completed"
    out = capsys.readouterr().out
    assert "Streaming user_logs/std_log_process_00.txt" in out and "rank 0" in out and "rank 1" not in out

"""`%aml export --ci github|azure-pipelines`: a CI/CD workflow beside deploy.sh (MLOps level 3).

The workflow installs the Azure CLI's `ml` extension, logs in with OpenID Connect (workload
identity: no client secret exists, so none can be written), runs `deploy.sh train`, then waits
for a human approval on an environment before `deploy.sh deploy`. Only *names* of variables and
secrets appear in the files; their values live in the repository's (or project's) settings.

    files = write_ci(folder, "github", variables, secrets_by_part)   # relative paths written
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from ..files import write_text_atomic

__all__ = ["CI_KINDS", "APPROVAL_ENVIRONMENT", "WORKFLOW_FILES", "check_ci_kind", "render_github", "render_azure_pipelines",
           "write_ci", "ci_readme"]

CI_KINDS = ("github", "azure-pipelines")
WORKFLOW_FILES = {"github": ".github/workflows/azureml-train-deploy.yml", "azure-pipelines": "azure-pipelines.yml"}
APPROVAL_ENVIRONMENT = "production"  # the environment whose required reviewers sign off a deployment

# deploy.sh's workspace variables, read from these GitHub repository variables (the AZURE_* names
# are the ones azure/login's documentation uses); export variables (COMPUTE...) keep their names.
_GITHUB_VARIABLES = {"SUBSCRIPTION": "AZURE_SUBSCRIPTION_ID", "RESOURCE_GROUP": "AZURE_RESOURCE_GROUP",
                     "WORKSPACE": "AZURE_ML_WORKSPACE"}
_VARIABLE_GROUP = "azureml-workspace"
_SERVICE_CONNECTION = "azureml-workload-identity"
_INSTALL = "az extension add -n ml --upgrade --yes"


def check_ci_kind(kind: str | None) -> str | None:
    if kind is not None and kind not in CI_KINDS:
        raise UsageError(f"--ci {kind!r} is not one of {', '.join(CI_KINDS)}: e.g. --ci github")
    return kind


def _expr(text: str) -> str:
    return "${{ " + text + " }}"


def _github_env(names: list[str], indent: str) -> list[str]:
    return [f"{indent}{n}: {_expr('secrets.' + n)}" for n in names]


def _github_job(part: str, secrets: list[str]) -> list[str]:
    lines = [
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - uses: actions/checkout@v4",
        "      - name: Log in to Azure with OpenID Connect (no secret)",
        "        uses: azure/login@v2",
        "        with:",
        f"          client-id: {_expr('vars.AZURE_CLIENT_ID')}",
        f"          tenant-id: {_expr('vars.AZURE_TENANT_ID')}",
        f"          subscription-id: {_expr('vars.AZURE_SUBSCRIPTION_ID')}",
        "      - name: Install the ml extension of the Azure CLI",
        f"        run: {_INSTALL}",
        f"      - name: bash deploy.sh {part}",
        f"        run: bash deploy.sh {part}",
    ]
    if secrets:
        lines += ["        env:", *_github_env(secrets, "          ")]
    return lines


def render_github(variables: dict[str, tuple[str, str]], secrets: dict[str, list[str]]) -> str:
    every_secret = sorted({n for names in secrets.values() for n in names})
    setup_secrets = (f"#  3. Repository secrets, read by deploy.sh: {', '.join(every_secret)}.\n" if every_secret
                     else "#  3. No repository secret is needed.\n")
    extra = "".join(f", {name} ({why})" for name, (_default, why) in variables.items())
    lines = [
        "# Train on Azure ML, then deploy once a reviewer approves: what an amlmagic notebook session",
        "# created (see README.md). Written by `%aml export --ci github`; no secret is in this file.",
        "# Setup, once:",
        "#  1. An Entra ID app registration or user-assigned managed identity with federated",
        "#     credentials for this repository (subjects repo:<owner>/<repo>:ref:refs/heads/main and",
        f"#     repo:<owner>/<repo>:environment:{APPROVAL_ENVIRONMENT}) and a role on the workspace",
        "#     (e.g. AzureML Data Scientist).",
        "#  2. Repository variables: AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_SUBSCRIPTION_ID,",
        f"#     AZURE_RESOURCE_GROUP, AZURE_ML_WORKSPACE{extra}.",
        setup_secrets.rstrip("\n"),
        f"#  4. An environment named {APPROVAL_ENVIRONMENT} with required reviewers: the deploy job waits",
        "#     for their approval (the level-3 human sign-off).",
        "name: Azure ML train and deploy",
        "on:",
        "  workflow_dispatch:",
        "  push:",
        "    branches: [main]",
        "permissions:",
        "  id-token: write  # OpenID Connect: azure/login trades GitHub's token for an Azure one",
        "  contents: read",
        "concurrency:",
        f"  group: azureml-{_expr('github.ref')}",
        "  cancel-in-progress: false",
        "env:",
        *[f"  {name}: {_expr('vars.' + var)}" for name, var in _GITHUB_VARIABLES.items()],
        *[f"  {name}: {_expr('vars.' + name)}" for name in variables],
        "jobs:",
        "  train:",
        "    name: Train (deploy.sh train)",
        *_github_job("train", secrets.get("train", [])),
        "  deploy:",
        "    name: Deploy (deploy.sh deploy), after approval",
        "    needs: train",
        f"    environment: {APPROVAL_ENVIRONMENT}",
        *_github_job("deploy", secrets.get("deploy", [])),
    ]
    return "\n".join(lines) + "\n"


def _pipelines_task(part: str, secrets: list[str], indent: str) -> list[str]:
    lines = [
        "- task: AzureCLI@2",
        f"  displayName: bash deploy.sh {part}",
        "  inputs:",
        f"    azureSubscription: {_expr('parameters.serviceConnection')}",
        "    scriptType: bash",
        "    scriptLocation: inlineScript",
        "    inlineScript: |",
        f"      {_INSTALL}",
        f"      bash deploy.sh {part}",
    ]
    if secrets:  # secret variables reach a script only when mapped by name
        lines += ["  env:", *[f"    {n}: $({n})" for n in secrets]]
    return [indent + line for line in lines]


def render_azure_pipelines(variables: dict[str, tuple[str, str]], secrets: dict[str, list[str]]) -> str:
    every_secret = sorted({n for names in secrets.values() for n in names})
    names = ", ".join(["SUBSCRIPTION", "RESOURCE_GROUP", "WORKSPACE", *variables])
    secret_line = (f"#     and, marked secret, {', '.join(every_secret)} (read by deploy.sh)." if every_secret
                   else "#     (no secret is needed).")
    lines = [
        "# Train on Azure ML, then deploy once a reviewer approves: what an amlmagic notebook session",
        "# created (see README.md). Written by `%aml export --ci azure-pipelines`; no secret is in this file.",
        "# Setup, once:",
        f"#  1. An Azure Resource Manager service connection named {_SERVICE_CONNECTION} that uses",
        "#     workload identity federation (no secret), with a role on the workspace.",
        f"#  2. A variable group named {_VARIABLE_GROUP} holding {names}",
        secret_line,
        f"#  3. An environment named {APPROVAL_ENVIRONMENT} with an Approvals check: the deploy stage waits",
        "#     for it (the level-3 human sign-off).",
        "trigger:",
        "  branches:",
        "    include: [main]",
        "pr: none",
        "parameters:",
        "  - name: serviceConnection",
        "    displayName: Azure Resource Manager service connection (workload identity federation)",
        "    type: string",
        f"    default: {_SERVICE_CONNECTION}",
        "variables:",
        f"  - group: {_VARIABLE_GROUP}",
        "stages:",
        "  - stage: train",
        "    displayName: Train (deploy.sh train)",
        "    jobs:",
        "      - job: train",
        "        pool:",
        "          vmImage: ubuntu-latest",
        "        steps:",
        "          - checkout: self",
        *_pipelines_task("train", secrets.get("train", []), "          "),
        "  - stage: deploy",
        "    displayName: Deploy (deploy.sh deploy), after approval",
        "    dependsOn: train",
        "    jobs:",
        "      - deployment: deploy",
        f"        environment: {APPROVAL_ENVIRONMENT}",
        "        pool:",
        "          vmImage: ubuntu-latest",
        "        strategy:",
        "          runOnce:",
        "            deploy:",
        "              steps:",
        "                - checkout: self  # a deployment job does not check out by default",
        *_pipelines_task("deploy", secrets.get("deploy", []), "                "),
    ]
    return "\n".join(lines) + "\n"


def write_ci(folder: Path, kind: str, variables: dict[str, tuple[str, str]], secrets: dict[str, list[str]]) -> str:
    """Write the workflow of `kind` under `folder`; its path relative to `folder`."""
    render = render_github if kind == "github" else render_azure_pipelines
    relative = WORKFLOW_FILES[kind]
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, render(variables, secrets))
    return relative


def ci_readme(kind: str) -> str:
    where = WORKFLOW_FILES[kind]
    how = ("GitHub Actions runs it once this folder is the root of a repository (move `.github/` to the "
           "root otherwise and add `working-directory`)" if kind == "github" else
           "create an Azure Pipelines pipeline from it")
    return f"""
## CI/CD

`{where}` ({how}) trains and deploys without anyone at a keyboard: it installs the Azure CLI's
`ml` extension, logs in with OpenID Connect (workload identity federation: no secret exists to
leak), runs `bash deploy.sh train`, then waits for a reviewer to approve the `{APPROVAL_ENVIRONMENT}`
environment before `bash deploy.sh deploy`. Its first lines say what to set up once.
"""

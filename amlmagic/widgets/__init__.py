"""amlmagic's anywidget widgets. Importing this package is cheap: a widget's module (and
anywidget) loads when the widget is first used.

    WorkspaceExplorer(client)            ComputePicker(client)        DataBrowser(client)
    EnvironmentBuilder(client)           JobMonitor(client, job_name)
    SweepMonitor(client, job_name)       EndpointTester(client, endpoint_name=None)
    PipelineGraph(client, job_name)      LineageGraph(client, lineage)
    MaturityTable(report, reassess=None)
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "WorkspaceExplorer", "ComputePicker", "DataBrowser", "EnvironmentBuilder",
    "JobMonitor", "SweepMonitor", "EndpointTester", "PipelineGraph", "LineageGraph", "MaturityTable",
    "record_widget_action", "aml_line",
]

_WHERE = {
    "WorkspaceExplorer": "workspace_explorer",
    "ComputePicker": "compute_picker",
    "DataBrowser": "data_browser",
    "EnvironmentBuilder": "environment_builder",
    "JobMonitor": "job_monitor",
    "SweepMonitor": "sweep_monitor",
    "EndpointTester": "endpoint_tester",
    "PipelineGraph": "pipeline_graph",
    "LineageGraph": "lineage_graph",
    "MaturityTable": "maturity_table",
    "record_widget_action": "actions",
    "aml_line": "actions",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'amlmagic.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

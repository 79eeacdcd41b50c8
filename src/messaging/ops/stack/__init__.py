"""The stack: deploy (with a preview), destroy and read it through CloudFormation.

Deploys never surprise anyone with their data: previous parameter values are kept, a
preview shows every change with its Replacement, an update that would replace or
remove something holding data is refused unless asked for, every call survives a lost
answer, and each failed stack state can be left. Stack outputs are the only way the
rest of the code finds resources.

Modules: `template` (parameters), `read` (status, outputs, events, resources),
`watch` (waiting), `changeset` (calls that survive lost answers), `risk` (what holds
data), `deploy` (deploy, preview), `destroy` (inventory, destroy), `model` (results).
"""

from __future__ import annotations

from messaging.ops.stack.deploy import deploy, preview
from messaging.ops.stack.destroy import (
    BucketData,
    DestroyClients,
    DestroyResult,
    Inventory,
    destroy,
    empty_bucket,
    inventory,
)
from messaging.ops.stack.model import (
    DataLossRefusedError,
    DataRisk,
    DeployError,
    DeployResult,
    Preview,
    PropertyChange,
    ResourceChange,
    StackError,
    StackEvent,
    StackOutputs,
)
from messaging.ops.stack.read import (
    describe_stack,
    failure_hint,
    read_outputs,
    stack_outputs,
    stack_parameters,
)
from messaging.ops.stack.risk import data_risks
from messaging.ops.stack.template import (
    default_template_path,
    parameter_list,
    parse_parameters,
    template_parameters,
)

__all__ = [
    "BucketData",
    "DataLossRefusedError",
    "DataRisk",
    "DeployError",
    "DeployResult",
    "DestroyClients",
    "DestroyResult",
    "Inventory",
    "Preview",
    "PropertyChange",
    "ResourceChange",
    "StackError",
    "StackEvent",
    "StackOutputs",
    "data_risks",
    "default_template_path",
    "deploy",
    "describe_stack",
    "destroy",
    "empty_bucket",
    "failure_hint",
    "inventory",
    "parameter_list",
    "parse_parameters",
    "preview",
    "read_outputs",
    "stack_outputs",
    "stack_parameters",
    "template_parameters",
]

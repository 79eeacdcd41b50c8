"""Package data: `infra.yaml`, the whole stack, shipped in the wheel so any install can deploy."""

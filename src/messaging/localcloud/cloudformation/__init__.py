"""CloudFormation: stack semantics (`stacks`), added types (`resources`), fixed (`overrides`)."""

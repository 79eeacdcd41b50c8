"""Operating a deployment: settings, AWS sessions, the stack, status and redrive."""

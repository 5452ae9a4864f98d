"""The ml-endpoint-controller Lambda code: one handler per endpoint type, dispatching lifecycle steps."""

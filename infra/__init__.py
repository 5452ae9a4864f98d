"""The CDK app: the controller's stack. Never imports ``functions/``."""

"""The runner authorizes every simulated call with the synthesized IAM, as AWS would.

- ``policies``: the template's identity policies by role and resource policies by resource;
- ``calls``: what IAM asks about a call (actions, resource ARNs, context); the simulated endpoint
  services' own calls are their simulators' to map;
- ``evaluator``: AWS's evaluation logic from a maintained implementation (Node, ``npm ci``);
- ``authorizer``: the SDK hooks that ask before each call, and the denials.
"""

from endpointctl.cli import run

run()

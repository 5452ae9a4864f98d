import sys

from endpointctl.cli import main

sys.exit(main())

from endpointctl import use_own_functions

use_own_functions()

from endpointctl.served.server import main  # noqa: E402

main()

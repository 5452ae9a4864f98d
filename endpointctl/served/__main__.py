from endpointctl.served.server import main

main()

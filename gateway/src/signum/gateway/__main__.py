from signum.gateway.app import main

main()

from signum.routing.app import main

main()

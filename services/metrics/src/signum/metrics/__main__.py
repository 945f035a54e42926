from signum.metrics.app import main

main()

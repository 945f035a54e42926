from signum.signing.app import main

main()

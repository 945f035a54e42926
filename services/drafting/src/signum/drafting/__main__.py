from signum.drafting.app import main

main()

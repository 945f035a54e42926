from signum.storage.app import main

main()
